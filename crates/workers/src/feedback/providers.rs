//! The webhook formats of sending providers, read into [`Feedback`]: Amazon SES (the notification
//! inside an SNS message), Postmark, SendGrid and Mailgun. The web layer has checked the signatures
//! before storing the body; here it is only read.
//!
//! Each provider's own categories are mapped onto Sisimai's reasons, with the diagnostic text
//! classified by [`kurier_bounce::classify_text`] where the category alone says too little. Events
//! that say nothing about deliverability (opens, clicks, "processed", deferrals that will be retried)
//! are skipped.

use chrono::{DateTime, TimeZone as _, Utc};
use kurier_bounce::Reason;
use kurier_core::{EmailAddress, FeedbackKind};
use kurier_store::{Feedback, InboundFormat};
use serde_json::Value;

/// Why a webhook body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProviderError {
    #[error("the body is not JSON: {0}")]
    Json(String),
    #[error("{provider}: field `{field}` is missing or has the wrong type")]
    Field { provider: &'static str, field: &'static str },
}

/// Reads one stored webhook body. `received` stands in for events that carry no time.
pub fn read(format: InboundFormat, body: &[u8], received: DateTime<Utc>) -> Result<Vec<Feedback>, ProviderError> {
    let json: Value = serde_json::from_slice(body).map_err(|e| ProviderError::Json(e.to_string()))?;
    match format {
        InboundFormat::Ses => ses(&json, received),
        InboundFormat::Postmark => postmark(&json, received),
        InboundFormat::Sendgrid => sendgrid(&json, received),
        InboundFormat::Mailgun => mailgun(&json, received),
        InboundFormat::Mail => Ok(Vec::new()),
    }
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn time(v: Option<&Value>, received: DateTime<Utc>) -> DateTime<Utc> {
    match v {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s).map_or(received, |t| t.with_timezone(&Utc)),
        Some(Value::Number(n)) => {
            n.as_f64().and_then(|secs| Utc.timestamp_millis_opt((secs * 1000.0) as i64).single()).unwrap_or(received)
        }
        _ => received,
    }
}

/// The first `N.N.N` status code in a text.
fn status_in(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len()).find_map(|i| {
        let s = text.get(i..)?;
        let mut parts = s.splitn(3, '.');
        let class = parts.next()?;
        if !(class == "2" || class == "4" || class == "5") || (i > 0 && b[i - 1].is_ascii_alphanumeric()) {
            return None;
        }
        let subject = parts.next()?;
        let detail: String = parts.next()?.chars().take_while(char::is_ascii_digit).collect();
        let ok = (1..=3).contains(&subject.len())
            && subject.bytes().all(|c| c.is_ascii_digit())
            && (1..=3).contains(&detail.len());
        ok.then(|| format!("{class}.{subject}.{detail}"))
    })
}

/// The first three-digit SMTP reply code that opens a text (or follows `smtp;`).
fn reply_code_in(text: &str) -> Option<u16> {
    let t = text.trim_start();
    let t = t.strip_prefix("smtp;").or_else(|| t.strip_prefix("SMTP;")).unwrap_or(t).trim_start();
    let code: String = t.chars().take(3).collect();
    (code.len() == 3 && t.as_bytes().get(3).is_none_or(|c| !c.is_ascii_digit()))
        .then(|| code.parse().ok())
        .flatten()
        .filter(|c| (200..600).contains(c))
}

/// A failure, classified: the reason from the text when it tells one, else `fallback`; hard or soft
/// from the reason and whether the failure is permanent.
fn failure(
    address: Option<&str>,
    fallback: Reason,
    permanent: bool,
    diagnostic: Option<&str>,
    status: Option<String>,
    at: DateTime<Utc>,
) -> Feedback {
    let from_text = diagnostic.and_then(kurier_bounce::classify_text);
    let from_status = status.as_deref().and_then(kurier_bounce::from_status);
    let reason = match fallback {
        // A provider's own verdict on the address is more certain than the words of the text.
        Reason::UserUnknown | Reason::HostUnknown | Reason::Blocked | Reason::Feedback => fallback,
        _ => from_text.or(from_status).unwrap_or(fallback),
    };
    let hard = reason.is_hard(permanent);
    Feedback {
        kind: FeedbackKind::of_failure(hard, reason.blames_sender()),
        reason: reason.as_str().to_string(),
        address: address.and_then(|a| EmailAddress::parse(a).ok()),
        status: status.or_else(|| Some(reason.pseudo_status(permanent))),
        reply_code: diagnostic.and_then(reply_code_in),
        diagnostic: diagnostic.map(str::to_string),
        remote_mta: None,
        feedback_type: None,
        message_key: None,
        message_id: None,
        at,
    }
}

/// The kind of a temporary failure the provider goes on retrying: a delay, unless it blames the
/// sender (a rate limit or block still raises a reputation alert, as in mail).
fn delayed(kind: FeedbackKind) -> FeedbackKind {
    if kind == FeedbackKind::SoftBounce { FeedbackKind::Delayed } else { kind }
}

/// A provider's delay warning (its final event follows): a temporary failure that expires unless
/// its text says otherwise, as a delay.
fn delay(address: Option<&str>, diagnostic: Option<&str>, status: Option<String>, at: DateTime<Utc>) -> Feedback {
    let mut f = failure(address, Reason::Expired, false, diagnostic, status, at);
    f.kind = delayed(f.kind);
    f
}

fn simple(kind: FeedbackKind, reason: Reason, address: Option<&str>, at: DateTime<Utc>) -> Feedback {
    Feedback {
        kind,
        reason: reason.as_str().to_string(),
        address: address.and_then(|a| EmailAddress::parse(a).ok()),
        status: None,
        reply_code: None,
        diagnostic: None,
        remote_mta: None,
        feedback_type: None,
        message_key: None,
        message_id: None,
        at,
    }
}

/// Amazon SES: `notificationType` (SNS notifications) or `eventType` (event publishing) of Bounce,
/// Complaint, Delivery or DeliveryDelay (a delay warning: recorded, not a soft bounce).
fn ses(json: &Value, received: DateTime<Utc>) -> Result<Vec<Feedback>, ProviderError> {
    let kind = text(json, "notificationType")
        .or_else(|| text(json, "eventType"))
        .ok_or(ProviderError::Field { provider: "ses", field: "notificationType" })?;
    let mail = json.get("mail");
    let message_id = mail.and_then(|m| {
        m.get("commonHeaders").and_then(|h| text(h, "messageId")).map(str::to_string).or_else(|| {
            m.get("headers")?.as_array()?.iter().find_map(|h| {
                text(h, "name")
                    .filter(|n| n.eq_ignore_ascii_case("message-id"))
                    .and_then(|_| text(h, "value"))
                    .map(str::to_string)
            })
        })
    });
    let mut out = Vec::new();
    match kind {
        "Bounce" => {
            let b = json.get("bounce").ok_or(ProviderError::Field { provider: "ses", field: "bounce" })?;
            let permanent = text(b, "bounceType") == Some("Permanent");
            let sub = text(b, "bounceSubType").unwrap_or("General");
            let fallback = match sub {
                "NoEmail" | "Suppressed" | "OnAccountSuppressionList" => Reason::UserUnknown,
                "MailboxFull" => Reason::MailboxFull,
                "MessageTooLarge" => Reason::MesgTooBig,
                "ContentRejected" | "AttachmentRejected" => Reason::ContentError,
                _ if permanent => Reason::OnHold,
                _ => Reason::Undefined,
            };
            let at = time(b.get("timestamp"), received);
            let remote = text(b, "reportingMTA").map(|m| m.trim_start_matches("dsn;").trim().to_string());
            let recipients = b
                .get("bouncedRecipients")
                .and_then(Value::as_array)
                .ok_or(ProviderError::Field { provider: "ses", field: "bounce.bouncedRecipients" })?;
            for r in recipients {
                let diagnostic = text(r, "diagnosticCode");
                let status = text(r, "status").map(str::to_string).or_else(|| diagnostic.and_then(status_in));
                let mut f = failure(text(r, "emailAddress"), fallback, permanent, diagnostic, status, at);
                f.remote_mta.clone_from(&remote);
                f.message_id.clone_from(&message_id);
                out.push(f);
            }
        }
        "Complaint" => {
            let c = json.get("complaint").ok_or(ProviderError::Field { provider: "ses", field: "complaint" })?;
            let at = time(c.get("timestamp"), received);
            let recipients = c
                .get("complainedRecipients")
                .and_then(Value::as_array)
                .ok_or(ProviderError::Field { provider: "ses", field: "complaint.complainedRecipients" })?;
            for r in recipients {
                let feedback_type = text(c, "complaintFeedbackType").unwrap_or("abuse");
                let kind = FeedbackKind::of_report(Some(feedback_type));
                let mut f = simple(kind, Reason::Feedback, text(r, "emailAddress"), at);
                f.feedback_type = Some(feedback_type.to_string());
                f.message_id.clone_from(&message_id);
                out.push(f);
            }
        }
        "DeliveryDelay" => {
            let d =
                json.get("deliveryDelay").ok_or(ProviderError::Field { provider: "ses", field: "deliveryDelay" })?;
            let at = time(d.get("timestamp"), received);
            let remote = text(d, "reportingMTA").map(|m| m.trim_start_matches("dsn;").trim().to_string());
            for r in d.get("delayedRecipients").and_then(Value::as_array).into_iter().flatten() {
                let diagnostic = text(r, "diagnosticCode");
                let status = text(r, "status").map(str::to_string).or_else(|| diagnostic.and_then(status_in));
                let mut f = delay(text(r, "emailAddress"), diagnostic, status, at);
                f.remote_mta.clone_from(&remote);
                f.message_id.clone_from(&message_id);
                out.push(f);
            }
        }
        "Delivery" => {
            let d = json.get("delivery").ok_or(ProviderError::Field { provider: "ses", field: "delivery" })?;
            let at = time(d.get("timestamp"), received);
            for r in d.get("recipients").and_then(Value::as_array).into_iter().flatten() {
                let mut f = simple(FeedbackKind::Delivered, Reason::Delivered, r.as_str(), at);
                f.diagnostic = text(d, "smtpResponse").map(str::to_string);
                f.message_id.clone_from(&message_id);
                out.push(f);
            }
        }
        _ => {}
    }
    Ok(out)
}

/// Postmark: one event per body, `RecordType` Bounce, SpamComplaint or Delivery; a bounce's `Type`
/// is Postmark's category.
fn postmark(json: &Value, received: DateTime<Utc>) -> Result<Vec<Feedback>, ProviderError> {
    let record = text(json, "RecordType").ok_or(ProviderError::Field { provider: "postmark", field: "RecordType" })?;
    let email = text(json, "Email").or_else(|| text(json, "Recipient"));
    let mut f = match record {
        "Bounce" => {
            let kind = text(json, "Type").ok_or(ProviderError::Field { provider: "postmark", field: "Type" })?;
            let details = text(json, "Details").or_else(|| text(json, "Description"));
            let at = time(json.get("BouncedAt"), received);
            let (fallback, permanent) = match kind {
                "HardBounce" | "BadEmailAddress" => (Reason::UserUnknown, true),
                "DnsError" => (Reason::HostUnknown, true),
                "SoftBounce" => (Reason::Undefined, false),
                // "Message delayed": Postmark goes on trying, its final event follows.
                "Transient" => return Ok(vec![delay(email, details, details.and_then(status_in), at)]),
                "Blocked" => (Reason::Blocked, true),
                "DMARCPolicy" => (Reason::PolicyViolation, true),
                "SpamNotification" => (Reason::SpamDetected, true),
                "VirusNotification" => (Reason::VirusDetected, true),
                "SpamComplaint" => {
                    let mut f = simple(FeedbackKind::Complaint, Reason::Feedback, email, at);
                    f.feedback_type = Some("abuse".into());
                    return Ok(vec![f]);
                }
                "AutoResponder" => return Ok(vec![simple(FeedbackKind::AutoReply, Reason::Vacation, email, at)]),
                // Subscribe/Unsubscribe requests, challenges, address changes, Postmark's own
                // deactivations and API errors say nothing about the address's mailbox.
                _ => return Ok(Vec::new()),
            };
            let status = details.and_then(status_in);
            failure(email, fallback, permanent, details, status, at)
        }
        "SpamComplaint" => {
            let mut f = simple(FeedbackKind::Complaint, Reason::Feedback, email, time(json.get("BouncedAt"), received));
            f.feedback_type = Some("abuse".into());
            f
        }
        "Delivery" => {
            let mut f =
                simple(FeedbackKind::Delivered, Reason::Delivered, email, time(json.get("DeliveredAt"), received));
            f.diagnostic = text(json, "Details").map(str::to_string);
            f
        }
        _ => return Ok(Vec::new()),
    };
    if let Some(id) = json.get("Metadata").and_then(|m| text(m, "message_id")) {
        f.message_id = Some(id.to_string());
    }
    Ok(vec![f])
}

/// SendGrid: an array of events. `bounce` (with `type` bounce or blocked), `dropped` for addresses
/// SendGrid itself suppresses, `spamreport`, `delivered`; `smtp-id` is our `Message-ID`.
fn sendgrid(json: &Value, received: DateTime<Utc>) -> Result<Vec<Feedback>, ProviderError> {
    let events = json.as_array().ok_or(ProviderError::Field { provider: "sendgrid", field: "(an array of events)" })?;
    let mut out = Vec::new();
    for e in events {
        let event = text(e, "event").ok_or(ProviderError::Field { provider: "sendgrid", field: "event" })?;
        let email = text(e, "email");
        let at = time(e.get("timestamp"), received);
        let reason = text(e, "reason");
        let mut f = match event {
            "bounce" => {
                let status = text(e, "status").map(str::to_string).or_else(|| reason.and_then(status_in));
                let permanent = status.as_deref().is_none_or(|s| s.starts_with('5'));
                let blocked = text(e, "type") == Some("blocked")
                    || text(e, "bounce_classification").is_some_and(|c| c == "Reputation" || c == "Content");
                let fallback = match text(e, "bounce_classification") {
                    Some("Invalid Address") => Reason::UserUnknown,
                    Some("Mailbox Unavailable") => Reason::MailboxFull,
                    Some("Frequency or Volume Too High") => Reason::TooManyConn,
                    Some("Content") => Reason::ContentError,
                    _ if blocked => Reason::Blocked,
                    _ => Reason::Undefined,
                };
                failure(email, fallback, permanent, reason, status, at)
            }
            "dropped" => match reason {
                Some(r) if r.contains("Bounced Address") || r.contains("Invalid") => {
                    failure(email, Reason::UserUnknown, true, Some(r), None, at)
                }
                Some(r) if r.contains("Spam Reporting Address") => {
                    let mut f = simple(FeedbackKind::Complaint, Reason::Feedback, email, at);
                    f.feedback_type = Some("abuse".into());
                    f.diagnostic = Some(r.to_string());
                    f
                }
                _ => continue,
            },
            "spamreport" => {
                let mut f = simple(FeedbackKind::Complaint, Reason::Feedback, email, at);
                f.feedback_type = Some("abuse".into());
                f
            }
            "delivered" => {
                let mut f = simple(FeedbackKind::Delivered, Reason::Delivered, email, at);
                f.diagnostic = text(e, "response").map(str::to_string);
                f
            }
            // A deferral: SendGrid goes on trying, its final event follows.
            "deferred" => {
                let response = text(e, "response");
                delay(email, response, response.and_then(status_in), at)
            }
            _ => continue,
        };
        f.message_id = text(e, "smtp-id").map(str::to_string);
        out.push(f);
    }
    Ok(out)
}

/// Mailgun: `event-data` with `event` failed (severity permanent or temporary), complained or
/// delivered.
fn mailgun(json: &Value, received: DateTime<Utc>) -> Result<Vec<Feedback>, ProviderError> {
    let data = json.get("event-data").ok_or(ProviderError::Field { provider: "mailgun", field: "event-data" })?;
    let event = text(data, "event").ok_or(ProviderError::Field { provider: "mailgun", field: "event-data.event" })?;
    let email = text(data, "recipient");
    let at = time(data.get("timestamp"), received);
    let message_id = data
        .get("message")
        .and_then(|m| m.get("headers"))
        .and_then(|h| text(h, "message-id"))
        .map(|id| if id.starts_with('<') { id.to_string() } else { format!("<{id}>") });
    let mut f = match event {
        "failed" => {
            let permanent = text(data, "severity") == Some("permanent");
            let status_block = data.get("delivery-status");
            let diagnostic = status_block
                .and_then(|s| text(s, "description").or_else(|| text(s, "message")))
                .or_else(|| status_block.and_then(|s| text(s, "message")));
            let status = status_block
                .and_then(|s| text(s, "enhanced-code"))
                .map(str::to_string)
                .or_else(|| diagnostic.and_then(status_in));
            let fallback = match text(data, "reason") {
                Some("suppress-bounce") => Reason::UserUnknown,
                Some("suppress-complaint") => Reason::Feedback,
                Some("espblock") => Reason::Blocked,
                _ if permanent => Reason::OnHold,
                _ => Reason::Undefined,
            };
            if fallback == Reason::Feedback {
                let mut f = simple(FeedbackKind::Complaint, Reason::Feedback, email, at);
                f.feedback_type = Some("abuse".into());
                f
            } else {
                let mut f = failure(email, fallback, permanent, diagnostic, status, at);
                // A temporary failure is an attempt Mailgun will retry: a delay, its final event follows.
                if !permanent {
                    f.kind = delayed(f.kind);
                }
                if let Some(code) = status_block.and_then(|s| s.get("code")).and_then(Value::as_u64) {
                    f.reply_code = u16::try_from(code).ok().filter(|c| (200..600).contains(c));
                }
                f.remote_mta = status_block.and_then(|s| text(s, "mx-host")).map(str::to_string);
                f
            }
        }
        "complained" => {
            let mut f = simple(FeedbackKind::Complaint, Reason::Feedback, email, at);
            f.feedback_type = Some("abuse".into());
            f
        }
        "delivered" => simple(FeedbackKind::Delivered, Reason::Delivered, email, at),
        _ => return Ok(Vec::new()),
    };
    f.message_id = message_id;
    Ok(vec![f])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000, 0).unwrap()
    }

    fn read_json(format: InboundFormat, json: &str) -> Vec<Feedback> {
        read(format, json.as_bytes(), now()).unwrap()
    }

    #[test]
    fn ses_bounces_complaints_and_deliveries() {
        let bounce = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
            "bouncedRecipients":[{"emailAddress":"jane@example.com","action":"failed","status":"5.1.1",
            "diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"timestamp":"2016-01-27T14:59:38.237Z",
            "reportingMTA":"dsn; a8-70.smtp-out.amazonses.com"},
            "mail":{"messageId":"0000014644f","commonHeaders":{"messageId":"<abc@mail.example.org>"}}}"#;
        let f = read_json(InboundFormat::Ses, bounce);
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].kind, f[0].reason.as_str()), (FeedbackKind::HardBounce, "userunknown"));
        assert_eq!(f[0].address.as_ref().unwrap().as_str(), "jane@example.com");
        assert_eq!((f[0].status.as_deref(), f[0].reply_code), (Some("5.1.1"), Some(550)));
        assert_eq!(f[0].message_id.as_deref(), Some("<abc@mail.example.org>"));
        assert_eq!(f[0].remote_mta.as_deref(), Some("a8-70.smtp-out.amazonses.com"));
        assert_eq!(f[0].at.to_rfc3339(), "2016-01-27T14:59:38.237+00:00");

        let full = r#"{"eventType":"Bounce","bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull",
            "bouncedRecipients":[{"emailAddress":"r@example.com"}]}}"#;
        let f = read_json(InboundFormat::Ses, full);
        assert_eq!((f[0].kind, f[0].reason.as_str()), (FeedbackKind::SoftBounce, "mailboxfull"));
        assert_eq!(f[0].at, now(), "no timestamp: the time it was received");

        let complaint = r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":
            [{"emailAddress":"r@example.com"}],"complaintFeedbackType":"abuse","timestamp":"2016-01-27T14:59:38Z"},
            "mail":{"headers":[{"name":"Message-ID","value":"<k@x>"}]}}"#;
        let f = read_json(InboundFormat::Ses, complaint);
        assert_eq!((f[0].kind, f[0].feedback_type.as_deref()), (FeedbackKind::Complaint, Some("abuse")));
        assert_eq!(f[0].message_id.as_deref(), Some("<k@x>"));
        // SES passes on the reporter's feedback type: a correction is no complaint.
        let not_spam = complaint.replace(r#""abuse""#, r#""not-spam""#);
        let f = read_json(InboundFormat::Ses, &not_spam);
        assert_eq!((f[0].kind, f[0].feedback_type.as_deref()), (FeedbackKind::NotSpam, Some("not-spam")));
        let untyped = complaint.replace(r#","complaintFeedbackType":"abuse""#, "");
        assert_eq!(read_json(InboundFormat::Ses, &untyped)[0].kind, FeedbackKind::Complaint);

        let delivery = r#"{"notificationType":"Delivery","delivery":{"recipients":["a@example.com","b@example.com"],
            "smtpResponse":"250 ok"}}"#;
        let f = read_json(InboundFormat::Ses, delivery);
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|x| x.kind == FeedbackKind::Delivered));
    }

    /// Delay warnings of every provider are delays, recorded without counting a soft bounce; one
    /// that blames the sender still blames the sender.
    #[test]
    fn provider_delays_are_delays() {
        let ses = r#"{"eventType":"DeliveryDelay","mail":{"messageId":"0100-abc","destination":["ann@example.org"]},
            "deliveryDelay":{"timestamp":"2026-12-07T10:00:00.000Z","delayType":"MailboxFull","expirationTime":"2026-12-08T10:00:00.000Z",
            "reportingMTA":"dsn; a1-2.smtp-out.amazonses.com","delayedRecipients":[{"emailAddress":"ann@example.org",
            "status":"4.2.2","diagnosticCode":"smtp; 452 4.2.2 Mailbox full"}]}}"#;
        let f = read_json(InboundFormat::Ses, ses);
        assert_eq!((f.len(), f[0].kind, f[0].status.as_deref()), (1, FeedbackKind::Delayed, Some("4.2.2")));
        assert_eq!(f[0].address.as_ref().unwrap().as_str(), "ann@example.org");
        let transient = r#"{"RecordType":"Bounce","Type":"Transient","TypeCode":2,"Email":"ann@example.org",
            "BouncedAt":"2019-11-05T16:33:54.9070259Z","Details":"smtp;451 4.4.1 Connection timed out"}"#;
        assert_eq!(read_json(InboundFormat::Postmark, transient)[0].kind, FeedbackKind::Delayed);
        let throttled = r#"{"event-data":{"event":"failed","severity":"temporary","recipient":"a@example.com",
            "delivery-status":{"code":421,"description":"4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited."}}}"#;
        assert_eq!(read_json(InboundFormat::Mailgun, throttled)[0].kind, FeedbackKind::SenderBlocked);
    }

    #[test]
    fn ses_blocks_blame_the_sender() {
        let json = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
            "bouncedRecipients":[{"emailAddress":"r@example.com","diagnosticCode":
            "smtp; 554 5.7.1 Service unavailable; Client host [1.2.3.4] blocked using zen.spamhaus.org"}]}}"#;
        let f = read_json(InboundFormat::Ses, json);
        assert_eq!((f[0].kind, f[0].reason.as_str()), (FeedbackKind::SenderBlocked, "blocked"));
        assert_eq!(f[0].status.as_deref(), Some("5.7.1"), "read from the diagnostic");
    }

    #[test]
    fn postmark_types_map_to_reasons() {
        let hard = r#"{"RecordType":"Bounce","Type":"HardBounce","TypeCode":1,"Email":"john@example.com",
            "BouncedAt":"2019-11-05T16:33:54.9070259Z","Details":"smtp;550 5.1.1 The email account does not exist",
            "Metadata":{"message_id":"<k@mail.example.org>"}}"#;
        let f = read_json(InboundFormat::Postmark, hard);
        assert_eq!(
            (f[0].kind, f[0].reason.as_str(), f[0].reply_code),
            (FeedbackKind::HardBounce, "userunknown", Some(550))
        );
        assert_eq!(f[0].message_id.as_deref(), Some("<k@mail.example.org>"));
        let soft = r#"{"RecordType":"Bounce","Type":"SoftBounce","Email":"j@example.com",
            "Details":"452 4.2.2 The email account that you tried to reach is over quota"}"#;
        let f = read_json(InboundFormat::Postmark, soft);
        assert_eq!((f[0].kind, f[0].reason.as_str()), (FeedbackKind::SoftBounce, "mailboxfull"));
        let dmarc = r#"{"RecordType":"Bounce","Type":"DMARCPolicy","Email":"j@example.com","Details":"rejected"}"#;
        assert_eq!(read_json(InboundFormat::Postmark, dmarc)[0].kind, FeedbackKind::SenderBlocked);
        let spam = r#"{"RecordType":"SpamComplaint","Type":"SpamComplaint","Email":"j@example.com"}"#;
        assert_eq!(read_json(InboundFormat::Postmark, spam)[0].kind, FeedbackKind::Complaint);
        let auto = r#"{"RecordType":"Bounce","Type":"AutoResponder","Email":"j@example.com"}"#;
        assert_eq!(read_json(InboundFormat::Postmark, auto)[0].kind, FeedbackKind::AutoReply);
        let unsub = r#"{"RecordType":"Bounce","Type":"Unsubscribe","Email":"j@example.com"}"#;
        assert!(read_json(InboundFormat::Postmark, unsub).is_empty());
        let open = r#"{"RecordType":"Open","Recipient":"j@example.com"}"#;
        assert!(read_json(InboundFormat::Postmark, open).is_empty());
    }

    #[test]
    fn sendgrid_events_in_one_body() {
        let json = r#"[
          {"email":"a@example.com","timestamp":1513299569,"smtp-id":"<k1@mail.example.org>","event":"bounce",
           "type":"bounce","status":"5.1.1","reason":"550 5.1.1 The email account that you tried to reach does not exist",
           "bounce_classification":"Invalid Address"},
          {"email":"b@example.com","timestamp":1513299569,"event":"bounce","type":"blocked","status":"5.7.1",
           "reason":"550 5.7.1 blocked","bounce_classification":"Reputation"},
          {"email":"c@example.com","timestamp":1513299569,"event":"spamreport"},
          {"email":"d@example.com","timestamp":1513299569,"event":"open"},
          {"email":"e@example.com","timestamp":1513299569,"event":"delivered","response":"250 OK"},
          {"email":"f@example.com","timestamp":1513299569,"event":"deferred","response":"400 try again"},
          {"email":"g@example.com","timestamp":1513299569,"event":"dropped","reason":"Bounced Address"}
        ]"#;
        let f = read_json(InboundFormat::Sendgrid, json);
        let got: Vec<_> = f.iter().map(|x| (x.address.as_ref().unwrap().as_str(), x.kind)).collect();
        assert_eq!(
            got,
            [
                ("a@example.com", FeedbackKind::HardBounce),
                ("b@example.com", FeedbackKind::SenderBlocked),
                ("c@example.com", FeedbackKind::Complaint),
                ("e@example.com", FeedbackKind::Delivered),
                ("f@example.com", FeedbackKind::Delayed),
                ("g@example.com", FeedbackKind::HardBounce),
            ]
        );
        assert_eq!(f[0].message_id.as_deref(), Some("<k1@mail.example.org>"));
        assert_eq!(f[0].at.timestamp(), 1_513_299_569);
    }

    #[test]
    fn mailgun_failed_complained_delivered() {
        let failed = r#"{"signature":{"timestamp":"1","token":"t","signature":"s"},"event-data":{"event":"failed",
            "severity":"permanent","reason":"bounce","recipient":"alice@example.com","timestamp":1521233195.375624,
            "delivery-status":{"code":550,"message":"","description":"5.1.1 The email account does not exist",
            "mx-host":"mx.example.com"},"message":{"headers":{"message-id":"k@mail.example.org"}}}}"#;
        let f = read_json(InboundFormat::Mailgun, failed);
        assert_eq!(
            (f[0].kind, f[0].reason.as_str(), f[0].reply_code),
            (FeedbackKind::HardBounce, "userunknown", Some(550))
        );
        assert_eq!(f[0].status.as_deref(), Some("5.1.1"));
        assert_eq!(f[0].remote_mta.as_deref(), Some("mx.example.com"));
        assert_eq!(f[0].message_id.as_deref(), Some("<k@mail.example.org>"));
        let temp = r#"{"event-data":{"event":"failed","severity":"temporary","recipient":"a@example.com",
            "delivery-status":{"code":452,"description":"4.2.2 Mailbox full"}}}"#;
        assert_eq!(read_json(InboundFormat::Mailgun, temp)[0].kind, FeedbackKind::Delayed);
        let complained = r#"{"event-data":{"event":"complained","recipient":"a@example.com"}}"#;
        assert_eq!(read_json(InboundFormat::Mailgun, complained)[0].kind, FeedbackKind::Complaint);
        let clicked = r#"{"event-data":{"event":"clicked","recipient":"a@example.com"}}"#;
        assert!(read_json(InboundFormat::Mailgun, clicked).is_empty());
    }

    #[test]
    fn malformed_bodies_name_what_is_wrong() {
        assert!(matches!(read(InboundFormat::Ses, b"{not json", now()), Err(ProviderError::Json(_))));
        assert_eq!(
            read(InboundFormat::Ses, b"{}", now()).unwrap_err().to_string(),
            "ses: field `notificationType` is missing or has the wrong type"
        );
        assert_eq!(
            read(InboundFormat::Sendgrid, b"{}", now()).unwrap_err(),
            ProviderError::Field { provider: "sendgrid", field: "(an array of events)" }
        );
        assert!(read(InboundFormat::Mailgun, br#"{"event-data":{}}"#, now()).is_err());
    }

    #[test]
    fn status_and_reply_codes_are_found_in_text() {
        assert_eq!(status_in("smtp; 550 5.1.1 <a@b>: no"), Some("5.1.1".into()));
        assert_eq!(status_in("version 15.2.3 of"), None);
        assert_eq!(status_in("nothing"), None);
        assert_eq!(reply_code_in("smtp;550 5.1.1 x"), Some(550));
        assert_eq!(reply_code_in("5501 x"), None);
        assert_eq!(reply_code_in("hello"), None);
    }
}

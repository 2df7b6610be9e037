//! Amazon SES notifications (bounce, complaint, delivery) delivered as
//! JSON in the body of an e-mail (SNS e-mail subscriptions). A small
//! field scanner, not a JSON parser: it looks up string values by key.

/// One recipient of an SES notification.
#[derive(Debug, Default)]
pub(crate) struct SesRecipient {
    pub address: String,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct SesNotice {
    /// `Bounce`, `Complaint`, `Delivery` or `DeliveryDelay`.
    pub kind: String,
    pub feedback_type: Option<String>,
    pub message_id: Option<String>,
    pub recipients: Vec<SesRecipient>,
}

/// Read the JSON string starting right after the opening quote.
fn read_string(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        out.push(c);
                    }
                }
                Some(other) => out.push(other),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

/// Every (offset, value) of `"key":"value"` in `json`.
fn values(json: &str, key: &str) -> Vec<(usize, String)> {
    let pat = format!("\"{key}\"");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = json[from..].find(&pat) {
        let at = from + p + pat.len();
        let rest = json[at..].trim_start();
        if let Some(rest) = rest.strip_prefix(':') {
            let rest = rest.trim_start();
            if let Some(v) = rest.strip_prefix('"') {
                out.push((at, read_string(v)));
            }
        }
        from = at;
    }
    out
}

fn first(json: &str, key: &str) -> Option<String> {
    values(json, key).into_iter().next().map(|(_, v)| v)
}

/// Parse an SES notification, if `body` holds one: the notification itself, or the SNS message
/// that carries it as the string value of `"Message"` (an SNS e-mail subscription in JSON format).
/// An SES record of another type (`Send`, `Open`, `Click`, SES's `Received` for inbound mail) is
/// one too, with its type and no recipients: no report (`is_report`). Another service's JSON with
/// an `eventType` is none.
pub(crate) fn parse(body: &str) -> Option<SesNotice> {
    let start = body.find('{')?;
    let json = &body[start..];
    if let Some(kind) = kind_of(json) {
        return Some(notice(json, kind));
    }
    let inner = first(json, "Message").filter(|m| m.trim_start().starts_with('{'))?;
    Some(notice(&inner, kind_of(&inner)?))
}

/// The notification's type (`notificationType`, or `eventType` in an event publishing record),
/// when the record is SES's: a report's type, or any type beside SES's `"mail"` object.
fn kind_of(json: &str) -> Option<String> {
    first(json, "notificationType")
        .or_else(|| first(json, "eventType"))
        .filter(|k| is_report(k) || json.contains("\"mail\""))
}

/// The record reports on a delivery: `Bounce`, `Complaint`, `Delivery` or `DeliveryDelay`.
pub(crate) fn is_report(kind: &str) -> bool {
    ["Bounce", "Complaint", "Delivery", "DeliveryDelay"].contains(&kind)
}

fn notice(json: &str, kind: String) -> SesNotice {
    let mut notice = SesNotice {
        feedback_type: first(json, "complaintFeedbackType"),
        message_id: first(json, "messageId"),
        ..Default::default()
    };
    let addresses: Vec<(usize, String)> = match kind.as_str() {
        // (A delay names them in "delayedRecipients".)
        "Bounce" | "Complaint" | "DeliveryDelay" => values(json, "emailAddress"),
        "Delivery" => {
            // "recipients":["a@b"]
            let mut v = Vec::new();
            if let Some(p) = json.find("\"recipients\"") {
                let rest = &json[p..];
                if let (Some(a), Some(b)) = (rest.find('['), rest.find(']'))
                    && a < b
                {
                    for part in rest[a + 1..b].split(',') {
                        let a = part.trim().trim_matches('"').to_string();
                        if a.contains('@') {
                            v.push((p, a));
                        }
                    }
                }
            }
            v
        }
        _ => Vec::new(),
    };
    let statuses = values(json, "status");
    let diags = values(json, "diagnosticCode");
    let mtas = values(json, "reportingMTA");
    let smtp = first(json, "smtpResponse");
    for (i, (pos, address)) in addresses.iter().enumerate() {
        let next = addresses.get(i + 1).map_or(usize::MAX, |(p, _)| *p);
        // The first value after this address and before the next one (the lists are in text order).
        let near = |list: &[(usize, String)]| {
            list.get(list.partition_point(|(p, _)| *p <= *pos)).filter(|(p, _)| *p < next).map(|(_, v)| v.clone())
        };
        notice.recipients.push(SesRecipient {
            address: address.clone(),
            status: near(&statuses),
            diagnostic: near(&diags).or_else(|| smtp.clone()),
            remote_mta: mtas.first().map(|(_, v)| v.trim_start_matches("dsn;").trim().to_string()),
        });
    }
    notice.kind = kind;
    notice
}

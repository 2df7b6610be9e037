//! The feedback worker: reads what the receivers stored (bounces by SMTP or IMAP, provider webhooks)
//! and has the store act on it.
//!
//! One pipeline for every source: an inbound item is claimed by lease, read ([`read_item`]: a mail
//! message through [`kurier_bounce::parse`], a webhook body through [`providers`]), and handed to
//! [`Store::complete_inbound`], which attributes each recipient to the message it is about, applies
//! the [`FeedbackPolicy`] and raises alerts, in one transaction.
//!
//! Attribution starts here: a bounce sent to a VERP return path (`b-{key}-{sig}@bounce domain`) names
//! its message. The envelope recipient is checked first; a mailbox read over IMAP has none, so the
//! message itself is searched for a return path with a valid signature (DSNs and ARF reports quote
//! the original headers, `Return-Path` included). A bounce sent to a return path whose signature does
//! not verify is forged or altered: it is parked as failed, and nothing is done about it.

pub mod providers;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kurier_bounce::{Kind, Reason, Report};
use kurier_core::{EmailAddress, FeedbackKind, FeedbackPolicy, MessageKey, Secret};
use kurier_store::{Feedback, InboundFormat, InboundItem, NewInbound, Store};
use tokio::time::sleep;

pub use providers::ProviderError;

/// How the feedback worker claims and waits.
#[derive(Clone, Debug)]
pub struct FeedbackConfig {
    pub node_id: String,
    pub policy: FeedbackPolicy,
    /// Items claimed per transaction.
    pub batch_size: u32,
    pub lease: Duration,
    /// Longest sleep while nothing is pending (other nodes on a shared database cannot wake us).
    pub max_idle_sleep: Duration,
    /// A store error retries the item after this long, up to `max_attempts` attempts.
    pub retry_after: Duration,
    pub max_attempts: u32,
    /// How often open rate alerts are judged again without new feedback (the window moves on, a
    /// paused campaign gets no feedback), so they resolve once their rate is back to normal.
    pub rejudge_every: Duration,
}

impl Default for FeedbackConfig {
    fn default() -> Self {
        Self {
            node_id: crate::default_node_id(),
            policy: FeedbackPolicy::default(),
            batch_size: 64,
            lease: Duration::from_secs(5 * 60),
            max_idle_sleep: Duration::from_secs(5),
            retry_after: Duration::from_secs(60),
            max_attempts: 10,
            rejudge_every: Duration::from_secs(10 * 60),
        }
    }
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedbackReport {
    /// Items acted on (including those that held no feedback).
    pub items: u64,
    /// Recipients recorded.
    pub recipients: u64,
    /// Addresses suppressed (hard bounces, complaints, escalated soft bounces).
    pub suppressed: u64,
    pub alerts: u64,
    /// Items parked as failed (unreadable, forged) or given back for a retry.
    pub failed: u64,
}

/// Why an item was not acted on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("sent to return path {0} whose signature does not verify: a forged or altered bounce")]
    ForgedReturnPath(String),
    #[error(transparent)]
    Provider(#[from] ProviderError),
}

/// Reads an inbound item into feedback, one entry per recipient it names.
pub fn read_item(item: &InboundItem, secret: &Secret) -> Result<Vec<Feedback>, ReadError> {
    match item.format {
        InboundFormat::Mail => read_mail(&item.recipients, &item.payload, item.received_at, secret),
        format => Ok(providers::read(format, &item.payload, item.received_at)?),
    }
}

/// Reads a received mail message.
pub fn read_mail(
    envelope: &[String],
    raw: &[u8],
    received: DateTime<Utc>,
    secret: &Secret,
) -> Result<Vec<Feedback>, ReadError> {
    let key = verp_key(envelope, raw, secret)?;
    let report = kurier_bounce::parse(raw);
    Ok(feedback_of(&report, key, received))
}

/// The message key of the VERP return path the bounce came back to: from the envelope, else from
/// the message text. Errors when the envelope names one of our return paths with a bad signature.
fn verp_key(envelope: &[String], raw: &[u8], secret: &Secret) -> Result<Option<MessageKey>, ReadError> {
    for rcpt in envelope {
        let local = rcpt.trim().trim_start_matches('<').trim_end_matches('>');
        let local = local.rsplit_once('@').map_or(local, |(l, _)| l);
        if !local.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("b-")) {
            continue;
        }
        return match MessageKey::from_verp_local(local, secret) {
            Some(key) => Ok(Some(key)),
            None => Err(ReadError::ForgedReturnPath(rcpt.clone())),
        };
    }
    Ok(verp_in_text(raw, secret))
}

/// The first VERP local part in the text whose signature verifies.
fn verp_in_text(raw: &[u8], secret: &Secret) -> Option<MessageKey> {
    let is_part = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    let mut from = 0;
    while let Some(pos) = memchr::memmem::find(&raw[from..], b"b-").map(|p| p + from) {
        from = pos + 2;
        if pos > 0 && is_part(raw[pos - 1]) {
            continue;
        }
        let end = raw[pos..].iter().position(|&b| !is_part(b)).map_or(raw.len(), |n| pos + n);
        // `b-` + 26 key characters + `-` + 16 signature characters, followed by the domain.
        if end - pos < 40 || raw.get(end) != Some(&b'@') {
            continue;
        }
        if let Some(key) = std::str::from_utf8(&raw[pos..end]).ok().and_then(|l| MessageKey::from_verp_local(l, secret))
        {
            return Some(key);
        }
    }
    None
}

/// One feedback entry per recipient of a parsed report.
fn feedback_of(report: &Report, key: Option<MessageKey>, received: DateTime<Utc>) -> Vec<Feedback> {
    let kind_of = |r: &kurier_bounce::Recipient| match report.kind {
        Kind::Complaint => FeedbackKind::of_report(report.feedback_type.as_deref()),
        Kind::AutoReply => FeedbackKind::AutoReply,
        _ if r.reason == Reason::Delivered => FeedbackKind::Delivered,
        // A warning that the sending server goes on trying: its final report follows. (One that
        // blames the sender, a rate limit or a block, still raises a reputation alert.)
        _ if r.action.as_deref().is_some_and(|a| a.starts_with("delay")) && !r.reason.blames_sender() => {
            FeedbackKind::Delayed
        }
        _ => FeedbackKind::of_failure(r.hard, r.reason.blames_sender()),
    };
    if report.kind == Kind::NotBounce {
        return Vec::new();
    }
    report
        .recipients
        .iter()
        .map(|r| Feedback {
            kind: kind_of(r),
            reason: r.reason.as_str().to_string(),
            address: r.address.as_deref().and_then(|a| EmailAddress::parse(a).ok()),
            status: r.status.clone(),
            reply_code: r.reply_code,
            diagnostic: r.diagnostic.clone(),
            remote_mta: r.remote_mta.clone(),
            feedback_type: report.feedback_type.clone(),
            message_key: key.clone(),
            message_id: report.original_message_id.clone(),
            at: received,
        })
        .collect()
}

/// The receivers keep what they receive in the store's inbound queue.
impl crate::inbound::InboundSink for Store {
    async fn accept(&self, mail: crate::inbound::InboundMail) -> anyhow::Result<()> {
        let item = NewInbound {
            source: mail.source.as_str(),
            format: InboundFormat::Mail,
            recipients: &mail.recipients,
            dedupe_key: mail.dedupe_key.as_deref(),
            payload: &mail.raw,
        };
        self.enqueue_inbound(&item, Utc::now()).await?;
        Ok(())
    }
}

/// Claims inbound items and acts on them.
#[derive(Clone, Debug)]
pub struct FeedbackWorker {
    store: Store,
    secret: Arc<Secret>,
    config: FeedbackConfig,
}

impl FeedbackWorker {
    pub fn new(store: Store, secret: Arc<Secret>, config: FeedbackConfig) -> Self {
        Self { store, secret, config }
    }

    /// Works until `shutdown` completes; an item under way is finished first.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> anyhow::Result<FeedbackReport> {
        let mut total = FeedbackReport::default();
        let wakeup = self.store.inbound_wakeup();
        let mut shutdown = std::pin::pin!(shutdown);
        let mut rejudged = tokio::time::Instant::now();
        loop {
            if rejudged.elapsed() >= self.config.rejudge_every {
                rejudged = tokio::time::Instant::now();
                match self.store.rejudge_open_alerts(&self.config.policy, Utc::now()).await {
                    Ok(raised) => total.alerts += raised.len() as u64,
                    Err(e) => tracing::error!(error = %e, "feedback worker: judging open alerts again failed"),
                }
            }
            match self.batch(&mut total).await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(e) => tracing::error!(error = %e, "feedback worker: store error; retrying"),
            }
            tokio::select! {
                () = &mut shutdown => return Ok(total),
                () = wakeup.notified() => {}
                () = sleep(self.config.max_idle_sleep) => {}
            }
        }
    }

    /// Acts on everything pending now, then returns (tests, `kurier bounce` commands).
    pub async fn drain(&self) -> anyhow::Result<FeedbackReport> {
        let mut total = FeedbackReport::default();
        while self.batch(&mut total).await? > 0 {}
        Ok(total)
    }

    /// One claimed batch; returns how many items it held.
    async fn batch(&self, total: &mut FeedbackReport) -> anyhow::Result<usize> {
        let now = Utc::now();
        let items =
            self.store.claim_inbound(&self.config.node_id, now, self.config.lease, self.config.batch_size).await?;
        for item in &items {
            self.one(item, total).await?;
        }
        Ok(items.len())
    }

    async fn one(&self, item: &InboundItem, total: &mut FeedbackReport) -> anyhow::Result<()> {
        let feedback = match read_item(item, &self.secret) {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(item = item.id, source = %item.source, error = %e, "inbound item not acted on");
                self.store.fail_inbound(item, &e.to_string(), None).await?;
                total.failed += 1;
                return Ok(());
            }
        };
        match self.store.complete_inbound(item, &feedback, &self.config.policy, Utc::now()).await {
            Ok(done) => {
                total.items += u64::from(done.recorded);
                total.recipients += done.outcomes.len() as u64;
                total.suppressed += done
                    .outcomes
                    .iter()
                    .filter(|o| {
                        use kurier_store::FeedbackAction as A;
                        matches!(o.action, A::Suppressed | A::Unsubscribed | A::Escalated)
                    })
                    .count() as u64;
                total.alerts += done.alerts.len() as u64;
                Ok(())
            }
            Err(e) if e.is_transient() && item.attempts < self.config.max_attempts => {
                tracing::warn!(item = item.id, error = %e, "feedback not recorded; will retry");
                let retry = Utc::now() + self.config.retry_after;
                self.store.fail_inbound(item, &e.to_string(), Some(retry)).await?;
                total.failed += 1;
                Ok(())
            }
            Err(e) => {
                tracing::error!(item = item.id, error = %e, "feedback not recorded; parked");
                self.store.fail_inbound(item, &e.to_string(), None).await?;
                total.failed += 1;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new(vec![9; 32]).unwrap()
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    const DSN: &str = "From: MAILER-DAEMON@mx.example.net\r\nTo: {RCPT}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
        MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
        --b1\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\r\n\
        --b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\
        Final-Recipient: rfc822; anna@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\
        Diagnostic-Code: smtp; 550 5.1.1 <anna@example.net>: Recipient address rejected: User unknown\r\n\r\n\
        --b1\r\nContent-Type: text/rfc822-headers\r\n\r\nReturn-Path: <{RCPT}>\r\nMessage-ID: <m1@mail.example.org>\r\n\
        Subject: Hallo\r\n\r\n--b1--\r\n";

    #[test]
    fn a_dsn_to_our_return_path_names_the_message() {
        let key = MessageKey::from_bytes([3; 16]);
        let rcpt = format!("{}@bounces.example.org", key.verp_local(&secret()));
        let raw = DSN.replace("{RCPT}", &rcpt);
        let f = read_mail(std::slice::from_ref(&rcpt), raw.as_bytes(), now(), &secret()).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!((f[0].kind, f[0].reason.as_str()), (FeedbackKind::HardBounce, "userunknown"));
        assert_eq!(f[0].message_key, Some(key.clone()));
        assert_eq!(f[0].message_id.as_deref(), Some("m1@mail.example.org"));
        assert_eq!(f[0].address.as_ref().unwrap().as_str(), "anna@example.net");
        // Read from a mailbox (no envelope): the quoted Return-Path still names the message.
        let f = read_mail(&[], raw.as_bytes(), now(), &secret()).unwrap();
        assert_eq!(f[0].message_key, Some(key));
    }

    #[test]
    fn a_forged_return_path_is_refused_and_a_foreign_one_ignored() {
        let key = MessageKey::from_bytes([3; 16]);
        let good = key.verp_local(&secret());
        let forged = format!("{}aaaa@bounces.example.org", &good[..good.len() - 4]);
        let raw = DSN.replace("{RCPT}", &forged);
        let err = read_mail(std::slice::from_ref(&forged), raw.as_bytes(), now(), &secret()).unwrap_err();
        assert_eq!(err, ReadError::ForgedReturnPath(forged.clone()));
        // Signed with another secret: not ours, not believed.
        let other = Secret::new(vec![1; 32]).unwrap();
        let raw = DSN.replace("{RCPT}", &format!("{}@bounces.example.org", key.verp_local(&other)));
        let f = read_mail(&[], raw.as_bytes(), now(), &secret()).unwrap();
        assert_eq!(f[0].message_key, None, "falls back to Message-ID and recipient");
        // Mail to postmaster at the bounce domain has no return path in the envelope.
        let f = read_mail(&["postmaster@bounces.example.org".into()], raw.as_bytes(), now(), &secret()).unwrap();
        assert_eq!(f.len(), 1);
    }

    /// An ARF report of the given feedback type about message `m1@mail.example.org`.
    fn arf(feedback_type: &str) -> String {
        format!(
            "From: feedback@fbl.example.net\r\nTo: fbl@example.org\r\nSubject: FW: Angebot\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=feedback-report; boundary=\"b1\"\r\n\r\n\
             --b1\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n\r\n\
             --b1\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: {feedback_type}\r\n\
             User-Agent: FBL/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: anna@example.net\r\n\r\n\
             --b1\r\nContent-Type: message/rfc822\r\n\r\nFrom: news@example.org\r\nTo: anna@example.net\r\n\
             Message-ID: <m1@mail.example.org>\r\nSubject: Angebot\r\n\r\nHallo\r\n--b1--\r\n"
        )
    }

    #[test]
    fn feedback_reports_are_complaints_only_when_they_report_spam() {
        let kinds = ["abuse", "opt-out", "not-spam", "auth-failure", "fraud"].map(|t| {
            let f = read_mail(&[], arf(t).as_bytes(), now(), &secret()).unwrap();
            assert_eq!(f.len(), 1, "{t}");
            assert_eq!(f[0].feedback_type.as_deref(), Some(t));
            assert_eq!(f[0].message_id.as_deref(), Some("m1@mail.example.org"), "{t}");
            f[0].kind
        });
        assert_eq!(
            kinds,
            [
                FeedbackKind::Complaint,
                FeedbackKind::OptOut,
                FeedbackKind::NotSpam,
                FeedbackKind::SenderReport,
                FeedbackKind::Complaint
            ]
        );
        // Apple Mail's unsubscribe mail is an opt-out too.
        let apple = b"From: anna@example.net\r\nTo: unsubscribe@example.org\r\nSubject: Unsubscribe\r\n\
            X-Apple-Unsubscribe: true\r\n\r\nApple Mail sent this email to unsubscribe from the message\r\n";
        let f = read_mail(&[], apple, now(), &secret()).unwrap();
        assert_eq!(f.iter().map(|x| x.kind).collect::<Vec<_>>(), [FeedbackKind::OptOut]);
    }

    /// A warning that the server goes on trying is recorded as a delay, not a soft bounce: the
    /// final report follows and would count the same message again.
    #[test]
    fn delay_warnings_are_no_soft_bounces() {
        let dsn = |action: &str, status: &str| {
            format!(
                "From: MAILER-DAEMON@mx.example.net\r\nTo: news@example.org\r\nSubject: Delayed Mail (still being retried)\r\n\
                 MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n\
                 --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n\
                 Final-Recipient: rfc822; anna@example.de\r\nAction: {action}\r\nStatus: {status}\r\n\
                 Diagnostic-Code: smtp; 452 {status} Mailbox full\r\n--b--\r\n"
            )
        };
        let kind = |raw: &str| read_mail(&[], raw.as_bytes(), now(), &secret()).unwrap()[0].kind;
        assert_eq!(kind(&dsn("delayed", "4.2.2")), FeedbackKind::Delayed);
        assert_eq!(kind(&dsn("failed", "4.2.2")), FeedbackKind::SoftBounce);
        // Sendmail's warning says so in its subject, its report in plain text.
        let sendmail = "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\r\nTo: news@example.org\r\n\
            Subject: Warning: could not send message for past 4 hours\r\n\r\n\
            **********************************************\r\n\
            **      THIS IS A WARNING MESSAGE ONLY      **\r\n\
            **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\r\n\
            **********************************************\r\n\r\n\
            The original message was received at Mon, 7 Dec 2026 08:00:00 +0100\r\n\r\n\
               ----- Transcript of session follows -----\r\n\
            <anna@example.de>... Deferred: Connection timed out with mx.example.de.\r\n\
            Warning: message still undelivered after 4 hours\r\n\
            Will keep trying until message is 5 days old\r\n";
        assert_eq!(kind(sendmail), FeedbackKind::Delayed);
    }

    #[test]
    fn auto_replies_and_ordinary_mail() {
        let vacation = b"From: anna@example.net\r\nTo: news@example.org\r\nAuto-Submitted: auto-replied\r\n\
            Subject: Abwesenheitsnotiz\r\n\r\nIch bin bis zum 3. Juni nicht im Buero.\r\n";
        let f = read_mail(&[], vacation, now(), &secret()).unwrap();
        assert!(f.iter().all(|x| x.kind == FeedbackKind::AutoReply));
        let hello =
            b"From: anna@example.net\r\nTo: news@example.org\r\nSubject: Frage\r\n\r\nWann kommt der Katalog?\r\n";
        assert!(read_mail(&[], hello, now(), &secret()).unwrap().is_empty());
    }
}

//! What an SMTP attempt's failure means for the message and for the address.
//!
//! The rule, in order:
//! - A 4xx reply, a lost or refused connection, a timeout, a TLS or AUTH problem: the message is
//!   **deferred** and retried by [`RetryPolicy`]; once the policy gives up it **failed**. Trouble while
//!   connecting is deferred even when the reply is 5xx: it concerns our relay set-up, not this message.
//! - A 5xx reply to `MAIL FROM` or `DATA`: **failed**. It is about the sender or the message, never a
//!   reason to suppress the recipient.
//! - A 5xx reply to `RCPT TO`: **bounced** (the address is suppressed) only when it is about the
//!   mailbox. With an enhanced status code (RFC 3463) that is `5.1.x` (bad address, no such user,
//!   no such domain; except 5.1.7/5.1.8, which are about the *sender*) or `5.2.1` (mailbox
//!   disabled). `5.2.2` (mailbox full), `5.3.x` to `5.6.x` (system, network, protocol, content) and
//!   `5.7.x` (policy: relay denied, spam, blocklists, SPF/DMARC) are **failed**: suppressing the
//!   address would punish the recipient for our reputation or set-up. Without an enhanced code, 550,
//!   551, 553, 521 and 556 bounce unless the text speaks of relaying, spam, blocking, policy or the
//!   sender; 552 and 554 fail.
//! - A 5xx reply at the end of the data bounces only with `5.1.x`/`5.2.1` (servers that check the
//!   recipient late); anything else there is about the content and fails.
//! - A message that cannot be sent as it is (an address lettre refuses, 8-bit content for a relay
//!   without 8BITMIME) fails without contacting anyone.

use std::fmt;

use chrono::{DateTime, Utc};
use kurier_core::RetryPolicy;
use kurier_store::DeliveryOutcome;

/// Where in the dialogue with the relay an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Before the message: TCP, TLS, greeting, EHLO, STARTTLS, AUTH.
    Connect,
    MailFrom,
    RcptTo,
    Data,
    /// The reply to the message's content (after the final dot).
    Message,
    /// Nothing was sent: the message cannot go out as it is.
    Local,
}

impl Stage {
    fn label(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::MailFrom => "MAIL FROM",
            Self::RcptTo => "RCPT TO",
            Self::Data => "DATA",
            Self::Message => "end of data",
            Self::Local => "not sent",
        }
    }
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The relay answered with a negative reply.
    Reply { code: u16, text: String },
    /// The connection could not be made, broke, or timed out; TLS or AUTH failed.
    Network(String),
    /// The message cannot be sent as it is.
    Local(String),
}

/// A failed attempt: where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptError {
    pub stage: Stage,
    pub failure: Failure,
}

impl AttemptError {
    pub fn new(stage: Stage, failure: Failure) -> Self {
        Self { stage, failure }
    }

    /// The reply code, when the relay gave one.
    pub fn code(&self) -> Option<u16> {
        match self.failure {
            Failure::Reply { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            Failure::Reply { code, text } if text.is_empty() => write!(f, "{}: {code}", self.stage.label()),
            Failure::Reply { code, text } => write!(f, "{}: {code} {text}", self.stage.label()),
            Failure::Network(e) | Failure::Local(e) => write!(f, "{}: {e}", self.stage.label()),
        }
    }
}

impl std::error::Error for AttemptError {}

/// The outcome to record for a failed attempt (`attempts` counts this one).
pub fn classify(err: &AttemptError, attempts: u32, retry: &RetryPolicy, now: DateTime<Utc>) -> DeliveryOutcome {
    let error = err.to_string();
    let defer = |error: String| defer_or_give_up(error, attempts, retry, now);
    match (&err.failure, err.stage) {
        (Failure::Local(_), _) => DeliveryOutcome::Failed { error },
        (Failure::Network(_), _) | (Failure::Reply { .. }, Stage::Connect) => defer(error),
        (Failure::Reply { code, .. }, _) if *code < 500 => defer(error),
        (Failure::Reply { code, text }, Stage::RcptTo) if recipient_refused(*code, text) => {
            DeliveryOutcome::Bounced { error }
        }
        (Failure::Reply { text, .. }, Stage::Message) if enhanced(text).is_some_and(mailbox_status) => {
            DeliveryOutcome::Bounced { error }
        }
        (Failure::Reply { .. }, _) => DeliveryOutcome::Failed { error },
    }
}

/// `Deferred` until `retry` gives up after `attempts` failed attempts, then `Failed`.
pub fn defer_or_give_up(error: String, attempts: u32, retry: &RetryPolicy, now: DateTime<Utc>) -> DeliveryOutcome {
    match retry.next_delay(attempts) {
        Some(delay) => DeliveryOutcome::Deferred {
            error,
            retry_at: now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX),
        },
        None => DeliveryOutcome::Failed { error: format!("{error} (gave up after {attempts} attempts)") },
    }
}

/// An RFC 3463 enhanced status code at the start of a reply text: `5.1.1 ...` gives `(5, 1, 1)`.
fn enhanced(text: &str) -> Option<(u16, u16, u16)> {
    let word = text.split_whitespace().next()?;
    let mut parts = word.split('.');
    let mut num = |max: usize| {
        parts.next().filter(|p| !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit()))?.parse().ok()
    };
    let (class, subject, detail) = (num(1)?, num(3)?, num(3)?);
    (parts.next().is_none() && matches!(class, 2 | 4 | 5)).then_some((class, subject, detail))
}

/// Whether an enhanced status code says the mailbox itself is bad or gone.
fn mailbox_status((class, subject, detail): (u16, u16, u16)) -> bool {
    class == 5 && ((subject == 1 && !matches!(detail, 7 | 8)) || (subject == 2 && detail == 1))
}

/// Whether a 5xx reply to RCPT TO refuses the recipient's address (rather than us or the message).
fn recipient_refused(code: u16, text: &str) -> bool {
    if let Some(status) = enhanced(text) {
        return mailbox_status(status);
    }
    const NOT_ABOUT_THE_ADDRESS: [&str; 14] = [
        "relay",
        "spam",
        "block",
        "blacklist",
        "denylist",
        "policy",
        "reputation",
        "sender",
        "rbl",
        "spf",
        "dmarc",
        "dkim",
        "rate limit",
        "authenticat",
    ];
    let lower = text.to_ascii_lowercase();
    matches!(code, 550 | 551 | 553 | 521 | 556) && !NOT_ABOUT_THE_ADDRESS.iter().any(|w| lower.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(stage: Stage, code: u16, text: &str) -> DeliveryOutcome {
        let err = AttemptError::new(stage, Failure::Reply { code, text: text.into() });
        classify(&err, 1, &RetryPolicy::default(), DateTime::UNIX_EPOCH)
    }

    fn kind(o: &DeliveryOutcome) -> &'static str {
        match o {
            DeliveryOutcome::Sent { .. } => "sent",
            DeliveryOutcome::Captured => "captured",
            DeliveryOutcome::Deferred { .. } => "deferred",
            DeliveryOutcome::Failed { .. } => "failed",
            DeliveryOutcome::Bounced { .. } => "bounced",
        }
    }

    #[test]
    fn recipient_refusals_bounce_everything_else_does_not() {
        use Stage::*;
        let cases = [
            (RcptTo, 550, "5.1.1 <anna@example.de>: Recipient address rejected: User unknown", "bounced"),
            (RcptTo, 550, "5.1.10 Null MX", "bounced"),
            (RcptTo, 550, "5.2.1 Mailbox disabled", "bounced"),
            (RcptTo, 550, "No such user here", "bounced"),
            (RcptTo, 553, "mailbox name not allowed", "bounced"),
            (RcptTo, 556, "domain does not accept mail", "bounced"),
            (RcptTo, 552, "5.2.2 Mailbox full", "failed"),
            (RcptTo, 554, "5.7.1 <anna@example.de>: Relay access denied", "failed"),
            (RcptTo, 550, "5.7.1 Message rejected as spam", "failed"),
            (RcptTo, 550, "5.1.8 Bad sender's system address", "failed"),
            (RcptTo, 550, "Relaying denied", "failed"),
            (RcptTo, 550, "Service unavailable; client host blocked using zen.spamhaus.org", "failed"),
            (RcptTo, 554, "Transaction failed", "failed"),
            (MailFrom, 550, "5.1.1 sender unknown", "failed"),
            (MailFrom, 553, "5.7.1 Sender address rejected: not owned by user", "failed"),
            (Data, 554, "5.5.1 No valid recipients", "failed"),
            (Message, 554, "5.7.1 Message rejected: content", "failed"),
            (Message, 550, "5.1.1 Recipient unknown (late check)", "bounced"),
            (Message, 552, "5.3.4 Message too big", "failed"),
            (RcptTo, 450, "4.2.0 Greylisted", "deferred"),
            (MailFrom, 421, "4.7.0 Try again later, closing connection", "deferred"),
            (Message, 451, "4.3.0 Temporary failure", "deferred"),
            (Connect, 554, "5.7.1 You are not welcome here", "deferred"),
            (Connect, 535, "5.7.8 Authentication credentials invalid", "deferred"),
        ];
        for (stage, code, text, want) in cases {
            assert_eq!(kind(&at(stage, code, text)), want, "{stage:?} {code} {text}");
        }
    }

    #[test]
    fn errors_say_where_and_what() {
        match at(Stage::RcptTo, 550, "5.1.1 no such user") {
            DeliveryOutcome::Bounced { error } => assert_eq!(error, "RCPT TO: 550 5.1.1 no such user"),
            other => panic!("{other:?}"),
        }
        let net = AttemptError::new(Stage::Connect, Failure::Network("connection refused".into()));
        assert_eq!(net.to_string(), "connect: connection refused");
        assert_eq!(net.code(), None);
    }

    #[test]
    fn deferrals_follow_the_retry_policy_then_give_up() {
        let err = AttemptError::new(Stage::RcptTo, Failure::Reply { code: 450, text: "4.2.1 busy".into() });
        let policy = RetryPolicy::default();
        let now = DateTime::UNIX_EPOCH;
        match classify(&err, 2, &policy, now) {
            DeliveryOutcome::Deferred { retry_at, error } => {
                assert_eq!(retry_at, now + chrono::Duration::minutes(5));
                assert_eq!(error, "RCPT TO: 450 4.2.1 busy");
            }
            other => panic!("{other:?}"),
        }
        match classify(&err, policy.max_attempts, &policy, now) {
            DeliveryOutcome::Failed { error } => assert!(error.contains("gave up after 16 attempts"), "{error}"),
            other => panic!("{other:?}"),
        }
        let local = AttemptError::new(Stage::Local, Failure::Local("8-bit content".into()));
        assert_eq!(kind(&classify(&local, 1, &policy, now)), "failed");
    }

    #[test]
    fn enhanced_codes() {
        assert_eq!(enhanced("5.1.1 x"), Some((5, 1, 1)));
        assert_eq!(enhanced("4.7.0"), Some((4, 7, 0)));
        assert_eq!(enhanced("5.1.10 Null MX"), Some((5, 1, 10)));
        assert_eq!(enhanced("1.2.3 x"), None);
        assert_eq!(enhanced("Mailbox 5.1.1"), None);
        assert_eq!(enhanced("5.1 x"), None);
        assert_eq!(enhanced(""), None);
    }
}

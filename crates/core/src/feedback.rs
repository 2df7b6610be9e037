//! What comes back after sending, and the rules that act on it: when a soft bounce becomes a
//! suppression, and when a bounce or complaint rate is worth a warning or a stop.
//!
//! The rates are those mailbox providers judge a sender by: hard bounces and complaints per message
//! handed off, over a rolling window (30 days). The defaults follow what Google, Yahoo and Microsoft
//! publish for bulk senders: bounces under 2% (5% is critical), complaints under 0.1% (0.3% is where
//! Gmail starts rejecting).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What one piece of feedback says about one recipient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// A permanent failure that says the address is bad (user unknown, host unknown, ...).
    HardBounce,
    /// A temporary failure (mailbox full, greylisted, ...): counted towards escalation.
    SoftBounce,
    /// A failure that blames the sender, not the address (blocked, spam detected, DMARC policy):
    /// never suppresses the recipient, raises a sender-reputation alert instead.
    SenderBlocked,
    /// The recipient marked the message as spam (ARF report, provider webhook).
    Complaint,
    /// The recipient asked to be taken off (ARF `opt-out`, Apple Mail's unsubscribe mail): an
    /// unsubscribe, not a spam complaint. Ends every subscription; neither suppresses the address
    /// (mail the person asked for, such as an order confirmation, still goes out) nor counts in the
    /// complaint rate, which mailbox providers keep for spam reports.
    OptOut,
    /// A report that the message is not spam (ARF `not-spam`, sent to correct an earlier verdict):
    /// changes nothing.
    NotSpam,
    /// A report about the sender's mail rather than the recipient's wish (ARF `auth-failure`: the
    /// message failed SPF, DKIM or DMARC; `virus`): a sender-reputation alert; the recipient did not
    /// complain and is neither suppressed nor unsubscribed.
    SenderReport,
    /// A vacation notice or other auto-reply: changes nothing.
    AutoReply,
    /// The receiving server confirmed delivery (provider webhooks): ends a soft-bounce streak.
    Delivered,
    /// A warning that delivery is delayed and still being tried (a DSN's `Action: delayed`, SES
    /// `DeliveryDelay`, "Warning: could not send message for past 4 hours"): recorded only. It is no soft
    /// bounce (the sending server's final report, delivered or failed, follows; counting both would
    /// count one message twice) and no delivery.
    Delayed,
}

impl FeedbackKind {
    pub const ALL: [Self; 10] = [
        Self::HardBounce,
        Self::SoftBounce,
        Self::SenderBlocked,
        Self::Complaint,
        Self::OptOut,
        Self::NotSpam,
        Self::SenderReport,
        Self::AutoReply,
        Self::Delivered,
        Self::Delayed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::HardBounce => "hard_bounce",
            Self::SoftBounce => "soft_bounce",
            Self::SenderBlocked => "sender_blocked",
            Self::Complaint => "complaint",
            Self::OptOut => "opt_out",
            Self::NotSpam => "not_spam",
            Self::SenderReport => "sender_report",
            Self::AutoReply => "auto_reply",
            Self::Delivered => "delivered",
            Self::Delayed => "delayed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind of a feedback report (ARF, a provider's complaint notification) by its feedback
    /// type (RFC 5965, RFC 6591, and the `not-spam` and `opt-out` types that providers send):
    /// a spam report unless the type says otherwise. `fraud` is the recipient's report of phishing,
    /// a complaint like `abuse`.
    pub fn of_report(feedback_type: Option<&str>) -> Self {
        let Some(t) = feedback_type.map(str::trim) else { return Self::Complaint };
        if t.eq_ignore_ascii_case("opt-out") || t.eq_ignore_ascii_case("optout") {
            Self::OptOut
        } else if t.eq_ignore_ascii_case("not-spam") {
            Self::NotSpam
        } else if t.eq_ignore_ascii_case("auth-failure") || t.eq_ignore_ascii_case("virus") {
            Self::SenderReport
        } else {
            Self::Complaint
        }
    }

    /// The kind of a failed recipient, from its hard/soft verdict and whether its reason blames the
    /// sender. Sender-blaming reasons win: a `550 5.7.1 blocked by Spamhaus` is permanent, but the
    /// address is fine.
    pub fn of_failure(hard: bool, blames_sender: bool) -> Self {
        match (hard, blames_sender) {
            (_, true) => Self::SenderBlocked,
            (true, false) => Self::HardBounce,
            (false, false) => Self::SoftBounce,
        }
    }
}

/// When soft bounces add up to a suppression: `count` soft bounces in a row (no delivery between)
/// that span at least `span`. The default, 3 over 7 days, keeps a mailbox that is full for a weekend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SoftBounceRule {
    pub count: u32,
    pub span: Duration,
}

impl Default for SoftBounceRule {
    fn default() -> Self {
        Self { count: 3, span: Duration::from_secs(7 * 24 * 3600) }
    }
}

impl SoftBounceRule {
    /// Whether a streak of `count` soft bounces, the first at `first_ms` and the last at `last_ms`
    /// (milliseconds), escalates.
    pub fn escalates(&self, count: u32, first_ms: i64, last_ms: i64) -> bool {
        let span_ms = i64::try_from(self.span.as_millis()).unwrap_or(i64::MAX);
        count >= self.count.max(1) && last_ms.saturating_sub(first_ms) >= span_ms
    }
}

/// How bad a rate is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLevel {
    Ok,
    Warn,
    Critical,
}

impl RateLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warn => "warn",
            Self::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Ok, Self::Warn, Self::Critical].into_iter().find(|l| l.as_str() == s)
    }
}

/// A warning and a critical threshold, as fractions (0.02 = 2%).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Threshold {
    pub warn: f64,
    pub critical: f64,
}

impl Threshold {
    /// The level of `count` events over `total` messages. Below `min_volume` messages a rate says
    /// too little (one bounce in ten mails is 10%) and the level stays `Ok`, unless the count alone
    /// already crosses the critical rate at `min_volume` (fifty bounces are bad news however few
    /// messages went out).
    pub fn level(&self, count: u64, total: u64, min_volume: u64) -> RateLevel {
        if total == 0 || count == 0 {
            return RateLevel::Ok;
        }
        let rate = count as f64 / total as f64;
        let floor = total.max(min_volume) as f64;
        if total < min_volume && (count as f64 / floor) < self.critical {
            return RateLevel::Ok;
        }
        if rate >= self.critical {
            RateLevel::Critical
        } else if rate >= self.warn {
            RateLevel::Warn
        } else {
            RateLevel::Ok
        }
    }
}

/// The thresholds rates are judged by, over a rolling window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RateThresholds {
    /// Hard bounces per message handed off.
    pub bounce: Threshold,
    /// Complaints per message handed off.
    pub complaint: Threshold,
    /// The rolling window, 30 days by default.
    #[serde(skip)]
    pub window: Duration,
    /// Fewer messages than this in the window give no warning (see [`Threshold::level`]).
    pub min_volume: u64,
}

impl Default for RateThresholds {
    fn default() -> Self {
        Self {
            bounce: Threshold { warn: 0.02, critical: 0.05 },
            complaint: Threshold { warn: 0.001, critical: 0.003 },
            window: Duration::from_secs(30 * 24 * 3600),
            min_volume: 100,
        }
    }
}

/// The rules the feedback pipeline applies.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeedbackPolicy {
    pub soft_bounce: SoftBounceRule,
    pub rates: RateThresholds,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600 * 1000;

    #[test]
    fn sender_blaming_reasons_never_count_as_hard_bounces() {
        assert_eq!(FeedbackKind::of_failure(true, true), FeedbackKind::SenderBlocked);
        assert_eq!(FeedbackKind::of_failure(false, true), FeedbackKind::SenderBlocked);
        assert_eq!(FeedbackKind::of_failure(true, false), FeedbackKind::HardBounce);
        assert_eq!(FeedbackKind::of_failure(false, false), FeedbackKind::SoftBounce);
        for k in FeedbackKind::ALL {
            assert_eq!(FeedbackKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(FeedbackKind::parse("bounce"), None);
    }

    #[test]
    fn only_spam_reports_are_complaints() {
        for t in [None, Some("abuse"), Some("fraud"), Some("other"), Some("Abuse"), Some("something-new")] {
            assert_eq!(FeedbackKind::of_report(t), FeedbackKind::Complaint, "{t:?}");
        }
        assert_eq!(FeedbackKind::of_report(Some("opt-out")), FeedbackKind::OptOut);
        assert_eq!(FeedbackKind::of_report(Some(" Opt-Out ")), FeedbackKind::OptOut);
        assert_eq!(FeedbackKind::of_report(Some("not-spam")), FeedbackKind::NotSpam);
        assert_eq!(FeedbackKind::of_report(Some("auth-failure")), FeedbackKind::SenderReport);
        assert_eq!(FeedbackKind::of_report(Some("virus")), FeedbackKind::SenderReport);
    }

    #[test]
    fn soft_bounces_escalate_only_after_enough_of_them_over_enough_time() {
        let rule = SoftBounceRule::default();
        assert!(!rule.escalates(2, 0, 30 * DAY), "two are not enough");
        assert!(!rule.escalates(3, 0, 7 * DAY - 1), "three within a week are a full mailbox");
        assert!(rule.escalates(3, 0, 7 * DAY));
        assert!(rule.escalates(5, 0, 9 * DAY));
        let once = SoftBounceRule { count: 1, span: Duration::ZERO };
        assert!(once.escalates(1, 5, 5));
        let zero = SoftBounceRule { count: 0, span: Duration::ZERO };
        assert!(!zero.escalates(0, 0, 0), "a streak needs at least one bounce");
    }

    #[test]
    fn rate_levels_follow_the_thresholds() {
        let t = RateThresholds::default();
        assert_eq!(t.bounce.level(19, 1000, 100), RateLevel::Ok);
        assert_eq!(t.bounce.level(20, 1000, 100), RateLevel::Warn);
        assert_eq!(t.bounce.level(49, 1000, 100), RateLevel::Warn);
        assert_eq!(t.bounce.level(50, 1000, 100), RateLevel::Critical);
        assert_eq!(t.complaint.level(1, 1000, 100), RateLevel::Warn);
        assert_eq!(t.complaint.level(3, 1000, 100), RateLevel::Critical);
        assert_eq!(t.complaint.level(0, 1000, 100), RateLevel::Ok);
        assert_eq!(t.bounce.level(0, 0, 100), RateLevel::Ok);
    }

    #[test]
    fn small_volumes_need_a_count_that_is_critical_even_at_the_minimum_volume() {
        let t = RateThresholds::default();
        // One bounce in ten messages: 10%, but one bounce says little.
        assert_eq!(t.bounce.level(1, 10, 100), RateLevel::Ok);
        // Five bounces in forty: 5 of a notional 100 is critical already.
        assert_eq!(t.bounce.level(5, 40, 100), RateLevel::Critical);
        assert_eq!(t.bounce.level(4, 40, 100), RateLevel::Ok);
        assert_eq!(RateLevel::parse("warn"), Some(RateLevel::Warn));
        assert!(RateLevel::Critical > RateLevel::Warn);
    }
}

//! A message's life cycle (DESIGN.md "The message life cycle") and the retry rule for soft failures.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where a message stands. Every change of state is recorded with time and cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Draft,
    Preflight,
    Approved,
    Scheduled,
    Held,
    /// Waiting for the delivery engine.
    Ready,
    /// Leased by a delivery worker.
    Sending,
    /// Accepted by the relay.
    Sent,
    /// Kept by the capture transport instead of leaving the machine.
    Captured,
    Cancelled,
    /// Soft failure; retried at `next_attempt_at`.
    Deferred,
    Failed,
    Bounced,
    Complained,
    Recalled,
}

impl DeliveryState {
    pub const ALL: [Self; 15] = [
        Self::Draft,
        Self::Preflight,
        Self::Approved,
        Self::Scheduled,
        Self::Held,
        Self::Ready,
        Self::Sending,
        Self::Sent,
        Self::Captured,
        Self::Cancelled,
        Self::Deferred,
        Self::Failed,
        Self::Bounced,
        Self::Complained,
        Self::Recalled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Preflight => "preflight",
            Self::Approved => "approved",
            Self::Scheduled => "scheduled",
            Self::Held => "held",
            Self::Ready => "ready",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Captured => "captured",
            Self::Cancelled => "cancelled",
            Self::Deferred => "deferred",
            Self::Failed => "failed",
            Self::Bounced => "bounced",
            Self::Complained => "complained",
            Self::Recalled => "recalled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// True when nothing more will happen to the message by itself.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Sent
                | Self::Captured
                | Self::Cancelled
                | Self::Failed
                | Self::Bounced
                | Self::Complained
                | Self::Recalled
        )
    }

    /// Whether the delivery engine may claim a message in this state.
    pub fn is_claimable(self) -> bool {
        matches!(self, Self::Ready | Self::Deferred)
    }
}

/// Marketing mail needs consent for its list and carries unsubscribe headers; transactional mail
/// (a confirmation request, a receipt) is sent because the person asked for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Marketing,
    Transactional,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::Transactional => "transactional",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "marketing" => Some(Self::Marketing),
            "transactional" => Some(Self::Transactional),
            _ => None,
        }
    }
}

/// When to try again after a transient failure, and when to give up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delays after the 1st, 2nd, ... failed attempt; the last one repeats.
    pub delays: Vec<Duration>,
    /// Give up once this many attempts failed.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// About three days of retries, the usual MTA queue lifetime.
    fn default() -> Self {
        let m = |n: u64| Duration::from_secs(n * 60);
        Self { delays: vec![m(1), m(5), m(15), m(30), m(60), m(120), m(240), m(480)], max_attempts: 16 }
    }
}

impl RetryPolicy {
    /// The delay before the next attempt after `attempts` failed ones, or `None` to give up.
    pub fn next_delay(&self, attempts: u32) -> Option<Duration> {
        if attempts >= self.max_attempts || self.delays.is_empty() {
            return None;
        }
        let i = (attempts.max(1) as usize - 1).min(self.delays.len() - 1);
        Some(self.delays[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_and_classify() {
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(s.as_str()), Some(s));
        }
        assert!(DeliveryState::Captured.is_final());
        assert!(!DeliveryState::Deferred.is_final());
        assert!(DeliveryState::Deferred.is_claimable());
        assert!(!DeliveryState::Sending.is_claimable());
    }

    #[test]
    fn retry_backs_off_then_gives_up() {
        let p = RetryPolicy::default();
        assert_eq!(p.next_delay(1), Some(Duration::from_secs(60)));
        assert_eq!(p.next_delay(2), Some(Duration::from_secs(300)));
        assert_eq!(p.next_delay(15), Some(Duration::from_secs(480 * 60)));
        assert_eq!(p.next_delay(16), None);
        let total: u64 = (1..16).map(|a| p.next_delay(a).unwrap().as_secs()).sum();
        assert!(total > 2 * 86400 && total < 4 * 86400, "about three days, got {total}s");
    }
}

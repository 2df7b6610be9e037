//! A per-client limit on subscribe requests: at most `limit` in any `window` (a sliding log).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub(crate) struct Limiter {
    limit: usize,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Limiter {
    pub(crate) fn new(limit: u32, window: Duration) -> Self {
        Self { limit: limit as usize, window, seen: Mutex::new(HashMap::new()) }
    }

    /// Counts a request from `ip` at `now`; false when it is over the limit (and is then not counted).
    pub(crate) fn allow(&self, ip: IpAddr, now: Instant) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 100_000 {
            // Forget clients whose window has passed, so the table cannot grow without bound.
            seen.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < self.window));
        }
        let q = seen.entry(ip).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= self.window) {
            q.pop_front();
        }
        if q.len() >= self.limit {
            return false;
        }
        q.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_within_the_window() {
        let l = Limiter::new(2, Duration::from_secs(60));
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t0 = Instant::now();
        assert!(l.allow(a, t0));
        assert!(l.allow(a, t0 + Duration::from_secs(1)));
        assert!(!l.allow(a, t0 + Duration::from_secs(2)));
        assert!(l.allow(b, t0 + Duration::from_secs(2)), "another client has its own budget");
        // At 60.5 s the first request has left the window, the second (at 1 s) has not.
        let later = t0 + Duration::from_millis(60_500);
        assert!(l.allow(a, later), "the oldest request has left the window");
        assert!(!l.allow(a, later), "the one at 1 s still counts");
    }
}

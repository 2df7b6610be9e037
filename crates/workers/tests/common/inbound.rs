//! An [`InboundSink`] that keeps what it is given in memory, and can be told to fail.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use kurier_workers::inbound::{InboundMail, InboundSink};

#[derive(Clone, Default)]
pub struct MemorySink {
    mails: Arc<Mutex<Vec<InboundMail>>>,
    fail: Arc<AtomicBool>,
    /// Messages containing this fail.
    fail_when: Arc<Mutex<Option<Vec<u8>>>>,
    /// Calls to `accept`, kept or not.
    calls: Arc<Mutex<usize>>,
}

impl MemorySink {
    pub fn mails(&self) -> Vec<InboundMail> {
        self.mails.lock().unwrap().clone()
    }

    pub fn calls(&self) -> usize {
        *self.calls.lock().unwrap()
    }

    /// From now on, `accept` fails for messages that contain `pattern`.
    pub fn fail_when(&self, pattern: &[u8]) {
        *self.fail_when.lock().unwrap() = Some(pattern.to_vec());
    }

    /// From now on, `accept` fails (or works again).
    pub fn fail(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }
}

impl InboundSink for MemorySink {
    async fn accept(&self, mail: InboundMail) -> anyhow::Result<()> {
        *self.calls.lock().unwrap() += 1;
        let matches =
            self.fail_when.lock().unwrap().as_ref().is_some_and(|p| mail.raw.windows(p.len()).any(|w| w == p));
        if self.fail.load(Ordering::SeqCst) || matches {
            anyhow::bail!("the store is down (test)");
        }
        self.mails.lock().unwrap().push(mail);
        Ok(())
    }
}

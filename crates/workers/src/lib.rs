//! Kurier's background work: the delivery engine and the transports it hands mail to.
//!
//! - [`transport`]: where mail goes. [`Transport::Capture`] keeps it in the outbox (the default
//!   without `smtp_url`, like a local mail catcher); [`Transport::Smtp`] hands it to a relay over a
//!   pool of long-lived connections, configured by an `smtp_url` ([`SmtpConfig::from_url`]). The
//!   meaning of every SMTP failure (deferred, failed, or bounced and suppressed) is decided in one
//!   place, [`transport::classify`], and documented there.
//! - [`engine`]: [`DeliveryEngine`] claims due messages from the outbox by lease
//!   ([`kurier_store::Store::claim_batch`], which cancels messages to suppressed addresses or without
//!   consent in the same step), sends them over all connections in parallel, and records outcomes in
//!   batches. [`DeliveryEngine::run`] serves until shutdown; [`DeliveryEngine::drain`] delivers what
//!   is due now and returns, for tests and benchmarks.
//!
//! ```no_run
//! # async fn example(store: kurier_store::Store) -> anyhow::Result<()> {
//! use kurier_workers::{DeliveryEngine, EngineConfig, Transport};
//!
//! let transport = Transport::from_url(Some("smtp://relay.example.com:587?tls=required&pool=16"))?;
//! let engine = DeliveryEngine::new(store, transport, EngineConfig::default());
//! let report = engine.run(async { tokio::signal::ctrl_c().await.ok(); }).await?;
//! println!("sent {}", report.sent);
//! # Ok(()) }
//! ```
//!
//! - [`inbound`]: mail that comes back (bounces, complaints, replies). [`InboundSmtp`] is an SMTP
//!   server for the bounce domain; [`ImapPoller`] fetches a bounce mailbox over IMAP. Both hand each
//!   message to an [`InboundSink`] (the store's durable queue) and acknowledge it only once the sink
//!   kept it; parsing it is the feedback worker's job.
//!
//! - [`feedback`]: [`FeedbackWorker`] claims what the receivers and the provider webhooks stored,
//!   reads it (`kurier_bounce::parse` for mail, [`feedback::providers`] for webhook bodies), and has
//!   the store attribute and act on it ([`kurier_store::Store::complete_inbound`]). The store is the
//!   [`InboundSink`] of the receivers.
//!
//! Not here yet: per-destination throttling, the hold window and recall, the scheduler, flows.

pub mod engine;
pub mod feedback;
pub mod inbound;
pub mod transport;

pub use engine::{DeliveryEngine, DrainReport, EngineConfig, default_node_id};
pub use feedback::{FeedbackConfig, FeedbackReport, FeedbackWorker};
pub use inbound::{ImapConfig, ImapPoller, InboundMail, InboundSink, InboundSmtp, InboundSmtpConfig, InboundSource};
pub use transport::{SmtpConfig, SmtpTransport, SmtpUrlError, TlsMode, Transport, TransportError};

/// This machine's host name, when the system tells it and it is usable in EHLO and lease owners.
pub(crate) fn host_name() -> Option<String> {
    let name = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())?;
    let name = name.trim().to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    valid.then_some(name)
}

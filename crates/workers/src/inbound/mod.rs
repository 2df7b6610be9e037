//! Mail that comes back: bounces, complaints and auto-replies, received by the inbound SMTP listener
//! ([`smtp`]) or fetched from a mailbox over IMAP ([`imap`]), and handed to an [`InboundSink`].
//!
//! The sink is the durable queue in the store: a message is acknowledged to its sender (SMTP `250`
//! after `DATA`, IMAP `\Deleted`/move) only after the sink has kept it, so nothing is lost when the
//! process stops in between. Parsing and acting on it happen later, in the feedback worker.

use std::future::Future;

pub mod imap;
mod lines;
pub mod smtp;

pub use imap::{AfterFetch, ImapConfig, ImapError, ImapOAuth, ImapPoller, ImapTls, ImapUrlError, PollReport};
pub use smtp::{InboundSmtp, InboundSmtpConfig, InboundSmtpError, ServeReport};

/// Where an inbound message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboundSource {
    /// Received by the inbound SMTP server ([`smtp::InboundSmtp`]).
    Smtp,
    /// Fetched from a mailbox ([`imap::ImapPoller`]).
    Imap,
}

impl InboundSource {
    /// `smtp` or `imap`, for storage and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            InboundSource::Smtp => "smtp",
            InboundSource::Imap => "imap",
        }
    }
}

/// One received message, as it arrived (SMTP puts `Return-Path:` and `Received:` on top, as a
/// final destination must).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundMail {
    pub source: InboundSource,
    /// The envelope recipients (SMTP `RCPT TO`, without angle brackets); empty for IMAP, where the
    /// headers (`Delivered-To`, `X-Original-To`, `To`) stand in for them.
    pub recipients: Vec<String>,
    /// A key that names this message at its source, so that fetching it twice stores it once
    /// (IMAP: `imap:{host}:{mailbox}:{uidvalidity}:{uid}`); `None` for SMTP.
    pub dedupe_key: Option<String>,
    /// The message bytes (CRLF line endings, dot-unstuffed).
    pub raw: Vec<u8>,
}

/// Keeps inbound messages durably. `accept` returns only once the message is stored; an error means
/// it was not stored and the sender should be told to try again (SMTP `451`).
pub trait InboundSink: Clone + Send + Sync + 'static {
    fn accept(&self, mail: InboundMail) -> impl Future<Output = anyhow::Result<()>> + Send;
}

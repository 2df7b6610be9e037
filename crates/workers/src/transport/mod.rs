//! Where delivered mail goes: kept in the outbox ([`Transport::Capture`]) or handed to an SMTP relay
//! ([`Transport::Smtp`]), and what each attempt's result means ([`classify`]).

mod classify;
mod config;
mod smtp;
mod stream;

use kurier_core::RetryPolicy;
use kurier_store::{ClaimedMessage, DeliveryOutcome};

pub use classify::{AttemptError, Failure, Stage, classify, defer_or_give_up};
pub use config::{SmtpConfig, SmtpCredentials, SmtpUrlError, TlsMode};
pub use smtp::SmtpTransport;

/// Why a transport could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error(transparent)]
    Url(#[from] SmtpUrlError),
    #[error("smtp_url: TLS set-up failed: {0}")]
    Tls(String),
}

/// How the delivery engine hands messages on.
#[derive(Clone, Debug)]
pub enum Transport {
    /// Keeps mail in the outbox instead of letting it leave the machine (the default without
    /// `smtp_url`): the outbox already holds the exact bytes, so an attempt just records `captured`.
    Capture,
    /// Hands mail to a relay over a pool of long-lived SMTP connections.
    Smtp(SmtpTransport),
}

impl Transport {
    /// The transport for an optional `smtp_url`: capture without one.
    pub fn from_url(smtp_url: Option<&str>) -> Result<Self, TransportError> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            None => Ok(Self::Capture),
            Some(url) => Self::smtp(SmtpConfig::from_url(url)?),
        }
    }

    pub fn smtp(config: SmtpConfig) -> Result<Self, TransportError> {
        Ok(Self::Smtp(SmtpTransport::new(config)?))
    }

    /// How many messages are handed on at the same time (SMTP: the pool size).
    pub fn connections(&self) -> usize {
        match self {
            Self::Capture => 1,
            Self::Smtp(s) => s.config().pool,
        }
    }

    /// For logs and the admin UI; never shows a password.
    pub fn describe(&self) -> String {
        match self {
            Self::Capture => "capture (mail is kept in the outbox)".to_string(),
            Self::Smtp(s) => s.config().to_string(),
        }
    }

    /// One slot of the pool; the engine runs [`Transport::connections`] of them side by side.
    pub(crate) fn session(&self) -> Session {
        match self {
            Self::Capture => Session::Capture,
            Self::Smtp(s) => Session::Smtp(Box::new(s.session())),
        }
    }
}

/// One delivery slot: for SMTP, one connection, reused for message after message.
pub(crate) enum Session {
    Capture,
    Smtp(Box<smtp::SmtpSession>),
}

impl Session {
    /// Attempts one message and says how it ended. `attempts` in `msg` counts this attempt.
    pub(crate) async fn deliver(&mut self, msg: &ClaimedMessage, retry: &RetryPolicy) -> DeliveryOutcome {
        match self {
            Self::Capture => DeliveryOutcome::Captured,
            Self::Smtp(s) => match s.send(&msg.envelope_from, &msg.to, &msg.raw).await {
                Ok(reply) => DeliveryOutcome::Sent { reply },
                Err(e) => classify(&e, msg.attempts, retry, chrono::Utc::now()),
            },
        }
    }

    /// Whether a connection is open (and worth closing when idle).
    pub(crate) fn is_connected(&self) -> bool {
        match self {
            Self::Capture => false,
            Self::Smtp(s) => s.is_connected(),
        }
    }

    /// Closes the connection politely (QUIT), if one is open.
    pub(crate) async fn close(&mut self) {
        if let Self::Smtp(s) = self {
            s.close().await;
        }
    }
}

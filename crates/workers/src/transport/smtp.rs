//! One SMTP connection to the relay, kept open for many messages.
//!
//! lettre does the protocol (greeting, EHLO, STARTTLS, AUTH, dot-stuffing); we open the TCP stream
//! ourselves so `TCP_NODELAY` is set: lettre writes each command and waits for its reply, and with
//! Nagle on every such round trip waits out the peer's delayed ACK (about 40 ms, some 23 messages a
//! second per connection). We also run the mail transaction command by command instead of lettre's
//! `send`, which closes the connection after any negative reply: a refused recipient is answered
//! with `RSET` and the connection serves the next message.

use std::borrow::Cow;
use std::fmt::Display;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use lettre::Address;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::transport::smtp::response::Response;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use super::TransportError;
use super::classify::{AttemptError, Failure, Stage};
use super::config::{SmtpConfig, TlsMode};
use super::stream::TlsStream;

/// How long a polite QUIT may take before the connection is simply dropped.
const QUIT_TIMEOUT: Duration = Duration::from_secs(5);

/// After a failed connect, how long the pool's other slots report the same failure instead of
/// trying (and perhaps each waiting out a timeout) again: a relay that is down defers a whole batch
/// at once, and is tried again right after.
const HOLD_DOWN: Duration = Duration::from_secs(5);

/// What all connections to one relay share: its configuration, TLS settings and EHLO name.
#[derive(Clone)]
pub struct SmtpTransport {
    config: Arc<SmtpConfig>,
    tls: Option<TlsParameters>,
    client_id: ClientId,
    /// The last failed connect of any slot of this pool, for [`HOLD_DOWN`].
    connect_failure: Arc<std::sync::Mutex<Option<(Instant, AttemptError)>>>,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport").field("relay", &self.config.to_string()).finish_non_exhaustive()
    }
}

impl SmtpTransport {
    pub fn new(config: SmtpConfig) -> Result<Self, TransportError> {
        let tls = match config.tls {
            TlsMode::None => None,
            _ => Some(
                TlsParameters::builder(config.host.clone())
                    .dangerous_accept_invalid_certs(config.accept_invalid_certs)
                    .dangerous_accept_invalid_hostnames(config.accept_invalid_certs)
                    .build_rustls()
                    .map_err(|e| TransportError::Tls(error_text(&e)))?,
            ),
        };
        let client_id = match config.helo.as_deref().map(|h| (h, h.parse::<IpAddr>())) {
            Some((_, Ok(IpAddr::V4(ip)))) => ClientId::Ipv4(ip),
            Some((_, Ok(IpAddr::V6(ip)))) => ClientId::Ipv6(ip),
            Some((name, Err(_))) => ClientId::Domain(name.to_string()),
            None => crate::host_name().map(ClientId::Domain).unwrap_or_default(),
        };
        Ok(Self { config: Arc::new(config), tls, client_id, connect_failure: Arc::default() })
    }

    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }

    pub(crate) fn session(&self) -> SmtpSession {
        SmtpSession { shared: self.clone(), conn: None, dirty: false }
    }
}

/// One connection slot of the pool: connects on first use, reconnects after trouble.
pub(crate) struct SmtpSession {
    shared: SmtpTransport,
    conn: Option<AsyncSmtpConnection>,
    /// Set while a transaction runs. Still set on entry means the last one was abandoned midway
    /// (its future dropped by a timeout), so the connection is in an unknown state.
    dirty: bool,
}

impl SmtpSession {
    pub(crate) fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    /// Sends one message to one recipient; on success, the relay's reply (`250 2.0.0 Ok: queued as X`).
    pub(crate) async fn send(&mut self, from: &str, to: &str, raw: &[u8]) -> Result<String, AttemptError> {
        if std::mem::replace(&mut self.dirty, true) {
            self.conn = None;
        }
        let result = self.send_inner(from, to, raw).await;
        self.dirty = false;
        result.map(|r| reply_text(&r))
    }

    async fn send_inner(&mut self, from: &str, to: &str, raw: &[u8]) -> Result<Response, AttemptError> {
        let local = |m: String| AttemptError::new(Stage::Local, Failure::Local(m));
        let from = Address::from_str(from).map_err(|e| local(format!("envelope sender {from:?} refused: {e}")))?;
        let to = Address::from_str(to).map_err(|e| local(format!("recipient {to:?} refused: {e}")))?;
        let data = wire_form(raw);
        let stuffed = dot_stuffed(&data);
        let content = Content { data: &data, stuffed: stuffed.as_deref() };
        let reused = self.conn.is_some();
        let (result, keep) = self.transaction(&from, &to, &content).await?;
        match result {
            // A kept-open connection the relay has meanwhile closed (idle timeout, message limit):
            // nothing was accepted yet, so try once more on a fresh connection.
            Err(e) if reused && e.stage == Stage::MailFrom && (!keep || e.code() == Some(421)) => {
                tracing::debug!(relay = %self.shared.config, error = %e, "reconnecting");
                self.conn = None;
                let (result, keep) = self.transaction(&from, &to, &content).await?;
                if !keep {
                    self.conn = None;
                }
                result
            }
            other => {
                if !keep {
                    self.conn = None;
                }
                other
            }
        }
    }

    /// Runs MAIL, RCPT, DATA and the content on the current (or a new) connection. The outer error
    /// is a failure to connect; the flag says whether the connection is still good for the next message.
    async fn transaction(
        &mut self,
        from: &Address,
        to: &Address,
        content: &Content<'_>,
    ) -> Result<(Result<Response, AttemptError>, bool), AttemptError> {
        if self.conn.as_ref().is_some_and(AsyncSmtpConnection::has_broken) {
            self.conn = None;
        }
        if self.conn.is_none() {
            self.conn = Some(self.connect_or_hold_down().await?);
        }
        let t = self.shared.config.timeout;
        let conn = self.conn.as_mut().expect("connected above");
        let info = conn.server_info();
        let mut params = Vec::new();
        if !AsRef::<str>::as_ref(from).is_ascii() || !AsRef::<str>::as_ref(to).is_ascii() {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                let e = Failure::Local("non-ASCII address, and the relay does not support SMTPUTF8".into());
                return Ok((Err(AttemptError::new(Stage::Local, e)), true));
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        if !content.data.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                let e = Failure::Local("8-bit content, and the relay does not support 8BITMIME".into());
                return Ok((Err(AttemptError::new(Stage::Local, e)), true));
            }
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let steps = async {
            command(conn, Mail::new(Some(from.clone()), params), t, Stage::MailFrom).await?;
            command(conn, Rcpt::new(to.clone(), Vec::new()), t, Stage::RcptTo).await?;
            command(conn, Data, t, Stage::Data).await?;
            let sent = match content.stuffed {
                // Written as it is: lettre's `message` would copy and dot-stuff it byte by byte.
                Some(text) => timeout(t * 2, conn.command(Verbatim(text))).await,
                None => timeout(t * 2, conn.message(content.data)).await,
            };
            match sent {
                Err(_) => Err(timed_out(Stage::Message, t * 2)),
                Ok(r) => r.map_err(|e| from_lettre(Stage::Message, &e)),
            }
        };
        let result = steps.await;
        let keep = match &result {
            Ok(_) => true,
            Err(e) => match (&e.failure, e.stage) {
                (Failure::Reply { code: 421, .. }, _) => false,
                (Failure::Reply { .. }, Stage::Message) => true,
                // The transaction is open on the relay's side: reset it for the next message.
                (Failure::Reply { .. }, _) => command(conn, Rset, t, e.stage).await.is_ok(),
                _ => false,
            },
        };
        Ok((result, keep))
    }

    async fn connect_or_hold_down(&self) -> Result<AsyncSmtpConnection, AttemptError> {
        let failed = self.shared.connect_failure.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some((at, e)) = failed
            && at.elapsed() < HOLD_DOWN
        {
            return Err(e);
        }
        let result = self.connect().await;
        let mut failure = self.shared.connect_failure.lock().unwrap_or_else(|p| p.into_inner());
        match &result {
            Ok(_) => *failure = None,
            Err(e) => {
                if failure.is_none() {
                    tracing::warn!(relay = %self.shared.config, error = %e, "cannot reach the relay");
                }
                *failure = Some((Instant::now(), e.clone()));
            }
        }
        result
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, AttemptError> {
        let SmtpTransport { config, tls, client_id, .. } = &self.shared;
        let t = config.timeout;
        let fail = |m: String| AttemptError::new(Stage::Connect, Failure::Network(m));
        let relay = format!("{}:{}", config.host, config.port);
        let tcp = match timeout(t, TcpStream::connect((config.host.as_str(), config.port))).await {
            Err(_) => return Err(fail(format!("connecting to {relay} timed out after {}s", t.as_secs()))),
            Ok(Err(e)) => return Err(fail(format!("cannot connect to {relay}: {e}"))),
            Ok(Ok(tcp)) => tcp,
        };
        tcp.set_nodelay(true).map_err(|e| fail(format!("cannot set TCP_NODELAY: {e}")))?;
        let mut encrypted = false;
        let stream: Box<dyn AsyncTokioStream> = match (config.tls, tls) {
            (TlsMode::Implicit, Some(tls)) => {
                encrypted = true;
                match timeout(t, TlsStream::handshake(tcp, tls.clone())).await {
                    Err(_) => return Err(timed_out(Stage::Connect, t)),
                    Ok(r) => Box::new(r.map_err(fail)?),
                }
            }
            _ => Box::new(tcp),
        };
        let mut conn = match timeout(t * 2, AsyncSmtpConnection::connect_with_transport(stream, client_id)).await {
            Err(_) => return Err(timed_out(Stage::Connect, t * 2)),
            Ok(r) => r.map_err(|e| from_lettre(Stage::Connect, &e))?,
        };
        if let (TlsMode::Opportunistic | TlsMode::Required, Some(tls)) = (config.tls, tls) {
            if conn.can_starttls() {
                match timeout(t * 2, conn.starttls(tls.clone(), client_id)).await {
                    Err(_) => return Err(timed_out(Stage::Connect, t * 2)),
                    Ok(r) => r.map_err(|e| from_lettre(Stage::Connect, &e))?,
                }
                encrypted = true;
            } else if config.tls == TlsMode::Required {
                conn.abort().await;
                return Err(fail(format!("{relay} does not offer STARTTLS, and the smtp_url says tls=required")));
            }
        }
        if let Some(creds) = &config.credentials {
            if !encrypted && !config.is_loopback() {
                conn.abort().await;
                return Err(fail(format!("{relay} offers no STARTTLS; not sending the password unencrypted")));
            }
            let credentials = Credentials::new(creds.user.clone(), creds.password.clone());
            match timeout(t, conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)).await {
                Err(_) => return Err(timed_out(Stage::Connect, t)),
                Ok(r) => r.map_err(|e| from_lettre(Stage::Connect, &e))?,
            };
        }
        tracing::debug!(%relay, encrypted, "connected to the relay");
        Ok(conn)
    }

    /// Says QUIT and closes the connection, if one is open.
    pub(crate) async fn close(&mut self) {
        if let Some(mut conn) = self.conn.take()
            && !self.dirty
            && !conn.has_broken()
        {
            let _ = timeout(QUIT_TIMEOUT, conn.quit()).await;
        }
        self.dirty = false;
    }
}

async fn command<C: Display>(
    conn: &mut AsyncSmtpConnection,
    cmd: C,
    t: Duration,
    stage: Stage,
) -> Result<Response, AttemptError> {
    match timeout(t, conn.command(cmd)).await {
        Err(_) => Err(timed_out(stage, t)),
        Ok(r) => r.map_err(|e| from_lettre(stage, &e)),
    }
}

fn timed_out(stage: Stage, t: Duration) -> AttemptError {
    AttemptError::new(stage, Failure::Network(format!("no reply within {}s", t.as_secs())))
}

fn from_lettre(stage: Stage, e: &SmtpError) -> AttemptError {
    let failure = match e.status() {
        Some(code) => Failure::Reply {
            code: u16::from(code),
            text: std::error::Error::source(e).map(ToString::to_string).unwrap_or_default(),
        },
        None => Failure::Network(error_text(e)),
    };
    AttemptError::new(stage, failure)
}

/// lettre's error with its causes, on one line.
pub(crate) fn error_text(e: &SmtpError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e).and_then(std::error::Error::source);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn reply_text(r: &Response) -> String {
    let mut text = u16::from(r.code()).to_string();
    for line in r.message() {
        text.push(' ');
        text.push_str(line);
    }
    text
}

/// The message as the DATA section carries it: CRLF line ends throughout (a bare CR or LF would be
/// refused by strict relays, and is a smuggling risk), without the final CRLF, which goes with the
/// terminating dot.
fn wire_form(raw: &[u8]) -> Cow<'_, [u8]> {
    let mut clean = true;
    let mut i = 0;
    while let Some(p) = memchr::memchr2(b'\r', b'\n', &raw[i..]) {
        i += p;
        if raw[i] != b'\r' || raw.get(i + 1) != Some(&b'\n') {
            clean = false;
            break;
        }
        i += 2;
    }
    let mut data = if clean {
        Cow::Borrowed(raw)
    } else {
        let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
        let mut rest = raw;
        while let Some(p) = memchr::memchr2(b'\r', b'\n', rest) {
            out.extend_from_slice(&rest[..p]);
            out.extend_from_slice(b"\r\n");
            let crlf = rest[p] == b'\r' && rest.get(p + 1) == Some(&b'\n');
            rest = &rest[p + if crlf { 2 } else { 1 }..];
        }
        out.extend_from_slice(rest);
        Cow::Owned(out)
    };
    if data.ends_with(b"\r\n") {
        match &mut data {
            Cow::Borrowed(d) => *d = &d[..d.len() - 2],
            Cow::Owned(d) => d.truncate(d.len() - 2),
        }
    }
    data
}

/// [`wire_form`]'s output as the DATA section is written: a dot that starts a line doubled (RFC 5321
/// section 4.5.2) and the terminating `CRLF . CRLF` added. `None` unless it is UTF-8 (lettre's
/// `message` then does the same, byte by byte).
fn dot_stuffed(data: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(data).ok()?;
    let mut out = String::with_capacity(text.len() + text.len() / 128 + 8);
    if text.starts_with('.') {
        out.push('.');
    }
    let mut done = 0;
    for p in memchr::memmem::find_iter(data, b"\r\n.") {
        // Splits right after an ASCII dot, so always on a character boundary.
        out.push_str(&text[done..p + 3]);
        out.push('.');
        done = p + 3;
    }
    out.push_str(&text[done..]);
    out.push_str("\r\n.\r\n");
    Some(out)
}

/// A message on its way to the relay: its wire form, and that dot-stuffed if it could be.
struct Content<'a> {
    data: &'a [u8],
    stuffed: Option<&'a str>,
}

/// Text sent exactly as it is, through lettre's `command`.
struct Verbatim<'a>(&'a str);

impl Display for Verbatim<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_normalises_line_ends() {
        assert_eq!(&*wire_form(b"a\r\nb\r\n"), b"a\r\nb");
        assert!(matches!(wire_form(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert_eq!(&*wire_form(b"a\nb\rc\r\n\n"), b"a\r\nb\r\nc\r\n");
        assert_eq!(&*wire_form(b"no end"), b"no end");
        assert_eq!(&*wire_form(b""), b"");
        assert_eq!(&*wire_form(b"\n"), b"");
        assert_eq!(&*wire_form(b"\r\r\n.x\r"), b"\r\n\r\n.x");
    }

    #[test]
    fn dot_stuffing_doubles_a_leading_dot_and_terminates() {
        let stuffed = |raw: &[u8]| dot_stuffed(&wire_form(raw));
        assert_eq!(stuffed(b"a\r\nb\r\n").as_deref(), Some("a\r\nb\r\n.\r\n"));
        assert_eq!(stuffed(b"").as_deref(), Some("\r\n.\r\n"));
        assert_eq!(stuffed(b".\r\n").as_deref(), Some("..\r\n.\r\n"));
        assert_eq!(
            stuffed(b".a\n..b\r\nc.d\r\n.\r\n\r\n.").as_deref(),
            Some("..a\r\n...b\r\nc.d\r\n..\r\n\r\n..\r\n.\r\n")
        );
        assert_eq!(stuffed("ä\r\n.ö".as_bytes()).as_deref(), Some("ä\r\n..ö\r\n.\r\n"));
        assert_eq!(stuffed(b"\xff\r\n"), None, "not UTF-8: lettre stuffs it");
    }
}

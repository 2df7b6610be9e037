//! The inbound SMTP server for the bounce domain (RFC 5321): receives bounces, complaints and
//! replies addressed to the VERP return paths, and hands each message to an [`InboundSink`].
//!
//! It is a final destination, not a relay: `RCPT TO` is accepted for any local part at the
//! configured [`InboundSmtpConfig::domains`] and for `postmaster`, nothing else (`550 5.7.1`). The
//! null sender `<>` of bounces is welcome. A message is answered `250` only after the sink kept it;
//! when the sink fails the client hears `451 4.3.0` and tries again later.
//!
//! Offered: `SIZE`, `8BITMIME`, `PIPELINING`, `ENHANCEDSTATUSCODES`, `SMTPUTF8`, and `STARTTLS`
//! when a TLS configuration is given. Every read is bounded: command lines by 1000 octets (`500
//! 5.5.2` beyond), messages by [`InboundSmtpConfig::max_message_bytes`] (`552 5.3.4`, the rest of
//! the message is read and thrown away so the session stays usable), and each wait for the client
//! by [`InboundSmtpConfig::idle_timeout`]. Replies to pipelined commands are sent together when no
//! more input is waiting (RFC 2920). After 20 errors in one session the connection is closed.
//!
//! Like every final destination (RFC 5321 section 4.4), the server puts `Return-Path:` and
//! `Received:` on top of the message before handing it on.
//!
//! ```no_run
//! # async fn example(sink: impl kurier_workers::inbound::InboundSink) -> anyhow::Result<()> {
//! use kurier_workers::inbound::{InboundSmtp, InboundSmtpConfig};
//!
//! let config = InboundSmtpConfig::new("0.0.0.0:25".parse()?, "mx.example.com", vec!["bounces.example.com".into()]);
//! let server = InboundSmtp::bind(config).await?;
//! println!("listening on {}", server.local_addr());
//! server.serve(sink, async { tokio::signal::ctrl_c().await.ok(); }).await;
//! # Ok(()) }
//! ```

mod command;

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::timeout;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tracing::Instrument as _;

use super::lines::{BufConn, Segment};
use super::{InboundMail, InboundSink, InboundSource};
use command::{Command, parse};

/// Longest command line, with its CRLF (RFC 5321 allows 512; extensions make lines longer).
const MAX_COMMAND_LINE: usize = 1000;
/// Bytes of an overlong command line thrown away before the connection is closed instead.
const MAX_DISCARD: usize = 1024 * 1024;
/// Errors in one session before it is closed.
const MAX_ERRORS: u32 = 20;

/// How the inbound SMTP server listens and what it accepts.
#[derive(Clone, Debug)]
pub struct InboundSmtpConfig {
    /// Address to listen on; port 0 picks a free port (see [`InboundSmtp::local_addr`]).
    pub listen: SocketAddr,
    /// The name in the greeting, in EHLO replies and in `Received:`.
    pub hostname: String,
    /// Recipient domains accepted (any local part), e.g. `bounces.example.com`. Case does not matter.
    pub domains: Vec<String>,
    /// Largest message accepted, in octets after dot-unstuffing (announced as `SIZE`).
    pub max_message_bytes: usize,
    /// Recipients per message; more are answered `452 4.5.3` (the client sends them later).
    pub max_recipients: usize,
    /// Sessions at the same time; a client beyond them hears `421 4.3.2` and is disconnected.
    pub max_connections: usize,
    /// Sessions at the same time from one client address (an IPv6 client's /64, which one host
    /// usually has whole); beyond them it hears `421 4.7.0`, so one sender cannot take every slot.
    pub max_connections_per_client: usize,
    /// Longest wait for the client's next command or the next part of a message; also the limit
    /// for the sink to keep a message.
    pub idle_timeout: Duration,
    /// After shutdown is asked for, how long sessions under way may take to finish.
    pub shutdown_grace: Duration,
    /// Offers STARTTLS with this configuration ([`InboundSmtpConfig::load_tls`] reads PEM files).
    pub tls: Option<Arc<ServerConfig>>,
}

impl InboundSmtpConfig {
    pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
    pub const DEFAULT_MAX_RECIPIENTS: usize = 100;
    pub const DEFAULT_MAX_CONNECTIONS: usize = 100;
    /// Postfix's default `smtpd_client_connection_count_limit` is half its process limit (50);
    /// mail servers that send bounces use a few connections at most.
    pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 10;
    /// RFC 5321 section 4.5.3.2.7: at least five minutes.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

    /// A configuration with the defaults and without TLS.
    pub fn new(listen: SocketAddr, hostname: impl Into<String>, domains: Vec<String>) -> Self {
        Self {
            listen,
            hostname: hostname.into(),
            domains,
            max_message_bytes: Self::DEFAULT_MAX_MESSAGE_BYTES,
            max_recipients: Self::DEFAULT_MAX_RECIPIENTS,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            max_connections_per_client: Self::DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            shutdown_grace: Self::DEFAULT_SHUTDOWN_GRACE,
            tls: None,
        }
    }

    /// A TLS configuration for STARTTLS from a PEM certificate chain and a PEM private key.
    pub fn load_tls(cert_pem: &Path, key_pem: &Path) -> Result<Arc<ServerConfig>, InboundSmtpError> {
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let bad = |m: String| InboundSmtpError::Config(m);
        let certs = CertificateDer::pem_file_iter(cert_pem)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| bad(format!("certificate {}: {e}", cert_pem.display())))?;
        if certs.is_empty() {
            return Err(bad(format!("certificate {}: no certificate in the file", cert_pem.display())));
        }
        let key = PrivateKeyDer::from_pem_file(key_pem).map_err(|e| bad(format!("key {}: {e}", key_pem.display())))?;
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
            .map_err(|e| bad(format!("TLS: {e}")))?;
        Ok(Arc::new(config))
    }

    /// Every problem at once, or the checked domains (lower case, without a trailing dot).
    fn check(&self) -> Result<Vec<String>, InboundSmtpError> {
        let mut problems = Vec::new();
        let host_ok = !self.hostname.is_empty()
            && self.hostname.len() <= 253
            && self.hostname.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
        if !host_ok {
            problems.push(format!("hostname {:?} is not a host name", self.hostname));
        }
        let mut domains = Vec::new();
        for d in &self.domains {
            let d = d.trim().trim_end_matches('.').to_lowercase();
            if d.is_empty() || d.contains(['@', ' ', '<', '>']) || d.split('.').any(str::is_empty) {
                problems.push(format!("domains: {d:?} is not a domain"));
            } else {
                domains.push(d);
            }
        }
        if self.domains.is_empty() {
            problems.push("domains: none given (which recipient domains should be accepted?)".into());
        }
        for (name, value) in [
            ("max_message_bytes", self.max_message_bytes),
            ("max_recipients", self.max_recipients),
            ("max_connections", self.max_connections),
            ("max_connections_per_client", self.max_connections_per_client),
        ] {
            if value == 0 {
                problems.push(format!("{name} must be at least 1"));
            }
        }
        if self.idle_timeout.is_zero() {
            problems.push("idle_timeout must be longer than 0".into());
        }
        if problems.is_empty() { Ok(domains) } else { Err(InboundSmtpError::Config(problems.join("; "))) }
    }
}

/// Why the inbound SMTP server could not start.
#[derive(Debug, thiserror::Error)]
pub enum InboundSmtpError {
    /// The configuration is wrong (every problem is named).
    #[error("inbound SMTP: {0}")]
    Config(String),
    /// The address cannot be listened on (in use, no permission for port 25, ...).
    #[error("inbound SMTP: cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
}

/// What [`InboundSmtp::serve`] did, for the log line at its end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServeReport {
    /// Sessions served.
    pub sessions: u64,
    /// Connections turned away with `421` because [`InboundSmtpConfig::max_connections`] were open.
    pub refused_busy: u64,
    /// Connections turned away with `421` because their client had
    /// [`InboundSmtpConfig::max_connections_per_client`] open.
    pub refused_client: u64,
    /// Messages kept by the sink (answered `250`).
    pub accepted: u64,
    /// Sessions still running when the shutdown grace ran out, and cut off.
    pub cut_off: u64,
}

/// A bound inbound SMTP server, ready to [`InboundSmtp::serve`].
#[derive(Debug)]
pub struct InboundSmtp {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: InboundSmtpConfig,
    domains: Vec<String>,
}

struct Shared<K> {
    config: InboundSmtpConfig,
    domains: Vec<String>,
    sink: K,
    accepted: AtomicU64,
}

impl InboundSmtp {
    /// Checks the configuration and binds the listening socket.
    pub async fn bind(config: InboundSmtpConfig) -> Result<Self, InboundSmtpError> {
        let domains = config.check()?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| InboundSmtpError::Bind { addr: config.listen, source })?;
        let local_addr =
            listener.local_addr().map_err(|source| InboundSmtpError::Bind { addr: config.listen, source })?;
        Ok(Self { listener, local_addr, config, domains })
    }

    /// The address actually listened on (with the port chosen when the configuration said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes; then stops accepting, tells idle sessions `421`, lets
    /// sessions in the middle of a message finish for [`InboundSmtpConfig::shutdown_grace`], and
    /// cuts off the rest (their clients have no `250` and will send again).
    pub async fn serve<K: InboundSink>(self, sink: K, shutdown: impl Future<Output = ()>) -> ServeReport {
        let Self { listener, local_addr, config, domains } = self;
        let grace = config.shutdown_grace;
        let limit = Arc::new(Semaphore::new(config.max_connections));
        let clients = Clients::new(config.max_connections_per_client);
        let shared = Arc::new(Shared { config, domains, sink, accepted: AtomicU64::new(0) });
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut sessions = JoinSet::new();
        let mut report = ServeReport::default();
        let mut shutdown = std::pin::pin!(shutdown);
        tracing::info!(%local_addr, domains = ?shared.domains, "inbound SMTP listening");
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(done) = sessions.join_next(), if !sessions.is_empty() => log_join(done),
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => match (limit.clone().try_acquire_owned(), clients.admit(peer.ip())) {
                        (Ok(_), None) => {
                            report.refused_client += 1;
                            tracing::warn!(%peer, limit = shared.config.max_connections_per_client, "too many connections from this client; refused");
                            let _ = stream.try_write(b"421 4.7.0 Too many connections from your address, try again later\r\n");
                        }
                        (Ok(permit), Some(slot)) => {
                            report.sessions += 1;
                            let shared = shared.clone();
                            let stop = stop_rx.clone();
                            let span = tracing::info_span!("smtp_session", %peer);
                            sessions.spawn(
                                async move {
                                    let _permit = (permit, slot);
                                    if let Err(e) = session(stream, peer, &shared, stop).await {
                                        tracing::debug!(error = %e, "session ended with an error");
                                    }
                                }
                                .instrument(span),
                            );
                        }
                        (Err(_), _) => {
                            report.refused_busy += 1;
                            tracing::warn!(%peer, limit = shared.config.max_connections, "too many connections; refused");
                            // A fresh socket's send buffer is empty, so this does not block.
                            let _ = stream.try_write(b"421 4.3.2 Too many connections, try again later\r\n");
                        }
                    },
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little instead of spinning.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
        drop(listener);
        let _ = stop_tx.send(true);
        tracing::info!(sessions = sessions.len(), "inbound SMTP stopping");
        let deadline = tokio::time::sleep(grace);
        tokio::pin!(deadline);
        while !sessions.is_empty() {
            tokio::select! {
                Some(done) = sessions.join_next() => log_join(done),
                () = &mut deadline => {
                    report.cut_off = sessions.len() as u64;
                    tracing::warn!(sessions = sessions.len(), "shutdown grace over; cutting off sessions");
                    sessions.shutdown().await;
                }
            }
        }
        report.accepted = shared.accepted.load(Ordering::Relaxed);
        tracing::info!(?report, "inbound SMTP stopped");
        report
    }
}

/// Open sessions per client: an IPv4 address, or an IPv6 /64 (IPv4-mapped IPv6 counts as IPv4).
#[derive(Clone)]
struct Clients {
    open: Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, usize>>>,
    limit: usize,
}

/// One session's place in [`Clients`]; leaving it (on drop) frees it.
struct ClientSlot {
    clients: Clients,
    client: IpAddr,
}

impl Clients {
    fn new(limit: usize) -> Self {
        Self { open: Arc::default(), limit }
    }

    fn key(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
            },
            v4 => v4,
        }
    }

    /// A slot for a new session from `ip`, or `None` when its client has all it may have.
    fn admit(&self, ip: IpAddr) -> Option<ClientSlot> {
        let client = Self::key(ip);
        let mut open = self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(client).or_insert(0);
        if *n >= self.limit {
            return None;
        }
        *n += 1;
        Some(ClientSlot { clients: self.clone(), client })
    }
}

impl Drop for ClientSlot {
    fn drop(&mut self) {
        let mut open = self.clients.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.client);
            }
        }
    }
}

fn log_join(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done
        && e.is_panic()
    {
        tracing::error!(error = %e, "an SMTP session panicked");
    }
}

/// How a session's command loop ended.
enum End {
    Close,
    /// The client asked for STARTTLS and was told to go ahead.
    StartTls,
}

async fn session<K: InboundSink>(
    stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared<K>,
    stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut conn = BufConn::new(stream);
    conn.queue(format!("220 {} ESMTP Kurier\r\n", shared.config.hostname).as_bytes());
    let mut state = Session { shared, peer, tls: false, helo: None, tx: None, errors: 0, stop };
    let end = state.commands(&mut conn).await;
    let _ = conn.flush().await;
    let (End::StartTls, Some(tls)) = (end?, &shared.config.tls) else { return Ok(()) };
    let tcp = conn.into_inner();
    let stream = match timeout(shared.config.idle_timeout, TlsAcceptor::from(tls.clone()).accept(tcp)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::info!(error = %e, "TLS handshake failed");
            return Ok(());
        }
        Err(_) => {
            tracing::info!("TLS handshake timed out");
            return Ok(());
        }
    };
    // RFC 3207: everything known before the handshake is forgotten; the client starts with EHLO.
    let mut conn = BufConn::new(stream);
    let mut state = Session { tls: true, helo: None, tx: None, ..state };
    let end = state.commands(&mut conn).await;
    let _ = conn.flush().await;
    end.map(|_| ())
}

struct Session<'a, K> {
    shared: &'a Shared<K>,
    peer: SocketAddr,
    tls: bool,
    /// The name from HELO/EHLO, and whether it was EHLO.
    helo: Option<(String, bool)>,
    tx: Option<Transaction>,
    errors: u32,
    stop: watch::Receiver<bool>,
}

/// A mail transaction: MAIL FROM, then RCPT TO.
struct Transaction {
    from: String,
    recipients: Vec<String>,
}

impl<K: InboundSink> Session<'_, K> {
    /// Reads and answers commands until QUIT, an error, a timeout, shutdown, or STARTTLS.
    async fn commands<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut BufConn<S>) -> io::Result<End> {
        let idle = self.shared.config.idle_timeout;
        let mut line = Vec::with_capacity(MAX_COMMAND_LINE);
        loop {
            if conn.buffered() == 0 {
                conn.flush().await?;
            }
            if self.errors >= MAX_ERRORS {
                tracing::info!(errors = self.errors, "too many errors; closing");
                reply(conn, "421 4.7.0 Too many errors, closing connection");
                return Ok(End::Close);
            }
            line.clear();
            let mut stop = self.stop.clone();
            let segment = tokio::select! {
                biased;
                r = timeout(idle, conn.read_segment(&mut line, MAX_COMMAND_LINE)) => r,
                _ = stop.wait_for(|stop| *stop) => {
                    reply(conn, "421 4.3.2 Service shutting down, try again later");
                    return Ok(End::Close);
                }
            };
            let Ok(segment) = segment else {
                tracing::info!("client idle for too long; closing");
                reply(conn, "421 4.4.2 Timeout exceeded, closing connection");
                return Ok(End::Close);
            };
            match segment? {
                Segment::Eof => return Ok(End::Close),
                Segment::Partial => {
                    if !discard_line(conn, idle).await? {
                        reply(conn, "421 4.7.0 Line too long, closing connection");
                        return Ok(End::Close);
                    }
                    self.error(conn, "500 5.5.2 Error: line too long");
                    continue;
                }
                Segment::Line => {}
            }
            let text = trim_line_end(&line);
            match parse(text) {
                Err(e) => {
                    tracing::debug!(line = %String::from_utf8_lossy(text), "refused command");
                    self.error(conn, &e.reply());
                }
                Ok(Command::Quit) => {
                    reply(conn, "221 2.0.0 Bye");
                    return Ok(End::Close);
                }
                Ok(Command::StartTls) => {
                    if self.shared.config.tls.is_none() {
                        self.error(conn, "502 5.5.1 Error: command not implemented");
                    } else if self.tls {
                        self.error(conn, "503 5.5.1 Error: TLS already active");
                    } else {
                        reply(conn, "220 2.0.0 Ready to start TLS");
                        conn.flush().await?;
                        let dropped = conn.discard_buffered();
                        if dropped > 0 {
                            tracing::warn!(bytes = dropped, "input sent along with STARTTLS ignored");
                        }
                        return Ok(End::StartTls);
                    }
                }
                Ok(Command::Data) => self.data(conn).await?,
                Ok(command) => self.simple(conn, command),
            }
        }
    }

    /// Answers every command but QUIT, STARTTLS and DATA.
    fn simple<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut BufConn<S>, command: Command) {
        let shared = self.shared;
        let config = &shared.config;
        match command {
            Command::Ehlo(name) => {
                let mut lines = vec![
                    format!("{} Hello {name}", config.hostname),
                    format!("SIZE {}", config.max_message_bytes),
                    "8BITMIME".to_string(),
                    "PIPELINING".to_string(),
                    "ENHANCEDSTATUSCODES".to_string(),
                ];
                if config.tls.is_some() && !self.tls {
                    lines.push("STARTTLS".to_string());
                }
                lines.push("SMTPUTF8".to_string());
                let last = lines.len() - 1;
                for (i, l) in lines.iter().enumerate() {
                    conn.queue(format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }).as_bytes());
                }
                self.helo = Some((name, true));
                self.tx = None;
            }
            Command::Helo(name) => {
                reply(conn, &format!("250 {}", config.hostname));
                self.helo = Some((name, false));
                self.tx = None;
            }
            Command::Mail { from, size } => {
                if self.helo.is_none() {
                    self.error(conn, "503 5.5.1 Error: send HELO/EHLO first");
                } else if self.tx.is_some() {
                    self.error(conn, "503 5.5.1 Error: nested MAIL command");
                } else if size.is_some_and(|s| s > config.max_message_bytes as u64) {
                    self.error(conn, "552 5.3.4 Message size exceeds fixed maximum message size");
                } else {
                    self.tx = Some(Transaction { from, recipients: Vec::new() });
                    reply(conn, "250 2.1.0 Ok");
                }
            }
            Command::Rcpt { to } => {
                let accepted = to == "postmaster"
                    || to.rsplit_once('@').is_some_and(|(_, d)| shared.domains.iter().any(|ours| ours == d));
                match &mut self.tx {
                    None => self.error(conn, "503 5.5.1 Error: need MAIL command"),
                    Some(_) if !accepted => {
                        tracing::info!(rcpt = %to, "relaying denied");
                        self.error(conn, &format!("550 5.7.1 <{to}>: Relay access denied"));
                    }
                    Some(tx) if tx.recipients.len() >= config.max_recipients => {
                        reply(conn, "452 4.5.3 Error: too many recipients");
                    }
                    Some(tx) => {
                        if !tx.recipients.contains(&to) {
                            tx.recipients.push(to);
                        }
                        reply(conn, "250 2.1.5 Ok");
                    }
                }
            }
            Command::Rset => {
                self.tx = None;
                reply(conn, "250 2.0.0 Ok");
            }
            Command::Noop => reply(conn, "250 2.0.0 Ok"),
            Command::Vrfy => reply(conn, "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"),
            Command::Help => {
                let tls = if config.tls.is_some() { " STARTTLS" } else { "" };
                reply(conn, &format!("214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP{tls}"));
            }
            Command::NotImplemented(verb) => self.error(conn, &format!("502 5.5.1 Error: {verb} not implemented")),
            Command::Quit | Command::StartTls | Command::Data => {
                // Answered by the command loop; kept here so the match stays exhaustive.
                self.error(conn, "503 5.5.1 Error: bad sequence of commands");
            }
        }
    }

    /// DATA: checks the sequence, reads the message, hands it to the sink, answers.
    async fn data<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut BufConn<S>) -> io::Result<()> {
        match &self.tx {
            None => {
                self.error(conn, "503 5.5.1 Error: need MAIL command");
                return Ok(());
            }
            Some(tx) if tx.recipients.is_empty() => {
                self.error(conn, "554 5.5.1 Error: no valid recipients");
                return Ok(());
            }
            Some(_) => {}
        }
        reply(conn, "354 End data with <CR><LF>.<CR><LF>");
        conn.flush().await?;
        let shared = self.shared;
        let config = &shared.config;
        let body = read_message(conn, config.max_message_bytes, config.idle_timeout).await?;
        let Some(tx) = self.tx.take() else { return Ok(()) };
        let Some(body) = body else {
            tracing::info!(limit = config.max_message_bytes, "message too large; refused");
            self.error(conn, "552 5.3.4 Error: message too large");
            return Ok(());
        };
        let mut raw = self.trace_headers(&tx);
        raw.extend_from_slice(&body);
        drop(body);
        let size = raw.len();
        let recipients = tx.recipients;
        let mail = InboundMail { source: InboundSource::Smtp, recipients: recipients.clone(), dedupe_key: None, raw };
        match timeout(config.idle_timeout, shared.sink.accept(mail)).await {
            Ok(Ok(())) => {
                shared.accepted.fetch_add(1, Ordering::Relaxed);
                tracing::info!(from = %tx.from, rcpt = ?recipients, size, "message received");
                reply(conn, "250 2.0.0 Ok: queued");
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "the sink did not keep the message; told the client to retry");
                reply(conn, "451 4.3.0 Error: could not keep the message, try again later");
            }
            Err(_) => {
                tracing::warn!("the sink took too long to keep the message; told the client to retry");
                reply(conn, "451 4.3.0 Error: could not keep the message in time, try again later");
            }
        }
        Ok(())
    }

    /// `Return-Path:` and `Received:` (RFC 5321 section 4.4).
    fn trace_headers(&self, tx: &Transaction) -> Vec<u8> {
        let (helo, esmtp) = self.helo.clone().unwrap_or_default();
        let protocol = match (esmtp, self.tls) {
            (true, true) => "ESMTPS",
            (true, false) => "ESMTP",
            (false, _) => "SMTP",
        };
        let rcpt = match tx.recipients.as_slice() {
            [one] => format!("\r\n\tfor <{one}>"),
            _ => String::new(),
        };
        format!(
            "Return-Path: <{}>\r\nReceived: from {helo} ([{}])\r\n\tby {} (Kurier) with {protocol}{rcpt};\r\n\t{}\r\n",
            tx.from,
            self.peer.ip(),
            self.shared.config.hostname,
            chrono::Utc::now().to_rfc2822(),
        )
        .into_bytes()
    }

    /// Queues an error reply and counts it.
    fn error<S: AsyncRead + AsyncWrite + Unpin>(&mut self, conn: &mut BufConn<S>, text: &str) {
        self.errors += 1;
        reply(conn, text);
    }
}

fn reply<S: AsyncRead + AsyncWrite + Unpin>(conn: &mut BufConn<S>, text: &str) {
    conn.queue(text.as_bytes());
    conn.queue(b"\r\n");
}

/// The line without its LF or CRLF.
fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads and drops the rest of an overlong line; false when it goes on past [`MAX_DISCARD`].
async fn discard_line<S: AsyncRead + AsyncWrite + Unpin>(conn: &mut BufConn<S>, idle: Duration) -> io::Result<bool> {
    let mut scratch = Vec::with_capacity(8192);
    let mut dropped = 0;
    while dropped < MAX_DISCARD {
        scratch.clear();
        let segment = timeout(idle, conn.read_segment(&mut scratch, 8192))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "timeout in an overlong line"))??;
        dropped += scratch.len();
        match segment {
            Segment::Line => return Ok(true),
            Segment::Partial => {}
            Segment::Eof => return Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }
    Ok(false)
}

/// Reads a message up to `<CRLF>.<CRLF>`: undoes dot-stuffing and turns bare line feeds into CRLF.
/// Returns `None` when it was larger than `max` (what came beyond is read but not kept).
///
/// Only `.` on a line of its own ending in CRLF ends the message; a `.` after a bare line feed
/// does not, so a message cannot be cut short (SMTP smuggling).
async fn read_message<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut BufConn<S>,
    max: usize,
    idle: Duration,
) -> io::Result<Option<Vec<u8>>> {
    let mut message = Vec::with_capacity(max.min(64 * 1024));
    let mut too_big = false;
    let mut line = Vec::with_capacity(8192);
    let mut line_start = true;
    let mut after_crlf = true;
    let mut last_was_cr = false;
    loop {
        line.clear();
        let segment = timeout(idle, conn.read_segment(&mut line, 64 * 1024))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "timeout while reading a message"))??;
        if segment == Segment::Eof {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed in the middle of a message"));
        }
        if after_crlf && line == b".\r\n" {
            return Ok(if too_big { None } else { Some(message) });
        }
        let mut content = line.as_slice();
        if line_start && content.first() == Some(&b'.') {
            content = &content[1..];
        }
        let bare_lf = segment == Segment::Line && !content.is_empty() && {
            let before_lf = &content[..content.len() - 1];
            match before_lf.last() {
                Some(b) => *b != b'\r',
                None => !last_was_cr,
            }
        };
        let grows = content.len() + usize::from(bare_lf);
        if !too_big && message.len() + grows > max {
            too_big = true;
            message = Vec::new();
        }
        if !too_big {
            if bare_lf {
                message.extend_from_slice(&content[..content.len() - 1]);
                message.extend_from_slice(b"\r\n");
            } else {
                message.extend_from_slice(content);
            }
        }
        last_was_cr = content.last() == Some(&b'\r');
        line_start = segment == Segment::Line;
        after_crlf = line_start && !bare_lf;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn clients_are_counted_per_address_and_per_ipv6_64() {
        let clients = Clients::new(2);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let a = clients.admit(ip("192.0.2.1")).unwrap();
        // The same host over IPv4-mapped IPv6 is the same client.
        let b = clients.admit(ip("::ffff:192.0.2.1")).unwrap();
        assert!(clients.admit(ip("192.0.2.1")).is_none());
        assert!(clients.admit(ip("192.0.2.2")).is_some(), "another address has its own count");
        // Addresses of one /64 are one client; the next /64 is another.
        let _c = clients.admit(ip("2001:db8:1:2::1")).unwrap();
        let _d = clients.admit(ip("2001:db8:1:2:ffff::9")).unwrap();
        assert!(clients.admit(ip("2001:db8:1:2:abcd::1")).is_none());
        assert!(clients.admit(ip("2001:db8:1:3::1")).is_some());
        // A session that ends frees its place, and an unused entry is forgotten.
        drop(a);
        let a = clients.admit(ip("192.0.2.1")).unwrap();
        drop((a, b));
        assert!(!clients.open.lock().unwrap().contains_key(&ip("192.0.2.1")));
    }

    async fn read(input: &[u8], max: usize) -> io::Result<Option<Vec<u8>>> {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        client.write_all(input).await.unwrap();
        drop(client);
        let mut conn = BufConn::new(server);
        let got = read_message(&mut conn, max, Duration::from_secs(5)).await;
        // What follows the message stays readable (the next pipelined command).
        if got.is_ok() {
            let mut rest = Vec::new();
            while conn.read_segment(&mut rest, 100).await.unwrap() != Segment::Eof {}
            assert_eq!(rest, b"QUIT\r\n");
        }
        got
    }

    #[tokio::test]
    async fn messages_are_unstuffed_and_normalised() {
        let got = read(b"A: b\r\n\r\n..dot\r\n..\r\nbare\nend\r\n.\r\nQUIT\r\n", 1000).await.unwrap().unwrap();
        assert_eq!(got, b"A: b\r\n\r\n.dot\r\n.\r\nbare\r\nend\r\n");
        assert_eq!(read(b".\r\nQUIT\r\n", 10).await.unwrap().unwrap(), b"");
        // A bare-LF dot line does not end the message.
        let got = read(b"a\n.\nb\r\n.\r\nQUIT\r\n", 100).await.unwrap().unwrap();
        assert_eq!(got, b"a\r\n\r\nb\r\n");
        let got = read(b"a\n.\r\nb\r\n.\r\nQUIT\r\n", 100).await.unwrap().unwrap();
        assert_eq!(got, b"a\r\n\r\nb\r\n");
    }

    #[tokio::test]
    async fn the_limit_is_exact_and_overflow_is_drained() {
        assert_eq!(read(b"12345678\r\n.\r\nQUIT\r\n", 10).await.unwrap().unwrap(), b"12345678\r\n");
        assert_eq!(read(b"123456789\r\n.\r\nQUIT\r\n", 10).await.unwrap(), None);
        let long = [&vec![b'x'; 200_000][..], b"\r\n.\r\nQUIT\r\n"].concat();
        assert_eq!(read(&long, 1000).await.unwrap(), None);
        assert_eq!(read(&long, 300_000).await.unwrap().unwrap().len(), 200_002);
        assert!(read(b"no end\r\n", 100).await.is_err());
    }

    #[test]
    fn config_errors_are_all_named() {
        let mut c = InboundSmtpConfig::new("127.0.0.1:0".parse().unwrap(), "", vec!["a..b".into()]);
        c.max_connections = 0;
        c.max_connections_per_client = 0;
        let e = c.check().unwrap_err().to_string();
        for want in ["hostname \"\"", "domains: \"a..b\"", "max_connections must", "max_connections_per_client must"] {
            assert!(e.contains(want), "{e}");
        }
        let c =
            InboundSmtpConfig::new("127.0.0.1:0".parse().unwrap(), "mx.example", vec!["Bounces.Example.COM.".into()]);
        assert_eq!(c.check().unwrap(), ["bounces.example.com"]);
    }
}

//! Polls a bounce mailbox over IMAP4rev1 (RFC 3501) and hands every message to an [`InboundSink`].
//!
//! Each poll: connect (TLS from the first byte for `imaps://`, STARTTLS for `imap://` as
//! [`ImapTls`] says), log in (`AUTHENTICATE PLAIN` when offered, else `LOGIN`), `SELECT` the mailbox,
//! `UID SEARCH UNDELETED`, then batch by batch `UID FETCH` the sizes and the messages
//! (`BODY.PEEK[]`, so nothing is marked seen before it is kept). A message goes to the sink with the
//! dedupe key `imap:{host}:{mailbox}:{uidvalidity}:{uid}`; only after the sink kept it is it deleted
//! or moved ([`AfterFetch`]) and expunged (`UID EXPUNGE` with UIDPLUS). A message the sink did not
//! keep stays in the mailbox for the next poll; after three such failures in a row the poll stops
//! early. A poll cut short anywhere fetches the same messages again next time, and the dedupe key
//! makes that harmless.
//!
//! The client is our own, small and strict: literals (`{n}`) are read by length, every read has a
//! time limit and a size limit, and `NO`/`BAD` answers become [`ImapError`]s that name the command.
//!
//! ```no_run
//! # async fn example(sink: impl kurier_workers::inbound::InboundSink) -> anyhow::Result<()> {
//! use kurier_workers::inbound::{ImapConfig, ImapPoller};
//!
//! let config = ImapConfig::from_url("imaps://bounces:secret@mail.example.com/INBOX?poll=60&after=move:Processed")?;
//! ImapPoller::new(config).run(sink, async { tokio::signal::ctrl_c().await.ok(); }).await;
//! # Ok(()) }
//! ```

mod config;
mod oauth;
mod proto;
mod stream;

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::rustls::ClientConfig;

use super::lines::{BufConn, Segment};
use super::{InboundMail, InboundSink, InboundSource};
pub use config::{AfterFetch, ImapConfig, ImapOAuth, ImapTls, ImapUrlError};
use proto::{Response, Status, Value};
use stream::MaybeTls;

/// Sink failures in a row after which a poll stops early.
const MAX_SINK_FAILURES: usize = 3;
/// Bytes of messages fetched with one command at most (a larger message comes alone).
const MAX_BATCH_BYTES: usize = 32 * 1024 * 1024;

/// Why a poll failed. Every variant names what was being done; none repeats the password.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("IMAP: cannot connect to {addr}: {source}")]
    Connect { addr: String, source: io::Error },
    #[error("IMAP: TLS with {host} failed: {reason}")]
    Tls { host: String, reason: String },
    /// The server offers no STARTTLS, and the configuration does not allow going on without it.
    #[error("IMAP: {0}")]
    Insecure(String),
    #[error("IMAP: no answer within {seconds} s to {what}")]
    Timeout { what: String, seconds: u64 },
    #[error("IMAP: connection lost during {what}: {source}")]
    Io { what: String, source: io::Error },
    #[error("IMAP: the server said BYE: {0}")]
    Bye(String),
    /// A `NO` answer: the server understood and refused (wrong password, no such mailbox...).
    #[error("IMAP: the server refused {command}: {text}")]
    No { command: String, text: String },
    /// A `BAD` answer: the server did not understand the command.
    #[error("IMAP: the server rejected {command} as invalid: {text}")]
    Bad { command: String, text: String },
    /// The server's answer does not follow the protocol, or is larger than allowed.
    #[error("IMAP: unexpected answer to {what}: {detail}")]
    Protocol { what: String, detail: String },
    /// No OAuth access token from the token endpoint (`auth=xoauth2`); never shows a token.
    #[error("IMAP: no OAuth access token from {url}: {detail}")]
    OAuth { url: String, detail: String },
}

/// What one poll did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Messages in the mailbox not flagged `\Deleted`.
    pub found: usize,
    /// Messages kept by the sink and then deleted or moved.
    pub accepted: usize,
    /// Messages the sink did not keep; they stay in the mailbox.
    pub failed: usize,
    /// Messages larger than [`ImapConfig::max_message_bytes`]; left in the mailbox.
    pub too_large: usize,
}

/// Polls one mailbox: [`ImapPoller::poll`] once, or [`ImapPoller::run`] until shutdown.
#[derive(Debug)]
pub struct ImapPoller {
    config: ImapConfig,
    /// Built once; an error (ring's defaults unusable) is reported by the polls that need TLS.
    tls: Result<Arc<ClientConfig>, String>,
    /// With `auth=xoauth2`: the access token, renewed when it runs out.
    tokens: Option<tokio::sync::Mutex<oauth::Tokens>>,
}

impl ImapPoller {
    /// A poller for the mailbox; nothing is connected before the first poll.
    pub fn new(config: ImapConfig) -> Self {
        let tls = stream::client_config(config.accept_invalid_certs);
        let tokens = config.oauth.as_ref().map(|o| tokio::sync::Mutex::new(oauth::Tokens::new(o)));
        Self { config, tls, tokens }
    }

    /// The mailbox polled.
    pub fn config(&self) -> &ImapConfig {
        &self.config
    }

    /// Polls every [`ImapConfig::poll_interval`] until `shutdown` completes. A failed poll is
    /// logged and tried again after a growing pause (5 s doubling up to 15 min, and never sooner
    /// than the poll interval would). On shutdown, a poll under way stops after the message it is
    /// on, deletes what was kept, and logs out (at most 30 s).
    pub async fn run<K: InboundSink>(&self, sink: K, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut failures = 0u32;
        tracing::info!(mailbox = %self.config, "IMAP polling started");
        loop {
            let stop = AtomicBool::new(false);
            let poll = self.poll_until(&sink, &stop, true);
            tokio::pin!(poll);
            let result = tokio::select! {
                r = &mut poll => Some(r),
                () = &mut shutdown => None,
            };
            let Some(result) = result else {
                stop.store(true, Ordering::SeqCst);
                if let Ok(Err(e)) = timeout(Duration::from_secs(30), poll).await {
                    tracing::warn!(error = %e, "IMAP poll at shutdown failed");
                }
                break;
            };
            let pause = match result {
                Ok(report) if report.failed == 0 => {
                    failures = 0;
                    if report.found > 0 {
                        tracing::info!(?report, "IMAP poll done");
                    }
                    self.config.poll_interval
                }
                Ok(report) => {
                    failures += 1;
                    tracing::warn!(?report, "IMAP poll: the sink did not keep every message");
                    backoff(failures).max(self.config.poll_interval)
                }
                Err(e) => {
                    failures += 1;
                    let pause = backoff(failures).max(self.config.poll_interval);
                    tracing::warn!(error = %e, retry_in_s = pause.as_secs(), "IMAP poll failed");
                    pause
                }
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = &mut shutdown => break,
            }
        }
        tracing::info!("IMAP polling stopped");
    }

    /// One poll: everything in the mailbox goes to the sink, and what it kept leaves the mailbox.
    pub async fn poll<K: InboundSink>(&self, sink: &K) -> Result<PollReport, ImapError> {
        self.poll_until(sink, &AtomicBool::new(false), false).await
    }

    async fn poll_until<K: InboundSink>(
        &self,
        sink: &K,
        stop: &AtomicBool,
        idle: bool,
    ) -> Result<PollReport, ImapError> {
        let login = match (&self.tokens, &self.config.oauth) {
            (Some(tokens), Some(oauth)) => {
                Login::XOAuth2(tokens.lock().await.access_token(oauth, self.config.timeout).await?)
            }
            _ if self.config.xoauth2 => {
                return Err(ImapError::OAuth {
                    url: "(none)".into(),
                    detail: "auth=xoauth2 needs the OAuth settings (token URL, client id, refresh token)".into(),
                });
            }
            _ => Login::Password,
        };
        let connected = Client::connect(&self.config, &self.tls, &login).await;
        if let (Err(ImapError::No { .. }), Some(tokens)) = (&connected, &self.tokens) {
            // The token was refused (revoked, expired early): get a new one next time.
            tokens.lock().await.forget();
        }
        let mut client = connected?;
        let mut result = self.poll_mailbox(&mut client, sink, stop).await;
        // With IDLE (RFC 2177), stay connected and poll again as soon as the server announces mail
        // (or after `idle_max`), until stopped, a sink failure (`run` backs off) or an error.
        while idle && self.config.idle && client.has("IDLE") && !stop.load(Ordering::SeqCst) {
            match &result {
                Ok(report) if report.failed == 0 => {
                    if report.found > 0 {
                        tracing::info!(?report, "IMAP poll done; waiting with IDLE");
                    }
                }
                _ => break,
            }
            if let Err(e) = client.idle(self.config.idle_max, stop).await {
                result = Err(e);
                break;
            }
            if stop.load(Ordering::SeqCst) {
                result = Ok(PollReport::default());
                break;
            }
            result = self.poll_mailbox(&mut client, sink, stop).await;
        }
        if result.is_ok() || matches!(result, Err(ImapError::No { .. } | ImapError::Bad { .. })) {
            client.logout().await;
        }
        result
    }

    async fn poll_mailbox<K: InboundSink>(
        &self,
        client: &mut Client,
        sink: &K,
        stop: &AtomicBool,
    ) -> Result<PollReport, ImapError> {
        let cfg = &self.config;
        let mailbox = proto::mailbox_name(&cfg.mailbox);
        let uidvalidity = client.select(&mailbox).await?;
        let uids = client.search_undeleted().await?;
        let mut report = PollReport { found: uids.len(), ..PollReport::default() };
        let mut failures_in_a_row = 0;
        for chunk in uids.chunks(cfg.batch) {
            let sizes = client.fetch_sizes(chunk).await?;
            let mut wanted = Vec::new();
            for &(uid, size) in &sizes {
                if size > cfg.max_message_bytes {
                    tracing::warn!(uid, size, limit = cfg.max_message_bytes, "message too large; left in the mailbox");
                    report.too_large += 1;
                } else {
                    wanted.push((uid, size));
                }
            }
            for batch in byte_batches(&wanted) {
                let mut done = Vec::new();
                for (uid, raw) in client.fetch_bodies(&batch).await? {
                    if stop.load(Ordering::SeqCst) || failures_in_a_row >= MAX_SINK_FAILURES {
                        break;
                    }
                    let mail = InboundMail {
                        source: InboundSource::Imap,
                        recipients: Vec::new(),
                        dedupe_key: Some(format!("imap:{}:{}:{uidvalidity}:{uid}", cfg.host, cfg.mailbox)),
                        raw,
                    };
                    match sink.accept(mail).await {
                        Ok(()) => {
                            failures_in_a_row = 0;
                            done.push(uid);
                        }
                        Err(e) => {
                            failures_in_a_row += 1;
                            report.failed += 1;
                            tracing::warn!(uid, error = %format!("{e:#}"), "the sink did not keep the message; left in the mailbox");
                        }
                    }
                }
                if !done.is_empty() {
                    client.remove(&done, &cfg.after).await?;
                    report.accepted += done.len();
                }
                if stop.load(Ordering::SeqCst) || failures_in_a_row >= MAX_SINK_FAILURES {
                    return Ok(report);
                }
            }
        }
        Ok(report)
    }
}

/// 5 s, 10 s, 20 s... up to 15 min.
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(5u64.saturating_mul(1 << failures.saturating_sub(1).min(8))).min(Duration::from_secs(900))
}

/// Splits `(uid, size)` into batches of at most [`MAX_BATCH_BYTES`] (a larger message alone).
fn byte_batches(messages: &[(u32, usize)]) -> Vec<Vec<u32>> {
    let mut batches: Vec<Vec<u32>> = Vec::new();
    let mut bytes = 0;
    for &(uid, size) in messages {
        match batches.last_mut() {
            Some(batch) if bytes + size <= MAX_BATCH_BYTES => batch.push(uid),
            _ => {
                batches.push(vec![uid]);
                bytes = 0;
            }
        }
        bytes += size;
    }
    batches
}

/// One IMAP connection, logged in.
struct Client {
    conn: BufConn<MaybeTls>,
    timeout: Duration,
    next_tag: u32,
    capabilities: Vec<String>,
    /// Largest response taken (a message plus room for the rest of its FETCH response).
    max_response: usize,
}

/// The end of a command: its untagged responses and the `OK`'s response code.
struct Done {
    untagged: Vec<Response>,
    code: Option<String>,
}

/// How a poll logs in.
enum Login {
    /// With the URL's user and password.
    Password,
    /// With the URL's user and this OAuth access token (`AUTHENTICATE XOAUTH2`).
    XOAuth2(String),
}

impl Client {
    /// Connects, secures the connection as configured and logs in.
    async fn connect(
        cfg: &ImapConfig,
        tls: &Result<Arc<ClientConfig>, String>,
        login: &Login,
    ) -> Result<Self, ImapError> {
        let addr = format!("{}:{}", cfg.host, cfg.port);
        let seconds = cfg.timeout.as_secs();
        let tcp = match timeout(cfg.timeout, TcpStream::connect((cfg.host.as_str(), cfg.port))).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(source)) => return Err(ImapError::Connect { addr, source }),
            Err(_) => return Err(ImapError::Timeout { what: format!("connecting to {addr}"), seconds }),
        };
        let _ = tcp.set_nodelay(true);
        let stream = if cfg.tls == ImapTls::Implicit {
            stream::handshake(tcp, tls, &cfg.host, cfg.timeout).await?
        } else {
            MaybeTls::Plain(tcp)
        };
        let mut client = Client {
            conn: BufConn::new(stream),
            timeout: cfg.timeout,
            next_tag: 1,
            capabilities: Vec::new(),
            max_response: cfg.max_message_bytes + 1024 * 1024,
        };
        let preauth = client.greeting().await?;
        if client.capabilities.is_empty() {
            client.capability().await?;
        }
        let offered = client.has("STARTTLS");
        let encrypted = cfg.tls == ImapTls::Implicit;
        match cfg.tls {
            ImapTls::StartTls | ImapTls::Required if offered && !preauth => {
                client.command("STARTTLS", &[]).await?;
                let stream = match std::mem::replace(&mut client.conn, BufConn::new(MaybeTls::Closed)).into_inner() {
                    MaybeTls::Plain(tcp) => stream::handshake(tcp, tls, &cfg.host, cfg.timeout).await?,
                    _ => return Err(ImapError::Insecure("STARTTLS on a connection that is not plain TCP".into())),
                };
                client.conn = BufConn::new(stream);
                client.capabilities.clear();
                client.capability().await?;
            }
            ImapTls::Required => {
                return Err(ImapError::Insecure(format!("{addr} does not offer STARTTLS, and tls=required")));
            }
            ImapTls::StartTls if !cfg.is_loopback() && !preauth => {
                return Err(ImapError::Insecure(format!(
                    "{addr} does not offer STARTTLS; the password is not sent unencrypted (use imaps:// if the server has it)"
                )));
            }
            _ if !encrypted => tracing::debug!(%addr, "IMAP without TLS on this machine"),
            _ => {}
        }
        match login {
            _ if preauth => {}
            Login::Password => client.login(&cfg.user, &cfg.password).await?,
            Login::XOAuth2(token) => client.login_xoauth2(&cfg.user, token).await?,
        }
        Ok(client)
    }

    fn has(&self, capability: &str) -> bool {
        self.capabilities.iter().any(|c| c.eq_ignore_ascii_case(capability))
    }

    /// Reads the greeting; true for PREAUTH.
    async fn greeting(&mut self) -> Result<bool, ImapError> {
        match self.read_response("the greeting").await? {
            Response::Status { status: Status::Ok, code, .. } => {
                self.note_capabilities(code.as_deref());
                Ok(false)
            }
            Response::Status { status: Status::Preauth, code, .. } => {
                self.note_capabilities(code.as_deref());
                Ok(true)
            }
            Response::Status { status: Status::Bye, text, .. } => Err(ImapError::Bye(text)),
            other => Err(ImapError::Protocol { what: "the greeting".into(), detail: format!("{other:?}") }),
        }
    }

    fn note_capabilities(&mut self, code: Option<&str>) {
        if let Some(list) = code.and_then(|c| c.strip_prefix("CAPABILITY ")) {
            self.capabilities = list.split_ascii_whitespace().map(str::to_ascii_uppercase).collect();
        }
    }

    async fn capability(&mut self) -> Result<(), ImapError> {
        let done = self.command("CAPABILITY", &[]).await?;
        for r in done.untagged {
            if let Response::Data { name, values } = r
                && name == "CAPABILITY"
            {
                self.capabilities = values.iter().filter_map(Value::atom).map(str::to_ascii_uppercase).collect();
            }
        }
        Ok(())
    }

    async fn login(&mut self, user: &str, password: &str) -> Result<(), ImapError> {
        let done = if self.has("AUTH=PLAIN") {
            let token = base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"));
            if self.has("SASL-IR") {
                self.command_parts("AUTHENTICATE", vec![format!("AUTHENTICATE PLAIN {token}").into_bytes()]).await?
            } else {
                self.command_parts("AUTHENTICATE", vec![b"AUTHENTICATE PLAIN".to_vec(), token.into_bytes()]).await?
            }
        } else if self.has("LOGINDISABLED") {
            return Err(ImapError::Insecure("the server disables LOGIN and offers no AUTH=PLAIN".into()));
        } else {
            let mut parts = vec![b"LOGIN ".to_vec()];
            for (i, arg) in [user, password].into_iter().enumerate() {
                let (text, literal) = proto::string_arg(arg.as_bytes());
                if let Some(last) = parts.last_mut() {
                    if i == 1 {
                        last.push(b' ');
                    }
                    last.extend_from_slice(&text);
                }
                if let Some(bytes) = literal {
                    parts.push(bytes);
                }
            }
            self.command_parts("LOGIN", parts).await?
        };
        self.capabilities.clear();
        self.note_capabilities(done.code.as_deref());
        if self.capabilities.is_empty() {
            self.capability().await?;
        }
        Ok(())
    }

    /// `AUTHENTICATE XOAUTH2` with an access token. A refusal comes as a `+` with a JSON error
    /// (base64), answered with an empty line, then `NO`: the error names what the server said.
    async fn login_xoauth2(&mut self, user: &str, token: &str) -> Result<(), ImapError> {
        const WHAT: &str = "AUTHENTICATE XOAUTH2";
        if !self.has("AUTH=XOAUTH2") {
            return Err(ImapError::No { command: WHAT.into(), text: "the server does not offer AUTH=XOAUTH2".into() });
        }
        let response = oauth::xoauth2_response(user, token);
        let tag = format!("K{}", self.next_tag);
        self.next_tag += 1;
        let io = |source| ImapError::Io { what: WHAT.to_string(), source };
        self.conn.queue(format!("{tag} AUTHENTICATE XOAUTH2").as_bytes());
        if self.has("SASL-IR") {
            self.conn.queue(format!(" {response}").as_bytes());
        }
        self.conn.queue(b"\r\n");
        self.conn.flush().await.map_err(io)?;
        let mut sent = self.has("SASL-IR");
        let mut server_said = None;
        loop {
            match self.read_response(WHAT).await? {
                Response::Continuation(_) if !sent => {
                    self.conn.queue(response.as_bytes());
                    self.conn.queue(b"\r\n");
                    self.conn.flush().await.map_err(io)?;
                    sent = true;
                }
                Response::Continuation(text) => {
                    // The refusal's details; the client must answer with an empty line.
                    server_said = Some(oauth::xoauth2_error(&text));
                    self.conn.queue(b"\r\n");
                    self.conn.flush().await.map_err(io)?;
                }
                Response::Tagged { tag: t, status: Status::Ok, code, .. } if t == tag => {
                    self.capabilities.clear();
                    self.note_capabilities(code.as_deref());
                    if self.capabilities.is_empty() {
                        self.capability().await?;
                    }
                    return Ok(());
                }
                Response::Tagged { tag: t, status, code, text } if t == tag => {
                    let text = match server_said {
                        Some(said) => format!("{text} ({said})"),
                        None => text,
                    };
                    return Err(refusal(WHAT, status, code, text));
                }
                Response::Status { status: Status::Bye, text, .. } => return Err(ImapError::Bye(text)),
                _ => {}
            }
        }
    }

    /// IDLE (RFC 2177) until the server announces new mail (`EXISTS`), `max` has passed or `stop`
    /// is set (checked every second); then `DONE`.
    async fn idle(&mut self, max: Duration, stop: &AtomicBool) -> Result<(), ImapError> {
        const WHAT: &str = "IDLE";
        let tag = format!("K{}", self.next_tag);
        self.next_tag += 1;
        let io = |source| ImapError::Io { what: WHAT.to_string(), source };
        self.conn.queue(format!("{tag} IDLE\r\n").as_bytes());
        self.conn.flush().await.map_err(io)?;
        loop {
            match self.read_response(WHAT).await? {
                Response::Continuation(_) => break,
                Response::Tagged { tag: t, status, code, text } if t == tag => {
                    return Err(refusal(WHAT, status, code, text));
                }
                Response::Status { status: Status::Bye, text, .. } => return Err(ImapError::Bye(text)),
                _ => {}
            }
        }
        let deadline = tokio::time::Instant::now() + max;
        while !stop.load(Ordering::SeqCst) {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                break;
            }
            let tick = tokio::time::sleep((deadline - now).min(Duration::from_secs(1)));
            tokio::select! {
                // Cancel safe: a tick that wins has taken no byte.
                readable = self.conn.wait_readable() => {
                    if !readable.map_err(io)? {
                        return Err(io(io::ErrorKind::UnexpectedEof.into()));
                    }
                    match self.read_response(WHAT).await? {
                        Response::Numbered { name, .. } if name.eq_ignore_ascii_case("EXISTS") => break,
                        Response::Status { status: Status::Bye, text, .. } => return Err(ImapError::Bye(text)),
                        // EXPUNGE, flag changes, "* OK still here".
                        _ => {}
                    }
                }
                () = tick => {}
            }
        }
        self.conn.queue(b"DONE\r\n");
        self.conn.flush().await.map_err(io)?;
        loop {
            match self.read_response(WHAT).await? {
                Response::Tagged { tag: t, status: Status::Ok, .. } if t == tag => return Ok(()),
                Response::Tagged { tag: t, status, code, text } if t == tag => {
                    return Err(refusal(WHAT, status, code, text));
                }
                Response::Status { status: Status::Bye, text, .. } => return Err(ImapError::Bye(text)),
                _ => {}
            }
        }
    }

    /// Selects the mailbox; returns its UIDVALIDITY.
    async fn select(&mut self, mailbox: &str) -> Result<u32, ImapError> {
        let (name, literal) = proto::string_arg(mailbox.as_bytes());
        let mut parts = vec![[b"SELECT ".as_slice(), &name].concat()];
        parts.extend(literal);
        let done = self.command_parts(&format!("SELECT {mailbox}"), parts).await?;
        if done.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("READ-ONLY")) {
            return Err(ImapError::No {
                command: format!("SELECT {mailbox}"),
                text: "the mailbox is read-only".into(),
            });
        }
        done.untagged
            .iter()
            .find_map(|r| match r {
                Response::Status { status: Status::Ok, code: Some(code), .. } => {
                    code.strip_prefix("UIDVALIDITY ").and_then(|n| n.trim().parse().ok())
                }
                _ => None,
            })
            .ok_or_else(|| ImapError::Protocol { what: format!("SELECT {mailbox}"), detail: "no UIDVALIDITY".into() })
    }

    async fn search_undeleted(&mut self) -> Result<Vec<u32>, ImapError> {
        let done = self.command("UID SEARCH", &[b"UNDELETED"]).await?;
        let mut uids = Vec::new();
        for r in &done.untagged {
            if let Response::Data { name, values } = r
                && name == "SEARCH"
            {
                for v in values {
                    uids.push(v.number().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| ImapError::Protocol {
                        what: "UID SEARCH".into(),
                        detail: format!("{v:?} is not a UID"),
                    })?);
                }
            }
        }
        uids.sort_unstable();
        uids.dedup();
        Ok(uids)
    }

    /// `(uid, RFC822.SIZE)` of the messages that still exist.
    async fn fetch_sizes(&mut self, uids: &[u32]) -> Result<Vec<(u32, usize)>, ImapError> {
        let set = proto::uid_set(uids);
        let done = self.command("UID FETCH", &[set.as_bytes(), b"(UID RFC822.SIZE)"]).await?;
        let mut sizes = Vec::new();
        for items in fetch_items(done.untagged) {
            let uid = item(&items, "UID").and_then(Value::number).and_then(|n| u32::try_from(n).ok());
            let size = item(&items, "RFC822.SIZE").and_then(Value::number).and_then(|n| usize::try_from(n).ok());
            if let (Some(uid), Some(size)) = (uid, size)
                && uids.contains(&uid)
            {
                sizes.push((uid, size));
            }
        }
        sizes.sort_unstable();
        Ok(sizes)
    }

    /// The messages' bytes, in UID order.
    async fn fetch_bodies(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        let set = proto::uid_set(uids);
        let done = self.command("UID FETCH", &[set.as_bytes(), b"(UID BODY.PEEK[])"]).await?;
        let mut bodies = Vec::new();
        for mut items in fetch_items(done.untagged) {
            let uid = item(&items, "UID").and_then(Value::number).and_then(|n| u32::try_from(n).ok());
            let Some(uid) = uid.filter(|u| uids.contains(u)) else { continue };
            let body = items.iter().position(|v| v.atom().is_some_and(|a| a.eq_ignore_ascii_case("BODY[]")));
            match body.filter(|i| i + 1 < items.len()).map(|i| items.swap_remove(i + 1)) {
                Some(Value::String(raw)) => bodies.push((uid, raw)),
                other => {
                    return Err(ImapError::Protocol {
                        what: "UID FETCH".into(),
                        detail: format!("message {uid} came without BODY[] ({other:?})"),
                    });
                }
            }
        }
        bodies.sort_by_key(|(uid, _)| *uid);
        Ok(bodies)
    }

    /// Deletes or moves the messages, then expunges them.
    async fn remove(&mut self, uids: &[u32], after: &AfterFetch) -> Result<(), ImapError> {
        let set = proto::uid_set(uids);
        if let AfterFetch::Move(folder) = after {
            let folder = proto::mailbox_name(folder);
            let verb = if self.has("MOVE") { "UID MOVE" } else { "UID COPY" };
            match self.copy_or_move(verb, &set, &folder).await {
                Err(ImapError::No { text, .. }) if text.starts_with("[TRYCREATE]") => {
                    let (name, literal) = proto::string_arg(folder.as_bytes());
                    let mut parts = vec![[b"CREATE ".as_slice(), &name].concat()];
                    parts.extend(literal);
                    self.command_parts(&format!("CREATE {folder}"), parts).await?;
                    self.copy_or_move(verb, &set, &folder).await?;
                }
                other => other?,
            }
            if verb == "UID MOVE" {
                return Ok(());
            }
        }
        self.command("UID STORE", &[set.as_bytes(), b"+FLAGS.SILENT (\\Deleted)"]).await?;
        if self.has("UIDPLUS") {
            self.command("UID EXPUNGE", &[set.as_bytes()]).await?;
        } else {
            self.command("EXPUNGE", &[]).await?;
        }
        Ok(())
    }

    async fn copy_or_move(&mut self, verb: &str, set: &str, folder: &str) -> Result<(), ImapError> {
        let (name, literal) = proto::string_arg(folder.as_bytes());
        let mut parts = vec![format!("{verb} {set} ").into_bytes()];
        parts[0].extend_from_slice(&name);
        parts.extend(literal);
        // A refusal keeps its response code in the text, so the caller sees `[TRYCREATE]`.
        self.command_parts(&format!("{verb} to {folder}"), parts).await.map(|_| ())
    }

    /// Says goodbye; errors do not matter any more.
    async fn logout(&mut self) {
        let _ = self.command("LOGOUT", &[]).await;
    }

    /// A command of atoms (no strings that could need a literal).
    async fn command(&mut self, name: &str, args: &[&[u8]]) -> Result<Done, ImapError> {
        let mut line = name.as_bytes().to_vec();
        for arg in args {
            line.push(b' ');
            line.extend_from_slice(arg);
        }
        self.command_parts(name, vec![line]).await
    }

    /// Sends a command in parts: before each part after the first, the server must say `+` (a
    /// literal, or the next step of AUTHENTICATE). `what` names the command in errors (never with
    /// its arguments, which may hold the password).
    async fn command_parts(&mut self, what: &str, parts: Vec<Vec<u8>>) -> Result<Done, ImapError> {
        let tag = format!("K{}", self.next_tag);
        self.next_tag += 1;
        let mut untagged = Vec::new();
        let count = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            if i == 0 {
                self.conn.queue(tag.as_bytes());
                self.conn.queue(b" ");
            }
            self.conn.queue(&part);
            self.conn.queue(b"\r\n");
            self.conn.flush().await.map_err(|source| ImapError::Io { what: what.to_string(), source })?;
            if i + 1 < count {
                loop {
                    match self.read_response(what).await? {
                        Response::Continuation(_) => break,
                        Response::Tagged { tag: t, status, code, text } if t == tag => {
                            return Err(refusal(what, status, code, text));
                        }
                        other => untagged.push(other),
                    }
                }
            }
        }
        loop {
            match self.read_response(what).await? {
                Response::Tagged { tag: t, status: Status::Ok, code, .. } if t == tag => {
                    return Ok(Done { untagged, code });
                }
                Response::Tagged { tag: t, status, code, text } if t == tag => {
                    return Err(refusal(what, status, code, text));
                }
                Response::Tagged { tag: t, .. } => {
                    return Err(ImapError::Protocol {
                        what: what.to_string(),
                        detail: format!("answer for unknown tag {t}"),
                    });
                }
                Response::Continuation(_) => {
                    return Err(ImapError::Protocol { what: what.to_string(), detail: "unexpected '+'".into() });
                }
                Response::Status { status: Status::Bye, text, .. } if what != "LOGOUT" => {
                    return Err(ImapError::Bye(text));
                }
                other => untagged.push(other),
            }
        }
    }

    /// Reads one response with its literals, within the time and size limits.
    async fn read_response(&mut self, what: &str) -> Result<Response, ImapError> {
        let mut buf = Vec::new();
        loop {
            let room = self.max_response.saturating_sub(buf.len());
            let read = timeout(self.timeout, self.conn.read_segment(&mut buf, room)).await;
            match io_result(what, self.timeout, read)? {
                Segment::Line => {}
                Segment::Partial => {
                    return Err(ImapError::Protocol {
                        what: what.to_string(),
                        detail: format!("response larger than {} bytes", self.max_response),
                    });
                }
                Segment::Eof => {
                    return Err(ImapError::Io { what: what.to_string(), source: io::ErrorKind::UnexpectedEof.into() });
                }
            }
            let Some(n) = proto::literal_len(&buf) else { break };
            if buf.len().saturating_add(n) > self.max_response {
                return Err(ImapError::Protocol {
                    what: what.to_string(),
                    detail: format!("a literal of {n} bytes, more than the {} allowed", self.max_response),
                });
            }
            // One more second per 100 kB, so a large message on a slow line is not cut off.
            let limit = self.timeout + Duration::from_secs((n / 100_000) as u64);
            let read = timeout(limit, self.conn.read_exact_into(&mut buf, n)).await;
            io_result(what, limit, read)?;
        }
        proto::parse_response(&buf).map_err(|e| ImapError::Protocol { what: what.to_string(), detail: e.to_string() })
    }
}

fn io_result<T>(
    what: &str,
    limit: Duration,
    r: Result<io::Result<T>, tokio::time::error::Elapsed>,
) -> Result<T, ImapError> {
    match r {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(source)) => Err(ImapError::Io { what: what.to_string(), source }),
        Err(_) => Err(ImapError::Timeout { what: what.to_string(), seconds: limit.as_secs() }),
    }
}

fn refusal(what: &str, status: Status, code: Option<String>, text: String) -> ImapError {
    let text = match code {
        Some(code) => format!("[{code}] {text}"),
        None => text,
    };
    match status {
        Status::Bad => ImapError::Bad { command: what.to_string(), text },
        _ => ImapError::No { command: what.to_string(), text },
    }
}

/// The item lists of the `* n FETCH (...)` responses.
fn fetch_items(untagged: Vec<Response>) -> impl Iterator<Item = Vec<Value>> {
    untagged.into_iter().filter_map(|r| match r {
        Response::Numbered { name, values, .. } if name == "FETCH" => match values.into_iter().next() {
            Some(Value::List(items)) => Some(items),
            _ => None,
        },
        _ => None,
    })
}

/// The value after `name` in a FETCH item list.
fn item<'a>(items: &'a [Value], name: &str) -> Option<&'a Value> {
    let i = items.iter().step_by(2).position(|v| v.atom().is_some_and(|a| a.eq_ignore_ascii_case(name)))?;
    items.get(i * 2 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stops_growing() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(5), Duration::from_secs(80));
        assert_eq!(backoff(50), Duration::from_secs(900));
    }

    #[test]
    fn batches_respect_the_byte_limit() {
        let mb = 1024 * 1024;
        assert_eq!(
            byte_batches(&[(1, mb), (2, mb), (3, 31 * mb), (4, 40 * mb), (5, 1)]),
            vec![vec![1, 2], vec![3], vec![4], vec![5]]
        );
        assert!(byte_batches(&[]).is_empty());
    }

    #[test]
    fn fetch_items_by_name() {
        let items = vec![
            Value::Atom("UID".into()),
            Value::Atom("7".into()),
            Value::Atom("BODY[]".into()),
            Value::String(b"x".to_vec()),
        ];
        assert_eq!(item(&items, "uid").and_then(Value::number), Some(7));
        assert_eq!(item(&items, "BODY[]"), Some(&Value::String(b"x".to_vec())));
        assert_eq!(item(&items, "FLAGS"), None);
    }
}

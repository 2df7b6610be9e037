//! A small SMTP server for the tests, and helpers to set up a store with messages.
//!
//! The server speaks enough ESMTP for lettre (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT),
//! answers each recipient as told ([`Rule`]), records every message it accepts (un-dot-stuffed),
//! and can hold its reply to the end of data until released, to catch the engine mid-send.
#![allow(dead_code)]

pub mod inbound;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use kurier_core::{DeliveryState, EmailAddress, MessageKey, MessageKind, Secret};
use kurier_store::{NewMessage, Store};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// How the test relay offers TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayTls {
    None,
    /// Offers STARTTLS after EHLO.
    StartTls,
    /// TLS from the first byte (smtps).
    Implicit,
}

/// How the server answers RCPT TO for an address.
#[derive(Clone, Debug)]
pub enum Rule {
    Reply(u16, &'static str),
    /// Close the connection without a reply.
    Drop,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub mail_from: String,
    /// Everything after the address in MAIL FROM (e.g. ` BODY=8BITMIME`).
    pub mail_params: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Default)]
struct Inner {
    rules: HashMap<String, Rule>,
    received: Vec<Received>,
    connections: usize,
    quits: usize,
    /// Messages whose end of data arrived (replied to or held).
    data_ends: usize,
    auth: Vec<String>,
    tls_handshakes: usize,
}

#[derive(Clone)]
pub struct Relay {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    gate: Arc<watch::Sender<bool>>,
    tls: RelayTls,
    acceptor: Option<TlsAcceptor>,
}

fn acceptor() -> TlsAcceptor {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let cert = CertificateDer::from_pem_file(format!("{dir}/relay-cert.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{dir}/relay-key.pem")).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    TlsAcceptor::from(Arc::new(config))
}

impl Relay {
    pub async fn start() -> Self {
        Self::start_with(RelayTls::None).await
    }

    pub async fn start_with(tls: RelayTls) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = Relay {
            addr: listener.local_addr().unwrap(),
            inner: Arc::default(),
            gate: Arc::new(watch::Sender::new(true)),
            tls,
            acceptor: (tls != RelayTls::None).then(acceptor),
        };
        let r = relay.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                r.inner.lock().unwrap().connections += 1;
                let r = r.clone();
                tokio::spawn(async move {
                    if r.tls == RelayTls::Implicit {
                        let Ok(tls) = r.acceptor.clone().unwrap().accept(stream).await else { return };
                        r.inner.lock().unwrap().tls_handshakes += 1;
                        r.session(tls, false, true).await;
                    } else if let Some(plain) = r.session(stream, r.tls == RelayTls::StartTls, true).await {
                        let Ok(tls) = r.acceptor.clone().unwrap().accept(plain).await else { return };
                        r.inner.lock().unwrap().tls_handshakes += 1;
                        r.session(tls, false, false).await;
                    }
                });
            }
        });
        relay
    }

    /// `smtp://127.0.0.1:PORT?tls=none` plus `extra` parameters.
    pub fn url(&self, extra: &str) -> String {
        format!("smtp://127.0.0.1:{}?tls=none{extra}", self.addr.port())
    }

    pub fn rule(&self, rcpt: &str, rule: Rule) {
        self.inner.lock().unwrap().rules.insert(rcpt.to_string(), rule);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    pub fn received_for(&self, rcpt: &str) -> Vec<Received> {
        self.received().into_iter().filter(|r| r.rcpt_to.iter().any(|t| t == rcpt)).collect()
    }

    pub fn connections(&self) -> usize {
        self.inner.lock().unwrap().connections
    }

    pub fn quits(&self) -> usize {
        self.inner.lock().unwrap().quits
    }

    pub fn data_ends(&self) -> usize {
        self.inner.lock().unwrap().data_ends
    }

    /// Connections that completed a TLS handshake.
    pub fn tls_handshakes(&self) -> usize {
        self.inner.lock().unwrap().tls_handshakes
    }

    pub fn auth_lines(&self) -> Vec<String> {
        self.inner.lock().unwrap().auth.clone()
    }

    /// Holds every reply to the end of data until [`Relay::open`].
    pub fn hold(&self) {
        self.gate.send_replace(false);
    }

    pub fn open(&self) {
        self.gate.send_replace(true);
    }

    /// Serves one connection. Returns the stream when the client asked for STARTTLS (and was told
    /// to go ahead), for the caller to continue encrypted.
    async fn session<S: AsyncRead + AsyncWrite + Unpin>(&self, stream: S, starttls: bool, greet: bool) -> Option<S> {
        let (read, mut write) = tokio::io::split(stream);
        let mut read = BufReader::new(read);
        let mut line = Vec::new();
        let mut tx: Option<Received> = None;
        macro_rules! reply {
            ($($t:tt)*) => {
                if write.write_all(format!($($t)*).as_bytes()).await.is_err() { return None; }
            };
        }
        if greet {
            reply!("220 test.relay ESMTP ready\r\n");
        }
        loop {
            line.clear();
            if read.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                return None;
            }
            let text = String::from_utf8_lossy(&line).trim_end().to_string();
            let upper = text.to_ascii_uppercase();
            if upper.starts_with("EHLO") {
                let offer = if starttls { "250-STARTTLS\r\n" } else { "" };
                reply!("250-test.relay\r\n{offer}250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 50000000\r\n");
            } else if upper == "STARTTLS" && starttls {
                reply!("220 2.0.0 Ready to start TLS\r\n");
                return Some(read.into_inner().unsplit(write));
            } else if upper.starts_with("AUTH") {
                self.inner.lock().unwrap().auth.push(text.clone());
                reply!("235 2.7.0 Authentication successful\r\n");
            } else if upper.starts_with("MAIL FROM:") {
                let rest = &text["MAIL FROM:".len()..];
                let (addr, params) = rest.split_once('>').unwrap_or((rest, ""));
                tx = Some(Received {
                    mail_from: addr.trim_start_matches('<').to_string(),
                    mail_params: params.to_string(),
                    rcpt_to: Vec::new(),
                    data: Vec::new(),
                });
                reply!("250 2.1.0 Ok\r\n");
            } else if upper.starts_with("RCPT TO:") {
                let addr = text["RCPT TO:".len()..].trim_start_matches('<').trim_end_matches('>').to_string();
                let rule = self.inner.lock().unwrap().rules.get(&addr).cloned();
                match rule {
                    Some(Rule::Drop) => return None,
                    Some(Rule::Reply(code, msg)) if code >= 400 => reply!("{code} {msg}\r\n"),
                    _ => {
                        if let Some(tx) = tx.as_mut() {
                            tx.rcpt_to.push(addr);
                        }
                        reply!("250 2.1.5 Ok\r\n");
                    }
                }
            } else if upper == "DATA" {
                reply!("354 End data with <CR><LF>.<CR><LF>\r\n");
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if read.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                        return None;
                    }
                    if line == b".\r\n" {
                        break;
                    }
                    let unstuffed = if line.starts_with(b".") { &line[1..] } else { &line[..] };
                    data.extend_from_slice(unstuffed);
                }
                self.inner.lock().unwrap().data_ends += 1;
                let _ = self.gate.subscribe().wait_for(|open| *open).await;
                let mut tx = tx.take().expect("DATA after MAIL");
                tx.data = data;
                let n = {
                    let mut inner = self.inner.lock().unwrap();
                    inner.received.push(tx);
                    inner.received.len()
                };
                reply!("250 2.0.0 Ok: queued as Q{n}\r\n");
            } else if upper == "RSET" {
                tx = None;
                reply!("250 2.0.0 Ok\r\n");
            } else if upper == "NOOP" {
                reply!("250 2.0.0 Ok\r\n");
            } else if upper == "QUIT" {
                self.inner.lock().unwrap().quits += 1;
                reply!("221 2.0.0 Bye\r\n");
                return None;
            } else {
                reply!("502 5.5.2 Error: command not recognized\r\n");
            }
        }
    }
}

/// Polls `cond` until it holds; panics after 20 s (a hang, not a performance limit).
pub async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn secret() -> Secret {
    Secret::new(vec![7; 32]).unwrap()
}

pub async fn open_store(dir: &tempfile::TempDir) -> Store {
    Store::open(&format!("sqlite://{}/k.db", dir.path().display()), secret()).await.unwrap()
}

/// A transactional message to `to`; `n` makes key and dedupe key unique.
pub fn message(n: u32, to: &str, body: &str) -> NewMessage {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    bytes[4..8].copy_from_slice(&0x6b75_7269u32.to_be_bytes());
    let key = MessageKey::from_bytes(bytes);
    let raw = format!(
        "From: Kurier <news@example.com>\r\nTo: <{to}>\r\nSubject: Test {n}\r\nMessage-ID: <{key}@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         {body}\r\n.a line that starts with a dot\r\n..and one with two\r\n.\r\nbye\r\n"
    );
    NewMessage {
        envelope_from: format!("{}@bounces.example.com", key.verp_local(&secret())),
        key,
        dedupe_key: format!("test:{n}"),
        source: "test".into(),
        from_domain: "example.com".into(),
        kind: MessageKind::Transactional,
        list_id: None,
        contact_id: None,
        to: EmailAddress::parse(to).unwrap(),
        subject: format!("Test {n}"),
        raw: raw.into_bytes(),
        not_before: now(),
    }
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

pub async fn enqueue(store: &Store, msg: &NewMessage) {
    assert!(store.enqueue(msg, now()).await.unwrap());
}

pub async fn count(store: &Store, state: DeliveryState) -> i64 {
    store.outbox_counts().await.unwrap().into_iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| n)
}

pub async fn states(store: &Store, key: &MessageKey) -> Vec<DeliveryState> {
    store.message_events(key).await.unwrap().into_iter().map(|e| e.state).collect()
}

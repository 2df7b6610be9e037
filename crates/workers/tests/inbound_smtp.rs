//! The inbound SMTP server against real clients: lettre, hand-written sessions over TCP (pipelining,
//! limits, refusals, garbage), and Postfix's `smtp-source` when it is installed.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::inbound::MemorySink;
use common::wait_for;
use kurier_workers::inbound::{InboundSmtp, InboundSmtpConfig, InboundSource, ServeReport};
use lettre::address::Envelope;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const DOMAIN: &str = "bounces.example.com";

struct Server {
    addr: SocketAddr,
    sink: MemorySink,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<ServeReport>,
}

impl Server {
    async fn start(tune: impl FnOnce(&mut InboundSmtpConfig)) -> Self {
        let mut config = InboundSmtpConfig::new("127.0.0.1:0".parse().unwrap(), "mx.test", vec![DOMAIN.to_string()]);
        tune(&mut config);
        let server = InboundSmtp::bind(config).await.unwrap();
        let addr = server.local_addr();
        let sink = MemorySink::default();
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.serve(sink.clone(), async move {
            let _ = stopped.await;
        }));
        Server { addr, sink, stop: Some(stop), handle }
    }

    async fn stop(mut self) -> ServeReport {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(20), self.handle).await.expect("serve stops").unwrap()
    }

    fn lettre(&self) -> AsyncSmtpTransport<Tokio1Executor> {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(self.addr.port()).build()
    }
}

/// A hand-driven SMTP session.
struct Raw {
    read: BufReader<OwnedReadHalf>,
    write: OwnedWriteHalf,
}

impl Raw {
    async fn connect(addr: SocketAddr) -> (Self, String) {
        let (read, write) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut raw = Raw { read: BufReader::new(read), write };
        let greeting = raw.reply().await;
        (raw, greeting)
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.write.write_all(bytes).await.unwrap();
    }

    /// One reply, all its lines joined by `\n`; empty when the server closed the connection.
    async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(10), self.read.read_line(&mut line))
                .await
                .expect("a reply within 10 s")
                .unwrap_or(0);
            if n == 0 {
                return lines.join("\n");
            }
            let line = line.trim_end().to_string();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines.join("\n");
            }
        }
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }

    /// True when the server closed the connection (nothing more to read).
    async fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        matches!(tokio::time::timeout(Duration::from_secs(10), self.read.read_to_end(&mut rest)).await, Ok(Ok(0)))
    }
}

fn assert_code(reply: &str, code: &str) {
    assert!(reply.starts_with(code), "expected {code}, got {reply:?}");
}

/// The message as the sink got it, without the trace headers the server put on top.
fn body(raw: &[u8]) -> &[u8] {
    let text = raw;
    let received = text.windows(10).position(|w| w == b"Received: ").expect("Received header");
    let after = text[received..]
        .windows(2)
        .enumerate()
        .skip(1)
        .find(|(i, w)| *w == b"\r\n" && text.get(received + i + 2).is_some_and(|b| *b != b'\t' && *b != b' '));
    let (i, _) = after.expect("end of Received");
    &raw[received + i + 2..]
}

#[tokio::test]
async fn lettre_sends_bounces_with_the_null_sender() {
    let server = Server::start(|_| {}).await;
    let mailer = server.lettre();
    let message = b"From: MAILER-DAEMON@mx.example.org\r\nTo: b-key@bounces.example.com\r\nSubject: Undelivered Mail\r\n\r\nSorry.\r\n.a line with a dot\r\n..and two\r\nGr\xc3\xbc\xc3\x9fe\r\n";
    let envelope = Envelope::new(None, vec!["b-key@bounces.example.com".parse().unwrap()]).unwrap();
    let reply = mailer.send_raw(&envelope, message).await.unwrap();
    assert_eq!(reply.code().to_string(), "250");
    let envelope = Envelope::new(
        Some("someone@example.org".parse().unwrap()),
        vec!["Postmaster@Bounces.Example.com".parse().unwrap(), "other@bounces.example.com".parse().unwrap()],
    )
    .unwrap();
    mailer.send_raw(&envelope, b"Subject: second\r\n\r\nhi\r\n").await.unwrap();

    let mails = server.sink.mails();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].source, InboundSource::Smtp);
    assert_eq!(mails[0].recipients, ["b-key@bounces.example.com"]);
    assert_eq!(mails[0].dedupe_key, None);
    assert!(
        mails[0].raw.starts_with(b"Return-Path: <>\r\nReceived: from "),
        "{}",
        String::from_utf8_lossy(&mails[0].raw)
    );
    let trace = String::from_utf8_lossy(&mails[0].raw[..mails[0].raw.len() - message.len() - 2]).to_string();
    assert!(trace.contains("by mx.test (Kurier) with ESMTP\r\n\tfor <b-key@bounces.example.com>;"), "{trace}");
    // lettre ends the data with CRLF.CRLF after the message's own last CRLF: one empty line more.
    assert_eq!(body(&mails[0].raw), [&message[..], b"\r\n"].concat(), "exact bytes, dot-stuffing undone");
    assert_eq!(mails[1].recipients, ["Postmaster@bounces.example.com", "other@bounces.example.com"]);
    assert!(mails[1].raw.starts_with(b"Return-Path: <someone@example.org>\r\n"));
    assert_eq!(body(&mails[1].raw), b"Subject: second\r\n\r\nhi\r\n\r\n");

    let report = server.stop().await;
    assert_eq!(report.accepted, 2);
}

#[tokio::test]
async fn pipelined_commands_are_answered_in_order() {
    let server = Server::start(|_| {}).await;
    let (mut c, greeting) = Raw::connect(server.addr).await;
    assert_eq!(greeting, "220 mx.test ESMTP Kurier");
    c.send(
        b"EHLO client.example\r\nMAIL FROM:<> SIZE=100\r\nRCPT TO:<b-1@bounces.example.com>\r\n\
          RCPT TO:<someone@elsewhere.example>\r\nRCPT TO:<postmaster>\r\nDATA\r\n",
    )
    .await;
    let ehlo = c.reply().await;
    for ext in ["250-mx.test Hello client.example", "SIZE 10485760", "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES"] {
        assert!(ehlo.contains(ext), "{ext} in {ehlo}");
    }
    assert!(!ehlo.contains("STARTTLS"), "no STARTTLS without TLS: {ehlo}");
    assert_code(&c.reply().await, "250 2.1.0");
    assert_code(&c.reply().await, "250 2.1.5");
    assert_code(&c.reply().await, "550 5.7.1");
    assert_code(&c.reply().await, "250 2.1.5");
    assert_code(&c.reply().await, "354");
    c.send(b"Subject: one\r\n\r\nfirst\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<b-2@bounces.example.com>\r\nDATA\r\n").await;
    assert_code(&c.reply().await, "250 2.0.0");
    assert_code(&c.reply().await, "250 2.1.0");
    assert_code(&c.reply().await, "250 2.1.5");
    assert_code(&c.reply().await, "354");
    c.send(b"Subject: two\r\n\r\nsecond\r\n.\r\nQUIT\r\n").await;
    assert_code(&c.reply().await, "250 2.0.0");
    assert_code(&c.reply().await, "221 2.0.0");
    assert!(c.closed().await);

    let mails = server.sink.mails();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].recipients, ["b-1@bounces.example.com", "postmaster"]);
    assert_eq!(body(&mails[0].raw), b"Subject: one\r\n\r\nfirst\r\n");
    assert_eq!(mails[1].recipients, ["b-2@bounces.example.com"]);
    assert_eq!(body(&mails[1].raw), b"Subject: two\r\n\r\nsecond\r\n");
}

async fn transaction(c: &mut Raw) {
    assert_code(&c.cmd("MAIL FROM:<>").await, "250");
    assert_code(&c.cmd("RCPT TO:<b-x@bounces.example.com>").await, "250");
    assert_code(&c.cmd("DATA").await, "354");
}

#[tokio::test]
async fn dot_stuffing_is_undone_and_bare_line_feeds_become_crlf() {
    let server = Server::start(|_| {}).await;
    let (mut c, _) = Raw::connect(server.addr).await;
    assert_code(&c.cmd("HELO old.example").await, "250 mx.test");
    transaction(&mut c).await;
    c.send(b"A: b\r\n\r\n..\r\n...x\r\n.y\r\nbare\nz\r\n.\r\n").await;
    assert_code(&c.reply().await, "250");
    let raw = &server.sink.mails()[0].raw;
    assert!(String::from_utf8_lossy(raw).contains("with SMTP"), "HELO gives protocol SMTP");
    assert_eq!(body(raw), b"A: b\r\n\r\n.\r\n..x\r\ny\r\nbare\r\nz\r\n");
}

#[tokio::test]
async fn too_big_messages_are_refused_and_the_session_goes_on() {
    let server = Server::start(|c| c.max_message_bytes = 1000).await;
    let (mut c, _) = Raw::connect(server.addr).await;
    assert!(c.cmd("EHLO c.example").await.contains("250-SIZE 1000"));
    assert_code(&c.cmd("MAIL FROM:<> SIZE=5000").await, "552 5.3.4");
    transaction(&mut c).await;
    let line = format!("{}\r\n", "x".repeat(98));
    for _ in 0..30 {
        c.send(line.as_bytes()).await;
    }
    c.send(b".\r\n").await;
    assert_code(&c.reply().await, "552 5.3.4");
    // The transaction is over; a new one works on the same connection.
    assert_code(&c.cmd("RCPT TO:<b-x@bounces.example.com>").await, "503 5.5.1");
    transaction(&mut c).await;
    c.send(b"Subject: small\r\n\r\nok\r\n.\r\n").await;
    assert_code(&c.reply().await, "250 2.0.0");
    assert_eq!(server.sink.mails().len(), 1);
    // A single line far beyond the limit is drained too.
    transaction(&mut c).await;
    c.send(&vec![b'y'; 300_000]).await;
    c.send(b"\r\n.\r\n").await;
    assert_code(&c.reply().await, "552 5.3.4");
    assert_code(&c.cmd("NOOP").await, "250");
    assert_eq!(server.sink.calls(), 1);
}

#[tokio::test]
async fn only_the_bounce_domains_and_postmaster_are_accepted() {
    let server = Server::start(|c| c.domains.push("Replies.Example.COM".into())).await;
    let (mut c, _) = Raw::connect(server.addr).await;
    c.cmd("EHLO c.example").await;
    assert_code(&c.cmd("MAIL FROM:<x@y.example>").await, "250");
    for (rcpt, code) in [
        ("<anyone@example.org>", "550 5.7.1 <anyone@example.org>: Relay access denied"),
        ("<x@sub.bounces.example.com>", "550 5.7.1"),
        ("<x@bounces.example.com.evil.example>", "550 5.7.1"),
        ("<\"x\"@bounces.example.com@evil.example>", "501 5.5.4"),
        ("<postmaster@elsewhere.example>", "550 5.7.1"),
        ("<Postmaster>", "250 2.1.5"),
        ("<b-abc@BOUNCES.example.com>", "250 2.1.5"),
        ("<reply@replies.example.com>", "250 2.1.5"),
        ("<@relay.example:x@bounces.example.com>", "250 2.1.5"),
    ] {
        assert_code(&c.cmd(&format!("RCPT TO:{rcpt}")).await, code);
    }
}

#[tokio::test]
async fn recipients_beyond_the_limit_are_deferred() {
    let server = Server::start(|c| c.max_recipients = 2).await;
    let (mut c, _) = Raw::connect(server.addr).await;
    c.cmd("EHLO c.example").await;
    c.cmd("MAIL FROM:<>").await;
    assert_code(&c.cmd("RCPT TO:<a@bounces.example.com>").await, "250");
    assert_code(&c.cmd("RCPT TO:<b@bounces.example.com>").await, "250");
    assert_code(&c.cmd("RCPT TO:<c@bounces.example.com>").await, "452 4.5.3");
}

#[tokio::test]
async fn commands_out_of_sequence_and_the_small_ones() {
    let server = Server::start(|_| {}).await;
    let (mut c, _) = Raw::connect(server.addr).await;
    assert_code(&c.cmd("MAIL FROM:<>").await, "503 5.5.1");
    assert_code(&c.cmd("RCPT TO:<a@bounces.example.com>").await, "503 5.5.1");
    assert_code(&c.cmd("DATA").await, "503 5.5.1");
    c.cmd("EHLO c.example").await;
    assert_code(&c.cmd("RCPT TO:<a@bounces.example.com>").await, "503 5.5.1");
    assert_code(&c.cmd("MAIL FROM:<>").await, "250");
    assert_code(&c.cmd("MAIL FROM:<>").await, "503 5.5.1");
    assert_code(&c.cmd("DATA").await, "554 5.5.1");
    assert_code(&c.cmd("RSET").await, "250 2.0.0");
    assert_code(&c.cmd("DATA").await, "503 5.5.1");
    assert_code(&c.cmd("STARTTLS").await, "502 5.5.1");
    assert_code(&c.cmd("VRFY postmaster").await, "252");
    assert_code(&c.cmd("EXPN staff").await, "502 5.5.1");
    assert_code(&c.cmd("NOOP").await, "250 2.0.0");
    assert!(c.cmd("HELP").await.starts_with("214 2.0.0 Commands: EHLO"));
    assert_code(&c.cmd("WHAT is this").await, "500 5.5.1");
    assert_code(&c.cmd("MAIL FROM:<> RET=FULL").await, "555 5.5.4");
    assert_code(&c.cmd("MAIL FROM:<broken").await, "501 5.5.4");
    assert_code(&c.cmd("QUIT").await, "221");
    assert!(c.closed().await);
    assert!(server.sink.mails().is_empty());
}

#[tokio::test]
async fn garbage_is_answered_and_then_the_connection_closed() {
    let server = Server::start(|_| {}).await;
    let (mut c, _) = Raw::connect(server.addr).await;
    c.send(b"\x00\xff\xfe\r\n").await;
    assert_code(&c.reply().await, "500 5.5.1");
    c.send(&[b'A'; 5000]).await;
    c.send(b"\r\n").await;
    assert_code(&c.reply().await, "500 5.5.2");
    c.send(b"EHLO \xc3\x28\r\n").await;
    assert_code(&c.reply().await, "501 5.5.4");
    assert_code(&c.cmd("NOOP").await, "250");
    // Errors add up (three so far); the twentieth closes the connection.
    for _ in 0..16 {
        c.send(b"\x16\x03\x01 binary junk \x80\x81\r\n").await;
        assert_code(&c.reply().await, "500 5.5.1");
    }
    c.send(b"\x16\x03\x01 binary junk \x80\x81\r\n").await;
    assert_code(&c.reply().await, "500 5.5.1");
    assert_code(&c.reply().await, "421 4.7.0");
    assert!(c.closed().await);

    // A line that never ends is not buffered: the server reads a megabyte of it and gives up.
    let (mut c, _) = Raw::connect(server.addr).await;
    c.send(&vec![b'x'; 1000 + 1024 * 1024]).await;
    assert_code(&c.reply().await, "421 4.7.0 Line too long");
    assert!(c.closed().await);
    // The server is still fine.
    let (mut c, _) = Raw::connect(server.addr).await;
    assert_code(&c.cmd("NOOP").await, "250");
}

/// The greeting of a new connection, waiting up to two seconds for a session that just ended to
/// free its place.
async fn greeting_once_free(addr: SocketAddr) -> String {
    let mut greeting = String::new();
    for _ in 0..100 {
        let (_c, g) = Raw::connect(addr).await;
        greeting = g;
        if greeting.starts_with("220") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    greeting
}

#[tokio::test]
async fn connections_beyond_the_limit_are_turned_away() {
    let server = Server::start(|c| c.max_connections = 2).await;
    let (mut a, ga) = Raw::connect(server.addr).await;
    let (_b, gb) = Raw::connect(server.addr).await;
    assert_code(&ga, "220");
    assert_code(&gb, "220");
    let (mut c, gc) = Raw::connect(server.addr).await;
    assert_code(&gc, "421 4.3.2");
    assert!(c.closed().await);
    assert_code(&a.cmd("QUIT").await, "221");
    assert!(a.closed().await);
    // The place comes free once the session has ended.
    assert_code(&greeting_once_free(server.addr).await, "220");
    let report = server.stop().await;
    assert!(report.refused_busy >= 1, "{report:?}");
}

#[tokio::test]
async fn one_client_cannot_take_every_connection() {
    let server = Server::start(|c| {
        c.max_connections = 10;
        c.max_connections_per_client = 2;
    })
    .await;
    let (mut a, ga) = Raw::connect(server.addr).await;
    let (_b, gb) = Raw::connect(server.addr).await;
    assert_code(&ga, "220");
    assert_code(&gb, "220");
    // A third session from 127.0.0.1, with eight free places left overall.
    let (mut c, gc) = Raw::connect(server.addr).await;
    assert_code(&gc, "421 4.7.0");
    assert!(c.closed().await);
    assert_code(&a.cmd("QUIT").await, "221");
    assert!(a.closed().await);
    assert_code(&greeting_once_free(server.addr).await, "220");
    let report = server.stop().await;
    // (The loop above may have been turned away again before the first session's place was free.)
    assert!(report.refused_client >= 1 && report.refused_busy == 0, "{report:?}");
}

#[tokio::test]
async fn idle_clients_are_disconnected() {
    let server = Server::start(|c| c.idle_timeout = Duration::from_millis(200)).await;
    let (mut c, _) = Raw::connect(server.addr).await;
    c.cmd("EHLO c.example").await;
    transaction(&mut c).await;
    c.send(b"Subject: never finished\r\n").await;
    // In the middle of a message the connection is simply dropped (no 250, the client sends again).
    assert!(c.closed().await);
    let (mut c, _) = Raw::connect(server.addr).await;
    assert_code(&c.reply().await, "421 4.4.2");
    assert!(c.closed().await);
    assert!(server.sink.mails().is_empty());
}

#[tokio::test]
async fn a_failing_sink_makes_the_client_try_again() {
    let server = Server::start(|_| {}).await;
    server.sink.fail(true);
    let (mut c, _) = Raw::connect(server.addr).await;
    c.cmd("EHLO c.example").await;
    transaction(&mut c).await;
    c.send(b"Subject: retry me\r\n\r\nx\r\n.\r\n").await;
    assert_code(&c.reply().await, "451 4.3.0");
    server.sink.fail(false);
    transaction(&mut c).await;
    c.send(b"Subject: retry me\r\n\r\nx\r\n.\r\n").await;
    assert_code(&c.reply().await, "250 2.0.0");
    assert_eq!((server.sink.calls(), server.sink.mails().len()), (2, 1));

    // lettre sees the 451 as a transient error.
    server.sink.fail(true);
    let envelope = Envelope::new(None, vec!["b@bounces.example.com".parse().unwrap()]).unwrap();
    let err = server.lettre().send_raw(&envelope, b"Subject: x\r\n\r\ny\r\n").await.unwrap_err();
    assert!(err.is_transient(), "{err}");
}

#[tokio::test]
async fn starttls_with_lettre() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let tls =
        InboundSmtpConfig::load_tls(format!("{dir}/relay-cert.pem").as_ref(), format!("{dir}/relay-key.pem").as_ref())
            .unwrap();
    let server = Server::start(|c| c.tls = Some(tls)).await;
    let (mut c, _) = Raw::connect(server.addr).await;
    let ehlo = c.cmd("EHLO c.example").await;
    assert!(ehlo.contains("250-STARTTLS"), "{ehlo}");
    assert!(c.cmd("HELP").await.contains("STARTTLS"));

    let params =
        TlsParameters::builder("localhost".into()).dangerous_accept_invalid_certs(true).build_rustls().unwrap();
    let mailer = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(server.addr.port())
        .tls(Tls::Required(params))
        .build();
    let envelope = Envelope::new(None, vec!["b-tls@bounces.example.com".parse().unwrap()]).unwrap();
    mailer.send_raw(&envelope, b"Subject: secret\r\n\r\nencrypted\r\n").await.unwrap();
    let mails = server.sink.mails();
    assert_eq!(mails.len(), 1);
    assert!(String::from_utf8_lossy(&mails[0].raw).contains("with ESMTPS"));
    assert_eq!(body(&mails[0].raw), b"Subject: secret\r\n\r\nencrypted\r\n\r\n", "lettre adds an empty line");

    let bad =
        InboundSmtpConfig::load_tls(format!("{dir}/missing.pem").as_ref(), format!("{dir}/relay-key.pem").as_ref())
            .unwrap_err();
    assert!(bad.to_string().contains("missing.pem"), "{bad}");
}

#[tokio::test]
async fn shutdown_tells_idle_sessions_and_waits_for_a_message_in_flight() {
    let server = Server::start(|c| c.shutdown_grace = Duration::from_secs(10)).await;
    let (mut idle, _) = Raw::connect(server.addr).await;
    idle.cmd("EHLO idle.example").await;
    let (mut busy, _) = Raw::connect(server.addr).await;
    busy.cmd("EHLO busy.example").await;
    transaction(&mut busy).await;
    busy.send(b"Subject: half\r\n\r\n").await;

    let (sink, addr) = (server.sink.clone(), server.addr);
    let stopping = tokio::spawn(server.stop());
    assert_code(&idle.reply().await, "421 4.3.2");
    assert!(idle.closed().await);
    // The message under way is finished and kept.
    busy.send(b"done\r\n.\r\n").await;
    assert_code(&busy.reply().await, "250 2.0.0");
    assert_code(&busy.reply().await, "421 4.3.2");
    let report = stopping.await.unwrap();
    assert_eq!((report.sessions, report.accepted, report.cut_off), (2, 1, 0));
    assert_eq!(sink.mails().len(), 1);
    assert!(TcpStream::connect(addr).await.is_err(), "nobody listens any more");
}

#[tokio::test]
async fn bad_configurations_are_refused_with_every_problem() {
    let mut config = InboundSmtpConfig::new("127.0.0.1:0".parse().unwrap(), "mx.test", vec![]);
    config.max_message_bytes = 0;
    let err = InboundSmtp::bind(config).await.unwrap_err().to_string();
    assert!(err.contains("domains: none given") && err.contains("max_message_bytes"), "{err}");
    let server = Server::start(|_| {}).await;
    let taken = InboundSmtpConfig::new(server.addr, "mx.test", vec![DOMAIN.into()]);
    let err = InboundSmtp::bind(taken).await.unwrap_err().to_string();
    assert!(err.contains(&format!("cannot listen on {}", server.addr)), "{err}");
}

/// Postfix's load generator against the server: several parallel sessions, several messages per
/// connection, several recipients per message, and the null sender.
#[tokio::test]
#[ignore = "needs Postfix's smtp-source (/usr/sbin/smtp-source); .ci/run installs Postfix"]
async fn smtp_source_delivers_every_message() {
    let tool = "/usr/sbin/smtp-source";
    if !std::path::Path::new(tool).exists() {
        eprintln!("skipped: {tool} not found (apt-get install postfix)");
        return;
    }
    let server = Server::start(|c| c.max_connections = 8).await;
    let target = format!("127.0.0.1:{}", server.addr.port());
    let status = tokio::process::Command::new(tool)
        .args(["-s", "4", "-m", "40", "-d", "-r", "3", "-l", "4096", "-S", "smtp-source test"])
        .args(["-M", "client.test", "-f", "", "-t", "b-load@bounces.example.com", &target])
        .status()
        .await
        .unwrap();
    assert!(status.success(), "smtp-source: {status}");
    let sink = server.sink.clone();
    wait_for("40 messages", || sink.mails().len() >= 40).await;
    let mails = sink.mails();
    assert_eq!(mails.len(), 40);
    for m in &mails {
        assert_eq!(m.recipients.len(), 3, "{:?}", m.recipients);
        assert!(m.recipients.iter().all(|r| r.ends_with("b-load@bounces.example.com")), "{:?}", m.recipients);
        assert!(m.raw.starts_with(b"Return-Path: <>\r\n"), "{}", String::from_utf8_lossy(&m.raw[..60]));
        assert!(m.raw.len() > 4096);
    }
    let report = server.stop().await;
    assert_eq!(report.accepted, 40);
}

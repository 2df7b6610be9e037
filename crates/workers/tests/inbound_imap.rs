//! The IMAP poller against a scripted server (literals split across packets, unsolicited
//! responses, NO and BAD, broken answers), and against a real Dovecot when it is installed.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::inbound::MemorySink;
use kurier_workers::inbound::{ImapConfig, ImapError, ImapPoller, InboundSource, PollReport};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Marks a place in a scripted answer where the server pauses (so the client sees a partial read).
const PAUSE: &[u8] = b"<pause>";

/// A scripted IMAP server for one connection: sends `greeting`, then answers each line it reads
/// with the next answer of the script (`{tag}` is the tag of the last tagged line). A line ending
/// in a literal `{n}` is answered `+` and read on. It records what it got, tags left off.
struct Fake {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    async fn start(greeting: &str, script: Vec<Vec<u8>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let record = got.clone();
        let greeting = greeting.as_bytes().to_vec();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (read, mut write) = stream.into_split();
            let mut read = BufReader::new(read);
            write.write_all(&greeting).await.unwrap();
            let mut tag = String::new();
            for answer in script {
                let mut line = Vec::new();
                loop {
                    if read.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let text = String::from_utf8_lossy(&line).to_string();
                    let Some(n) = text
                        .trim_end()
                        .strip_suffix('}')
                        .and_then(|t| t.rsplit_once('{'))
                        .and_then(|(_, n)| n.parse::<usize>().ok())
                    else {
                        break;
                    };
                    write.write_all(b"+ go on\r\n").await.unwrap();
                    let mut literal = vec![0; n];
                    read.read_exact(&mut literal).await.unwrap();
                    line.extend_from_slice(&literal);
                }
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                let text = match text.split_once(' ') {
                    Some((t, rest)) if t.starts_with('K') && t[1..].bytes().all(|b| b.is_ascii_digit()) => {
                        tag = t.to_string();
                        rest.to_string()
                    }
                    _ => text,
                };
                record.lock().unwrap().push(text);
                let answer = replace(&answer, b"{tag}", tag.as_bytes());
                for (i, piece) in split(&answer, PAUSE).into_iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(30)).await;
                    }
                    if write.write_all(piece).await.is_err() {
                        return;
                    }
                    write.flush().await.unwrap();
                }
            }
            // The script is over: close (a client still talking finds the connection gone).
        });
        Fake { addr, got }
    }

    fn got(&self) -> Vec<String> {
        self.got.lock().unwrap().clone()
    }

    fn url(&self, rest: &str) -> String {
        format!("imap://bounce:secret@127.0.0.1:{}{rest}", self.addr.port())
    }
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    split(haystack, from).join(to)
}

fn split<'a>(haystack: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = haystack;
    while let Some(i) = rest.windows(sep.len()).position(|w| w == sep) {
        parts.push(&rest[..i]);
        rest = &rest[i + sep.len()..];
    }
    parts.push(rest);
    parts
}

fn s(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn fetch(seq: u32, uid: u32, body: &[u8], uid_first: bool) -> Vec<u8> {
    let mut out = if uid_first {
        format!("* {seq} FETCH (UID {uid} BODY[] {{{}}}\r\n", body.len()).into_bytes()
    } else {
        format!("* {seq} FETCH (BODY[] {{{}}}\r\n", body.len()).into_bytes()
    };
    // The literal arrives in two packets.
    let half = body.len() / 2;
    out.extend_from_slice(&body[..half]);
    out.extend_from_slice(PAUSE);
    out.extend_from_slice(&body[half..]);
    if uid_first {
        out.extend_from_slice(b")\r\n");
    } else {
        out.extend_from_slice(format!(" UID {uid})\r\n").as_bytes());
    }
    out
}

async fn poll(url: &str, sink: &MemorySink) -> Result<PollReport, ImapError> {
    let poller = ImapPoller::new(ImapConfig::from_url(url).unwrap());
    tokio::time::timeout(Duration::from_secs(20), poller.poll(sink)).await.expect("poll ends")
}

const TRICKY: &[u8] = b"Subject: tricky )\r\nX: \"unbalanced\r\n\r\n* 3 FETCH (UID 99 BODY[] {5}\r\nK9 OK fake\r\n";
const PLAIN: &[u8] = b"Subject: plain\r\n\r\nGr\xc3\xbc\xc3\x9fe\r\n";

#[tokio::test]
async fn literals_are_read_by_length_and_kept_messages_are_deleted() {
    let mut bodies = fetch(1, 7, TRICKY, true);
    bodies.extend_from_slice(b"* 1 FETCH (FLAGS (\\Seen))\r\n");
    bodies.extend(fetch(2, 9, PLAIN, false));
    bodies.extend_from_slice(b"{tag} OK Fetch completed.\r\n");
    let fake = Fake::start(
        "* OK IMAP4rev1 fake ready\r\n",
        vec![
            s("* CAPABILITY IMAP4rev1 LITERAL+\r\n{tag} OK done\r\n"),
            s("{tag} OK [CAPABILITY IMAP4rev1 UIDPLUS] Logged in\r\n"),
            s("* FLAGS (\\Deleted \\Seen)\r\n* 2 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 42] UIDs valid\r\n{tag} OK [READ-WRITE] Select completed.\r\n"),
            s("* SEARCH 9 7\r\n{tag} OK Search completed.\r\n"),
            format!("* 1 FETCH (UID 7 RFC822.SIZE {})\r\n* 2 FETCH (RFC822.SIZE {} UID 9)\r\n{{tag}} OK\r\n", TRICKY.len(), PLAIN.len())
                .into_bytes(),
            bodies,
            s("{tag} OK Store completed.\r\n"),
            s("* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n{tag} OK Expunge completed.\r\n"),
            s("* BYE Logging out\r\n{tag} OK Logout completed.\r\n"),
        ],
    )
    .await;
    let sink = MemorySink::default();
    // A user name with a quote and a password that is not ASCII: quoted string, then a literal.
    let url = format!("imap://us%22er:p%C3%A4ss@127.0.0.1:{}/INBOX?tls=none", fake.addr.port());
    let report = poll(&url, &sink).await.unwrap();
    assert_eq!(report, PollReport { found: 2, accepted: 2, failed: 0, too_large: 0 });
    let mails = sink.mails();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].source, InboundSource::Imap);
    assert!(mails[0].recipients.is_empty());
    assert_eq!(mails[0].raw, TRICKY);
    assert_eq!(mails[0].dedupe_key.as_deref(), Some("imap:127.0.0.1:INBOX:42:7"));
    assert_eq!(mails[1].raw, PLAIN);
    assert_eq!(mails[1].dedupe_key.as_deref(), Some("imap:127.0.0.1:INBOX:42:9"));
    assert_eq!(
        fake.got(),
        [
            "CAPABILITY",
            "LOGIN \"us\\\"er\" {5}\r\npäss",
            "SELECT \"INBOX\"",
            "UID SEARCH UNDELETED",
            "UID FETCH 7,9 (UID RFC822.SIZE)",
            "UID FETCH 7,9 (UID BODY.PEEK[])",
            "UID STORE 7,9 +FLAGS.SILENT (\\Deleted)",
            "UID EXPUNGE 7,9",
            "LOGOUT",
        ]
    );
}

#[tokio::test]
async fn authenticate_plain_move_with_trycreate_and_a_sink_failure_leaves_the_message() {
    let fail_body: &[u8] = b"Subject: FAIL me\r\n\r\nx\r\n";
    let mut bodies = fetch(1, 3, PLAIN, true);
    bodies.extend(fetch(2, 4, fail_body, true));
    bodies.extend_from_slice(b"{tag} OK\r\n");
    let fake = Fake::start(
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
        vec![
            s("+ \r\n"),
            s("{tag} OK [CAPABILITY IMAP4rev1] Logged in\r\n"),
            s("* OK [UIDVALIDITY 5] ok\r\n{tag} OK [READ-WRITE] selected\r\n"),
            s("* SEARCH 3 4\r\n{tag} OK\r\n"),
            format!(
                "* 1 FETCH (UID 3 RFC822.SIZE {})\r\n* 2 FETCH (UID 4 RFC822.SIZE {})\r\n{{tag}} OK\r\n",
                PLAIN.len(),
                fail_body.len()
            )
            .into_bytes(),
            bodies,
            s("{tag} NO [TRYCREATE] Mailbox doesn't exist: Processed\r\n"),
            s("{tag} OK Create completed.\r\n"),
            s("{tag} OK Copy completed.\r\n"),
            s("{tag} OK Store completed.\r\n"),
            s("* 1 EXPUNGE\r\n{tag} OK Expunge completed.\r\n"),
            s("{tag} OK Logout completed.\r\n"),
        ],
    )
    .await;
    let sink = MemorySink::default();
    sink.fail_when(b"FAIL me");
    let report = poll(&fake.url("/Bounces?tls=none&after=move:Processed"), &sink).await.unwrap();
    assert_eq!(report, PollReport { found: 2, accepted: 1, failed: 1, too_large: 0 });
    assert_eq!(sink.mails().len(), 1);
    assert_eq!(sink.mails()[0].dedupe_key.as_deref(), Some("imap:127.0.0.1:Bounces:5:3"));
    let got = fake.got();
    assert_eq!(got[0], "AUTHENTICATE PLAIN");
    assert_eq!(got[1], "AGJvdW5jZQBzZWNyZXQ=", "\\0bounce\\0secret in base64");
    assert_eq!(
        got[2..],
        [
            "SELECT \"Bounces\"",
            "UID SEARCH UNDELETED",
            "UID FETCH 3:4 (UID RFC822.SIZE)",
            "UID FETCH 3:4 (UID BODY.PEEK[])",
            "UID COPY 3 \"Processed\"",
            "CREATE \"Processed\"",
            "UID COPY 3 \"Processed\"",
            "UID STORE 3 +FLAGS.SILENT (\\Deleted)",
            "EXPUNGE",
            "LOGOUT",
        ]
    );
}

/// Logs in with SASL-IR and selects `mailbox`; the rest of the script follows.
async fn logged_in(rest: Vec<Vec<u8>>) -> Fake {
    let mut script = vec![s("{tag} OK [CAPABILITY IMAP4rev1 MOVE UIDPLUS] Logged in\r\n")];
    script.extend(rest);
    Fake::start("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n", script).await
}

#[tokio::test]
async fn no_and_bad_answers_become_errors_that_name_the_command() {
    let fake =
        logged_in(vec![s("{tag} NO [NONEXISTENT] Mailbox doesn't exist: Nope\r\n"), s("{tag} OK bye\r\n")]).await;
    let err = poll(&fake.url("/Nope?tls=none"), &MemorySink::default()).await.unwrap_err();
    assert!(matches!(err, ImapError::No { .. }), "{err:?}");
    assert_eq!(err.to_string(), "IMAP: the server refused SELECT Nope: [NONEXISTENT] Mailbox doesn't exist: Nope");
    assert_eq!(fake.got().last().unwrap(), "LOGOUT", "logs out after a refusal");

    let fake = Fake::start(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n",
        vec![s("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")],
    )
    .await;
    let err = poll(&fake.url("?tls=none"), &MemorySink::default()).await.unwrap_err();
    assert_eq!(err.to_string(), "IMAP: the server refused AUTHENTICATE: [AUTHENTICATIONFAILED] Authentication failed.");

    let fake = Fake::start(
        "* OK ready\r\n",
        vec![s("* CAPABILITY IMAP4rev1\r\n{tag} OK\r\n"), s("{tag} BAD Error in IMAP command LOGIN: bad syntax\r\n")],
    )
    .await;
    let err = poll(&fake.url("?tls=none"), &MemorySink::default()).await.unwrap_err();
    assert!(matches!(err, ImapError::Bad { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("rejected LOGIN as invalid") && !shown.contains("secret"), "{shown}");

    let fake =
        logged_in(vec![s("* OK [UIDVALIDITY 1] x\r\n{tag} OK [READ-ONLY] read only\r\n"), s("{tag} OK\r\n")]).await;
    let err = poll(&fake.url("?tls=none"), &MemorySink::default()).await.unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
}

#[tokio::test]
async fn broken_servers_give_clear_errors() {
    let fake = Fake::start("* BYE too busy\r\n", vec![]).await;
    let err = poll(&fake.url("?tls=none"), &MemorySink::default()).await.unwrap_err();
    assert_eq!(err.to_string(), "IMAP: the server said BYE: too busy");

    let fake = Fake::start("* OK ready\r\n", vec![s("K1 MAYBE so\r\n")]).await;
    let err = poll(&fake.url("?tls=none"), &MemorySink::default()).await.unwrap_err();
    assert!(matches!(err, ImapError::Protocol { .. }), "{err:?}");
    assert!(err.to_string().starts_with("IMAP: unexpected answer to CAPABILITY: OK, NO or BAD after the tag"), "{err}");

    // The connection ends in the middle of a literal.
    let fake = logged_in(vec![
        s("* OK [UIDVALIDITY 1] x\r\n{tag} OK [READ-WRITE] ok\r\n"),
        s("* SEARCH 1\r\n{tag} OK\r\n"),
        s("* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n{tag} OK\r\n"),
        s("* 1 FETCH (UID 1 BODY[] {100}\r\nonly a part"),
    ])
    .await;
    let sink = MemorySink::default();
    let err = poll(&fake.url("?tls=none"), &sink).await.unwrap_err();
    assert!(err.to_string().starts_with("IMAP: connection lost during UID FETCH"), "{err}");
    assert_eq!(sink.calls(), 0);

    // A message larger than allowed is left alone, and a lying server cannot make us read more.
    let fake = logged_in(vec![
        s("* OK [UIDVALIDITY 1] x\r\n{tag} OK [READ-WRITE] ok\r\n"),
        s("* SEARCH 1 2\r\n{tag} OK\r\n"),
        s("* 1 FETCH (UID 1 RFC822.SIZE 999999999)\r\n* 2 FETCH (UID 2 RFC822.SIZE 10)\r\n{tag} OK\r\n"),
        s("* 2 FETCH (UID 2 BODY[] {999999999}\r\n"),
    ])
    .await;
    let err = poll(&fake.url("?tls=none"), &sink).await.unwrap_err();
    assert!(err.to_string().contains("a literal of 999999999 bytes"), "{err}");

    // tls=required and no STARTTLS: the password is never sent.
    let fake = Fake::start("* OK ready\r\n", vec![s("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK\r\n")]).await;
    let err = poll(&fake.url("?tls=required"), &MemorySink::default()).await.unwrap_err();
    assert!(matches!(err, ImapError::Insecure(_)), "{err:?}");
    assert_eq!(fake.got(), ["CAPABILITY"]);

    // Nobody listening.
    let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let err = poll(&format!("imap://u:p@127.0.0.1:{}?tls=none", addr.port()), &sink).await.unwrap_err();
    assert!(err.to_string().starts_with(&format!("IMAP: cannot connect to 127.0.0.1:{}", addr.port())), "{err}");
}

#[tokio::test]
async fn run_survives_errors_and_stops_on_shutdown() {
    let addr = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let url = format!("imap://u:p@127.0.0.1:{}?tls=none&poll=1", addr.port());
    let poller = ImapPoller::new(ImapConfig::from_url(&url).unwrap());
    let started = std::time::Instant::now();
    tokio::time::timeout(
        Duration::from_secs(10),
        poller.run(MemorySink::default(), tokio::time::sleep(Duration::from_millis(300))),
    )
    .await
    .expect("run stops on shutdown");
    assert!(started.elapsed() >= Duration::from_millis(300));
}

/// With IDLE the poller stays connected: the server announces a message, the poller fetches it at
/// once, idles again, and on shutdown ends the IDLE and logs out.
#[tokio::test]
async fn idle_fetches_announced_mail_at_once_and_ends_on_shutdown() {
    let mut body = fetch(1, 7, PLAIN, true);
    body.extend_from_slice(b"{tag} OK Fetch completed.\r\n");
    let fake = Fake::start(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n",
        vec![
            s("{tag} OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] Logged in\r\n"),
            s("* OK [UIDVALIDITY 42] ok\r\n{tag} OK [READ-WRITE] selected\r\n"),
            s("* SEARCH\r\n{tag} OK\r\n"),
            // IDLE: a while later, a message arrives.
            [&b"+ idling\r\n"[..], PAUSE, b"* OK still here\r\n", PAUSE, b"* 1 EXISTS\r\n"].concat(),
            s("{tag} OK IDLE terminated\r\n"),
            s("* OK [UIDVALIDITY 42] ok\r\n{tag} OK [READ-WRITE] selected\r\n"),
            s("* SEARCH 7\r\n{tag} OK\r\n"),
            format!("* 1 FETCH (UID 7 RFC822.SIZE {})\r\n{{tag}} OK\r\n", PLAIN.len()).into_bytes(),
            body,
            s("{tag} OK Store completed.\r\n"),
            s("* 1 EXPUNGE\r\n{tag} OK Expunge completed.\r\n"),
            s("+ idling\r\n"),
            s("{tag} OK IDLE terminated\r\n"),
            s("{tag} OK Logout completed.\r\n"),
        ],
    )
    .await;
    let sink = MemorySink::default();
    let url = format!("imap://bounce:secret@127.0.0.1:{}/?tls=none&poll=3600", fake.addr.port());
    let poller = ImapPoller::new(ImapConfig::from_url(&url).unwrap());
    let watched = sink.clone();
    let started = std::time::Instant::now();
    let shutdown = async move {
        while watched.mails().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Let the poller get back into IDLE.
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::timeout(Duration::from_secs(20), poller.run(sink.clone(), shutdown)).await.expect("run stops");
    assert!(started.elapsed() < Duration::from_secs(10), "fetched at once, not after the hour's poll interval");
    assert_eq!(sink.mails().len(), 1);
    assert_eq!(sink.mails()[0].raw, PLAIN);
    assert_eq!(
        fake.got()[1..],
        [
            "SELECT \"INBOX\"",
            "UID SEARCH UNDELETED",
            "IDLE",
            "DONE",
            "SELECT \"INBOX\"",
            "UID SEARCH UNDELETED",
            "UID FETCH 7 (UID RFC822.SIZE)",
            "UID FETCH 7 (UID BODY.PEEK[])",
            "UID STORE 7 +FLAGS.SILENT (\\Deleted)",
            "UID EXPUNGE 7",
            "IDLE",
            "DONE",
            "LOGOUT",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Dovecot

/// A Dovecot of our own in a temporary directory: passwd-file user `bounce`/`secret`, Maildir
/// under the directory, IMAP (with STARTTLS) and IMAPS on free ports, the test certificate.
struct Dovecot {
    dir: tempfile::TempDir,
    conf: String,
    child: std::process::Child,
    imap: u16,
    imaps: u16,
    /// The uid and gid mail is owned by.
    owner: (u32, u32),
}

const DOVECOT: &str = "/usr/sbin/dovecot";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The access token Dovecot's introspection endpoint calls good (for the user `bounce`).
const GOOD_TOKEN: &str = "at-dovecot-1";

/// An OAuth 2.0 token introspection endpoint (RFC 7662) for Dovecot, on a thread of its own:
/// `token=GOOD_TOKEN` is active for `bounce`, anything else is not. Returns its port.
fn introspection_endpoint() -> u16 {
    use std::io::{BufRead as _, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut read = std::io::BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if read.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = read.read_exact(&mut body);
            let good = String::from_utf8_lossy(&body).split('&').any(|kv| kv == format!("token={GOOD_TOKEN}"));
            let json = if good { r#"{"active":true,"username":"bounce"}"# } else { r#"{"active":false}"# };
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
                json.len()
            );
            let _ = (&stream).write_all(answer.as_bytes());
        }
    });
    port
}

impl Dovecot {
    fn start() -> Self {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        // The auth process runs as Dovecot's own user and must get into the directory.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let me = std::fs::metadata(dir.path()).unwrap();
        // Dovecot refuses mail access as root: as root, the mail belongs to nobody.
        let owner = if me.uid() == 0 { (65534, 65534) } else { (me.uid(), me.gid()) };
        let users = if me.uid() == 0 {
            String::new()
        } else {
            let name = std::env::var("USER").unwrap_or_else(|_| "nobody".into());
            format!("default_internal_user = {name}\ndefault_login_user = {name}\n")
        };
        for sub in ["run", "state", "home", "mail/bounce/new", "mail/bounce/cur", "mail/bounce/tmp"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        for sub in ["home", "mail", "mail/bounce", "mail/bounce/new", "mail/bounce/cur", "mail/bounce/tmp"] {
            std::os::unix::fs::chown(dir.path().join(sub), Some(owner.0), Some(owner.1)).unwrap();
        }
        std::fs::write(dir.path().join("passwd"), "bounce:{PLAIN}secret::::::\n").unwrap();
        // OAuth 2.0 (XOAUTH2): Dovecot asks our introspection endpoint whether a token is good.
        let introspection = introspection_endpoint();
        std::fs::write(
            dir.path().join("oauth2.conf.ext"),
            format!(
                "introspection_mode = post\nintrospection_url = http://127.0.0.1:{introspection}/introspect\n\
                 username_attribute = username\nactive_attribute = active\nactive_value = true\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(dir.path().join("oauth2.conf.ext"), std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(dir.path().join("passwd"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let (imap, imaps) = (free_port(), free_port());
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n{users}\
             protocols = imap\nlisten = 127.0.0.1\n\
             ssl = yes\nssl_cert = <{fixtures}/relay-cert.pem\nssl_key = <{fixtures}/relay-key.pem\n\
             ssl_dh = </usr/share/dovecot/dh.pem\n\
             disable_plaintext_auth = no\nauth_mechanisms = plain login xoauth2\n\
             mail_location = maildir:{d}/mail/%u\n\
             passdb {{\n  driver = oauth2\n  mechanisms = xoauth2\n  args = {d}/oauth2.conf.ext\n}}\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={} gid={} home={d}/home/%u\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap}\n  }}\n\
             \x20 inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps}\n    ssl = yes\n  }}\n}}\n",
            owner.0, owner.1
        );
        let conf_path = format!("{d}/dovecot.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = std::process::Command::new(DOVECOT)
            .args(["-F", "-c", &conf_path])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .unwrap();
        let dovecot = Dovecot { dir, conf: conf_path, child, imap, imaps, owner };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", imap)).is_ok() {
                return dovecot;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Dovecot did not start:\n{}", dovecot.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    fn maildir(&self, folder: &str) -> std::path::PathBuf {
        self.dir.path().join("mail/bounce").join(folder)
    }

    /// Delivers a message into the Maildir's `new/` (with LF line endings, as Maildir keeps them).
    fn drop_message(&self, name: &str, text: &str) {
        let tmp = self.maildir("tmp").join(name);
        std::fs::write(&tmp, text).unwrap();
        std::os::unix::fs::chown(&tmp, Some(self.owner.0), Some(self.owner.1)).unwrap();
        std::fs::rename(&tmp, self.maildir("new").join(name)).unwrap();
    }

    /// Messages in a Maildir folder (`""` for INBOX).
    fn count(&self, folder: &str) -> usize {
        ["new", "cur"]
            .iter()
            .map(|sub| std::fs::read_dir(self.maildir(folder).join(sub)).map_or(0, |d| d.count()))
            .sum()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = std::process::Command::new(DOVECOT).args(["-c", &self.conf, "stop"]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn message(n: u32) -> String {
    format!(
        "From: MAILER-DAEMON@mx.example.org\nTo: b-{n}@bounces.example.com\nSubject: Undelivered Mail {n}\n\
         Message-ID: <bounce-{n}@mx.example.org>\n\nThe mail to anna{n}@example.de could not be delivered.\n.\n"
    )
}

fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

#[tokio::test]
#[ignore = "needs Dovecot (/usr/sbin/dovecot, Debian package dovecot-imapd); .ci/run installs it"]
async fn dovecot_mailbox_is_emptied_exactly_once() {
    if !std::path::Path::new(DOVECOT).exists() {
        eprintln!("skipped: {DOVECOT} not found (apt-get install dovecot-imapd)");
        return;
    }
    let dovecot = Dovecot::start();
    let plain = format!("imap://bounce:secret@127.0.0.1:{}/INBOX?tls=none&batch=2", dovecot.imap);
    for n in 1..=3 {
        dovecot.drop_message(&format!("100{n}.M{n}P1.test"), &message(n));
    }
    let sink = MemorySink::default();
    let report = poll(&plain, &sink).await.unwrap_or_else(|e| panic!("{e}\n{}", dovecot.log()));
    assert_eq!(report, PollReport { found: 3, accepted: 3, failed: 0, too_large: 0 });
    let mails = sink.mails();
    let mut bodies: Vec<_> = mails.iter().map(|m| m.raw.clone()).collect();
    bodies.sort();
    assert_eq!(bodies, (1..=3).map(|n| crlf(&message(n))).collect::<Vec<_>>());
    let mut keys: Vec<_> = mails.iter().map(|m| m.dedupe_key.clone().unwrap()).collect();
    keys.dedup();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|k| k.starts_with("imap:127.0.0.1:INBOX:")), "{keys:?}");
    assert_eq!(dovecot.count(""), 0, "the mailbox is empty");

    let again = poll(&plain, &sink).await.unwrap();
    assert_eq!(again, PollReport::default(), "a second poll finds nothing");
    assert_eq!(sink.mails().len(), 3);

    // The sink fails: the message stays, and comes with the next poll.
    dovecot.drop_message("2001.M1P1.test", &message(4));
    sink.fail(true);
    let report = poll(&plain, &sink).await.unwrap();
    assert_eq!((report.found, report.accepted, report.failed), (1, 0, 1));
    assert_eq!(dovecot.count(""), 1, "still in the mailbox");
    sink.fail(false);
    let report = poll(&plain, &sink).await.unwrap();
    assert_eq!((report.found, report.accepted), (1, 1));
    assert_eq!(dovecot.count(""), 0);
    assert_eq!(sink.mails().len(), 4);
    assert_eq!(sink.mails()[3].raw, crlf(&message(4)));
}

#[tokio::test]
#[ignore = "needs Dovecot (/usr/sbin/dovecot, Debian package dovecot-imapd); .ci/run installs it"]
async fn dovecot_over_starttls_and_imaps_and_moving_to_a_folder() {
    if !std::path::Path::new(DOVECOT).exists() {
        eprintln!("skipped: {DOVECOT} not found (apt-get install dovecot-imapd)");
        return;
    }
    let dovecot = Dovecot::start();
    let sink = MemorySink::default();

    // STARTTLS (required), then UID MOVE into a folder that does not exist yet.
    dovecot.drop_message("3001.M1P1.test", &message(5));
    let starttls = format!(
        "imap://bounce:secret@localhost:{}/INBOX?tls=required&insecure=true&after=move:Processed",
        dovecot.imap
    );
    let report = poll(&starttls, &sink).await.unwrap_or_else(|e| panic!("{e}\n{}", dovecot.log()));
    assert_eq!((report.found, report.accepted), (1, 1));
    assert_eq!(dovecot.count(""), 0);
    assert_eq!(dovecot.count(".Processed"), 1, "moved");
    assert!(dovecot.log().contains(", TLS,"), "the login went over TLS:\n{}", dovecot.log());

    // Implicit TLS.
    dovecot.drop_message("3002.M1P1.test", &message(6));
    let imaps = format!("imaps://bounce:secret@127.0.0.1:{}/?insecure=true", dovecot.imaps);
    let report = poll(&imaps, &sink).await.unwrap();
    assert_eq!((report.found, report.accepted), (1, 1));
    assert_eq!(sink.mails().len(), 2);
    assert_eq!(sink.mails()[1].raw, crlf(&message(6)));

    // Without insecure=true, the self-signed certificate is refused before the password is sent.
    dovecot.drop_message("3003.M1P1.test", &message(7));
    let strict = format!("imaps://bounce:secret@127.0.0.1:{}/", dovecot.imaps);
    let err = poll(&strict, &sink).await.unwrap_err();
    assert!(matches!(err, ImapError::Tls { .. }), "{err:?}");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
    assert_eq!(dovecot.count(""), 1);

    // A wrong password is a clear refusal.
    let wrong = format!("imap://bounce:wrong@127.0.0.1:{}/?tls=none", dovecot.imap);
    let err = poll(&wrong, &sink).await.unwrap_err();
    assert!(err.to_string().contains("refused AUTHENTICATE"), "{err}");
}

/// A token endpoint for one request per answer: records each form body and answers with the
/// next `(status, JSON)`.
async fn token_endpoint(answers: Vec<(u16, &'static str)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/oauth2/v2.0/token", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let record = bodies.clone();
    tokio::spawn(async move {
        for (status, json) in answers {
            let (stream, _) = listener.accept().await.unwrap();
            let (read, mut write) = stream.into_split();
            let mut read = BufReader::new(read);
            let mut length = 0;
            loop {
                let mut line = String::new();
                read.read_line(&mut line).await.unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            read.read_exact(&mut body).await.unwrap();
            record.lock().unwrap().push(String::from_utf8(body).unwrap());
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
                json.len()
            );
            write.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    (url, bodies)
}

fn oauth(token_url: &str) -> kurier_workers::inbound::ImapOAuth {
    kurier_workers::inbound::ImapOAuth {
        token_url: token_url.to_string(),
        client_id: "kurier-app".into(),
        client_secret: Some("s3cret".into()),
        refresh_token: "1//refresh-me".into(),
        scope: Some("https://outlook.office.com/IMAP.AccessAsUser.All offline_access".into()),
        token_file: None,
    }
}

#[tokio::test]
async fn xoauth2_gets_a_token_and_logs_in_with_it() {
    let (token_url, bodies) =
        token_endpoint(vec![(200, r#"{"token_type":"Bearer","access_token":"at-123","expires_in":3599}"#)]).await;
    let fake = Fake::start(
        "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n",
        vec![
            s("{tag} OK [CAPABILITY IMAP4rev1 UIDPLUS] Logged in\r\n"),
            s("* OK [UIDVALIDITY 5] ok\r\n{tag} OK [READ-WRITE] selected\r\n"),
            s("* SEARCH\r\n{tag} OK\r\n"),
            s("{tag} OK Logout completed.\r\n"),
        ],
    )
    .await;
    let mut config = ImapConfig::from_url(&format!(
        "imap://bounces%40shop.example@127.0.0.1:{}/?tls=none&auth=xoauth2",
        fake.addr.port()
    ))
    .unwrap();
    assert_eq!(
        config.to_string(),
        format!("imap://bounces@shop.example@127.0.0.1:{}/INBOX?auth=xoauth2&tls=none", fake.addr.port())
    );
    config.oauth = Some(oauth(&token_url));
    let poller = ImapPoller::new(config);
    let report = poller.poll(&MemorySink::default()).await.unwrap();
    assert_eq!(report.found, 0);
    let sent = bodies.lock().unwrap().clone();
    assert_eq!(
        sent,
        ["grant_type=refresh_token&refresh_token=1%2F%2Frefresh-me&client_id=kurier-app&client_secret=s3cret\
          &scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All+offline_access"]
    );
    // user=bounces@shop.example ^A auth=Bearer at-123 ^A^A
    assert_eq!(fake.got()[0], "AUTHENTICATE XOAUTH2 dXNlcj1ib3VuY2VzQHNob3AuZXhhbXBsZQFhdXRoPUJlYXJlciBhdC0xMjMBAQ==");
    assert_eq!(fake.got()[1], "SELECT \"INBOX\"");
}

/// Microsoft sends a new refresh token with each access token: it is kept in the token file, and
/// a poller started later (after a restart) asks with it.
#[tokio::test]
async fn a_replaced_refresh_token_is_used_after_a_restart() {
    let (token_url, bodies) = token_endpoint(vec![
        (200, r#"{"access_token":"at-1","expires_in":3599,"refresh_token":"rt-2"}"#),
        (200, r#"{"access_token":"at-2","expires_in":3599,"refresh_token":"rt-2"}"#),
    ])
    .await;
    let dir = tempfile::tempdir().unwrap();
    let logged_in_and_empty = || {
        vec![
            s("{tag} OK Logged in\r\n"),
            s("* CAPABILITY IMAP4rev1\r\n{tag} OK\r\n"),
            s("* OK [UIDVALIDITY 5] ok\r\n{tag} OK [READ-WRITE] selected\r\n"),
            s("* SEARCH\r\n{tag} OK\r\n"),
            s("{tag} OK Logout completed.\r\n"),
        ]
    };
    for _ in 0..2 {
        let fake =
            Fake::start("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready\r\n", logged_in_and_empty()).await;
        let mut config =
            ImapConfig::from_url(&format!("imap://b@127.0.0.1:{}/?tls=none&auth=xoauth2", fake.addr.port())).unwrap();
        config.oauth = Some(kurier_workers::inbound::ImapOAuth {
            token_file: Some(dir.path().join("imap-oauth-refresh-token")),
            ..oauth(&token_url)
        });
        ImapPoller::new(config).poll(&MemorySink::default()).await.unwrap();
    }
    let sent = bodies.lock().unwrap().clone();
    assert!(sent[0].contains("refresh_token=1%2F%2Frefresh-me&"), "{}", sent[0]);
    assert!(sent[1].contains("refresh_token=rt-2&"), "{}", sent[1]);
}

#[tokio::test]
async fn refused_tokens_and_token_errors_are_named() {
    // The server refuses the token: its JSON reason is in the error.
    let (token_url, _) = token_endpoint(vec![(200, r#"{"access_token":"old","expires_in":"3600"}"#)]).await;
    let fake = Fake::start(
        "* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready\r\n",
        vec![
            s("+ \r\n"),
            s("+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\r\n"),
            s("{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n"),
        ],
    )
    .await;
    let mut config =
        ImapConfig::from_url(&format!("imap://b@127.0.0.1:{}/?tls=none&auth=xoauth2", fake.addr.port())).unwrap();
    config.oauth = Some(oauth(&token_url));
    let err = ImapPoller::new(config).poll(&MemorySink::default()).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "IMAP: the server refused AUTHENTICATE XOAUTH2: [AUTHENTICATIONFAILED] Invalid credentials (Failure) \
         ({\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"https://mail.google.com/\"})"
    );
    let got = fake.got();
    assert_eq!(got[0], "AUTHENTICATE XOAUTH2");
    assert_eq!(got[2], "", "the refusal's details are answered with an empty line");

    // The token endpoint refuses the refresh token: the OAuth error and its first line, no secrets.
    let (token_url, _) = token_endpoint(vec![(
        400,
        r#"{"error":"invalid_grant","error_description":"AADSTS70000: The provided grant has expired.\r\nTrace ID: 1"}"#,
    )])
    .await;
    let mut config =
        ImapConfig::from_url(&format!("imap://b@127.0.0.1:{}/?tls=none&auth=xoauth2", free_port())).unwrap();
    config.oauth = Some(oauth(&token_url));
    let err = ImapPoller::new(config).poll(&MemorySink::default()).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ImapError::OAuth { .. }), "{err:?}");
    assert!(
        text.ends_with("HTTP 400 Bad Request: invalid_grant: AADSTS70000: The provided grant has expired."),
        "{text}"
    );
    assert!(!text.contains("s3cret") && !text.contains("refresh-me"), "{text}");

    // auth=xoauth2 without the OAuth settings, and with a password, are refused.
    let config = ImapConfig::from_url("imap://b@127.0.0.1:1/?tls=none&auth=xoauth2").unwrap();
    let err = ImapPoller::new(config).poll(&MemorySink::default()).await.unwrap_err();
    assert!(err.to_string().contains("auth=xoauth2 needs the OAuth settings"), "{err}");
    let err = ImapConfig::from_url("imap://b:pw@127.0.0.1:1/?tls=none&auth=xoauth2").unwrap_err();
    assert!(err.to_string().contains("leave the password out of the URL"), "{err}");
}

#[tokio::test]
#[ignore = "needs Dovecot (/usr/sbin/dovecot, Debian package dovecot-imapd); .ci/run installs it"]
async fn dovecot_takes_an_xoauth2_login() {
    if !std::path::Path::new(DOVECOT).exists() {
        eprintln!("skipped: {DOVECOT} not found (apt-get install dovecot-imapd)");
        return;
    }
    let dovecot = Dovecot::start();
    dovecot.drop_message("4001.M1P1.test", &message(8));
    let url = format!("imap://bounce@localhost:{}/INBOX?tls=required&insecure=true&auth=xoauth2", dovecot.imap);
    let poll_with = |token: &'static str| {
        let url = url.clone();
        async move {
            let json: &'static str = if token == GOOD_TOKEN {
                r#"{"access_token":"at-dovecot-1","expires_in":3600}"#
            } else {
                r#"{"access_token":"at-wrong","expires_in":3600}"#
            };
            let (token_url, _) = token_endpoint(vec![(200, json)]).await;
            let mut config = ImapConfig::from_url(&url).unwrap();
            config.oauth = Some(oauth(&token_url));
            let sink = MemorySink::default();
            let result = ImapPoller::new(config).poll(&sink).await;
            (result, sink)
        }
    };
    let (result, sink) = poll_with(GOOD_TOKEN).await;
    let report = result.unwrap_or_else(|e| panic!("{e}\n{}", dovecot.log()));
    assert_eq!((report.found, report.accepted), (1, 1));
    assert_eq!(sink.mails()[0].raw, crlf(&message(8)));
    assert_eq!(dovecot.count(""), 0);

    // A token Dovecot's introspection calls inactive is refused, with Dovecot's reason.
    let (result, _) = poll_with("wrong").await;
    let err = result.unwrap_err();
    assert!(err.to_string().starts_with("IMAP: the server refused AUTHENTICATE XOAUTH2"), "{err}\n{}", dovecot.log());
}

#[tokio::test]
#[ignore = "needs Dovecot (/usr/sbin/dovecot, Debian package dovecot-imapd); .ci/run installs it"]
async fn dovecot_announces_new_mail_to_an_idling_poller() {
    if !std::path::Path::new(DOVECOT).exists() {
        eprintln!("skipped: {DOVECOT} not found (apt-get install dovecot-imapd)");
        return;
    }
    let dovecot = Arc::new(Dovecot::start());
    // An hour between polls: only IDLE can bring the message in time.
    let url = format!("imap://bounce:secret@127.0.0.1:{}/INBOX?tls=none&poll=3600", dovecot.imap);
    let poller = ImapPoller::new(ImapConfig::from_url(&url).unwrap());
    let sink = MemorySink::default();
    let watched = sink.clone();
    let d = dovecot.clone();
    let started = std::time::Instant::now();
    let shutdown = async move {
        // The first poll finds the mailbox empty and the poller starts idling.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        d.drop_message("5001.M1P1.test", &message(9));
        while watched.mails().is_empty() && started.elapsed() < Duration::from_secs(20) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(40), poller.run(sink.clone(), shutdown)).await.expect("run stops");
    assert_eq!(sink.mails().len(), 1, "{}", dovecot.log());
    assert_eq!(sink.mails()[0].raw, crlf(&message(9)));
    assert!(started.elapsed() < Duration::from_secs(15), "announced by IDLE: {:?}", started.elapsed());
    assert_eq!(dovecot.count(""), 0);
}

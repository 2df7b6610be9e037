//! `kurier bench smtp`: how fast the delivery engine hands mail to an SMTP server.
//!
//! A fresh SQLite store is filled with transactional messages (untimed), then the delivery engine
//! drains it into the server, timed from start until the last outcome is recorded. Every message
//! must end up `sent`; anything else makes the command fail. Point it at a server that accepts and
//! discards, such as Postfix's `smtp-sink -c 127.0.0.1:2525 256`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::{Args, Subcommand};
use kurier_core::{DeliveryState, EmailAddress, MessageKey, MessageKind, Secret};
use kurier_store::{NewMessage, Store};
use kurier_workers::{DeliveryEngine, EngineConfig, Transport};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Deliver messages to an SMTP server and report the rate. The global --data-dir is where the
    /// benchmark's database goes (default: a fresh temporary directory); it is removed afterwards.
    Smtp(SmtpArgs),
}

#[derive(Args)]
pub struct SmtpArgs {
    /// The SMTP server, HOST:PORT (e.g. Postfix smtp-sink).
    #[arg(long, value_name = "HOST:PORT")]
    to: String,
    /// How many messages to send.
    #[arg(long, default_value_t = 20_000)]
    messages: u32,
    /// Size of each message in KiB.
    #[arg(long, default_value_t = 20)]
    size_kb: usize,
    /// SMTP connections used in parallel.
    #[arg(long, default_value_t = 20)]
    pool: usize,
}

/// Messages per `enqueue_many` call (and so held in memory at once while filling the outbox).
const FILL_CHUNK: u32 = 1000;

pub fn run(command: BenchCommand, data_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let BenchCommand::Smtp(args) = command;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the runtime")?;
    let (dir, temporary) = match data_dir {
        Some(dir) => (dir, false),
        None => (
            std::env::temp_dir().join(format!("kurier-bench-{}-{:08x}", std::process::id(), rand::random::<u32>())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let db = dir.join("kurier-bench.db");
    if db.exists() {
        bail!("{} exists: remove it, or choose another --data-dir", db.display());
    }
    let result = runtime.block_on(smtp(&args, &db));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    if temporary {
        let _ = std::fs::remove_dir(&dir);
    }
    result
}

async fn smtp(args: &SmtpArgs, db: &Path) -> anyhow::Result<ExitCode> {
    let transport = Transport::from_url(Some(&format!("smtp://{}?pool={}", args.to, args.pool)))
        .with_context(|| format!("--to {:?} / --pool {}", args.to, args.pool))?;
    let secret = Secret::new(rand::random::<[u8; 32]>().to_vec()).context("secret")?;
    let store = Store::open(&format!("sqlite://{}", db.display()), secret.clone()).await?;

    let size = args.size_kb * 1024;
    let fill = Instant::now();
    let mut bytes = 0u64;
    let mut first = 0;
    while first < args.messages {
        let last = (first + FILL_CHUNK).min(args.messages);
        let msgs = (first..last).map(|i| message(i, size, &secret)).collect::<anyhow::Result<Vec<_>>>()?;
        bytes += msgs.iter().map(|m| m.raw.len() as u64).sum::<u64>();
        let stored = store.enqueue_many(&msgs, Utc::now()).await?;
        anyhow::ensure!(stored == msgs.len() as u64, "only {stored} of {} messages were stored", msgs.len());
        first = last;
    }
    // Write the filled database out now, so the timed part does not wait for the fill's writeback.
    for suffix in ["", "-wal"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        if path.exists() {
            let synced = std::fs::File::open(&path).and_then(|f| f.sync_all());
            synced.with_context(|| format!("cannot sync {}", path.display()))?;
        }
    }
    eprintln!(
        "kurier bench: {} messages enqueued in {:.1}s; delivering to {}",
        args.messages,
        fill.elapsed().as_secs_f64(),
        transport.describe()
    );

    let engine = DeliveryEngine::new(store.clone(), transport, EngineConfig::default());
    let start = Instant::now();
    // On the runtime's threads, as `kurier serve` runs it.
    let report = tokio::spawn(async move { engine.drain().await }).await??;
    let seconds = start.elapsed().as_secs_f64();

    let counts = store.outbox_counts().await?;
    store.close().await;
    let sent = counts.iter().find(|(s, _)| *s == DeliveryState::Sent).map_or(0, |(_, n)| *n);
    let states: Vec<String> = counts.iter().map(|(s, n)| format!("{}={n}", s.as_str())).collect();
    println!("messages    {}", args.messages);
    println!("bytes       {bytes}");
    println!("seconds     {seconds:.3}");
    println!("messages/s  {:.0}", f64::from(args.messages) / seconds);
    println!("MB/s        {:.1}", bytes as f64 / 1e6 / seconds);
    println!("states      {}", states.join(" "));
    if sent != i64::from(args.messages) {
        eprintln!("kurier bench: not every message was sent ({report:?})");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Message `i`: a multipart/alternative shipping notice of about `size` bytes to
/// `r{i}@bench.example`, with a VERP envelope sender as Kurier sends them.
fn message(i: u32, size: usize, secret: &Secret) -> anyhow::Result<NewMessage> {
    let key = MessageKey::from_bytes(rand::random());
    let to = EmailAddress::parse(&format!("r{i}@bench.example")).context("recipient")?;
    let subject = format!("Ihre Bestellung {i} ist unterwegs");
    let boundary = format!("=_kurier_{}", key.as_str());
    let head = format!(
        "From: Kurier Bench <shop@bench.example>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\
         Date: {date}\r\nMessage-ID: <{key}@bench.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n",
        to = to.as_str(),
        date = Utc::now().to_rfc2822(),
        key = key.as_str(),
    );
    let text_head =
        format!("--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
    let html_head = format!(
        "\r\n--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    );
    let tail = format!("\r\n--{boundary}--\r\n");
    let body = size.saturating_sub(head.len() + text_head.len() + html_head.len() + tail.len() + 32);
    let mut raw = String::with_capacity(size + 256);
    raw.push_str(&head);
    raw.push_str(&text_head);
    fill(&mut raw, body / 3, "", "");
    raw.push_str(&html_head);
    raw.push_str("<html><body>\r\n");
    fill(&mut raw, body - body / 3, "<p>", "</p>");
    raw.push_str("</body></html>");
    raw.push_str(&tail);
    Ok(NewMessage {
        envelope_from: format!("{}@bounces.bench.example", key.verp_local(secret)),
        dedupe_key: format!("bench:{i}"),
        source: "bench".into(),
        from_domain: "bench.example".into(),
        kind: MessageKind::Transactional,
        list_id: None,
        contact_id: None,
        to,
        subject,
        raw: raw.into_bytes(),
        not_before: Utc::now(),
        key,
    })
}

/// Appends lines of prose, each wrapped in `open`/`close`, until about `len` bytes are added.
fn fill(out: &mut String, len: usize, open: &str, close: &str) {
    const LINES: [&str; 4] = [
        "Vielen Dank für Ihre Bestellung. Wir haben Ihr Paket heute an den Versand übergeben.",
        "Die Sendungsnummer und den voraussichtlichen Liefertermin finden Sie in Ihrem Kundenkonto.",
        "Fragen zu Ihrer Lieferung? Antworten Sie einfach auf diese Nachricht, wir helfen gern.",
        ". A line that starts with a dot, so the relay sees dot-stuffing as it would in real mail.",
    ];
    let start = out.len();
    for line in LINES.iter().cycle() {
        if out.len() - start >= len {
            break;
        }
        out.push_str(open);
        out.push_str(line);
        out.push_str(close);
        out.push_str("\r\n");
    }
}

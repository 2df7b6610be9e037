//! Signing speed of `kurier_mail::dkim` on one core: RSA-2048, Ed25519 and both at once, over a
//! message of about 20 KB (the size of a typical newsletter with an HTML part).
//!
//! `dkim_speed [SECONDS]` signs for about SECONDS (default 2) per configuration and prints
//! signatures per second and the time per message. Build it with `--release`:
//! `cargo run --release --example dkim_speed -p kurier-mail`. The keys are the test-only keys.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kurier_mail::dkim::{DkimKey, DkimSigner};

const RSA: &str = include_str!("../tests/dkim/rsa2048-pkcs1.test-only.pem");
const ED25519: &str = include_str!("../tests/dkim/ed25519.test-only.pem");

/// Headers like the composer's and a quoted-printable body of about `size` bytes.
fn message(size: usize) -> Vec<u8> {
    let mut m = b"From: \"Kurier Team\" <news@example.com>\r\n\
        To: =?utf-8?B?QW5uYSBNw7xsbGVy?= <anna@example.de>\r\n\
        Subject: Willkommen bei Kurier News\r\n\
        Date: Fri, 20 Nov 2026 10:00:00 +0000\r\n\
        Message-ID: <a4dqobyha4dqobyha4dqobyha4@mail.example.com>\r\n\
        MIME-Version: 1.0\r\n\
        List-Id: <kurier-news.mail.example.com>\r\n\
        List-Unsubscribe: <https://kurier.example.com/unsubscribe/XyZ-987_q>\r\n\
        List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\
        Feedback-ID: kurier-news:campaign:kurier\r\n\
        Content-Type: text/html; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        .to_vec();
    let line = b"<p style=3D\"margin:0 0 16px 0\">Liebe Leserin, lieber Leser,  hier sind die =\r\n";
    while m.len() < size {
        m.extend_from_slice(line);
    }
    m.extend_from_slice(b"</p>\r\n");
    m
}

/// This thread's CPU time (Linux), so a busy machine does not make signing look slow.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(stat.split_whitespace().next()?.parse().ok()?))
}

fn measure(name: &str, signer: &DkimSigner, message: &[u8], seconds: f64) {
    let now = 1_800_000_000;
    for _ in 0..10 {
        black_box(signer.sign(message, now).expect("the sample message signs"));
    }
    let started = Instant::now();
    let cpu_started = cpu_time();
    let budget = Duration::from_secs_f64(seconds);
    let mut n = 0u64;
    while started.elapsed() < budget {
        for _ in 0..10 {
            black_box(signer.sign(black_box(message), now).expect("the sample message signs"));
        }
        n += 10;
    }
    let wall = started.elapsed().as_secs_f64();
    // Wall time when CPU time is unavailable (not Linux).
    let busy = cpu_started.zip(cpu_time()).map_or(wall, |(a, b)| (b - a).as_secs_f64());
    println!(
        "{name:<14} {:>7.0} messages/s per busy core ({:>6.1} µs CPU each; 100,000 in {:>5.1} s); wall clock: {:>6.0}/s",
        n as f64 / busy,
        busy / n as f64 * 1e6,
        100_000.0 * busy / n as f64,
        n as f64 / wall,
    );
}

fn main() {
    let seconds: f64 = std::env::args().nth(1).map_or(2.0, |s| s.parse().expect("SECONDS is a number"));
    let rsa = || DkimKey::rsa_from_pem("example.com", "rsa2026", RSA).expect("test key loads");
    let ed = || DkimKey::ed25519_from_pem("example.com", "ed2026", ED25519).expect("test key loads");
    let message = message(20 * 1024);
    println!("message: {} bytes", message.len());
    let signers = [("RSA-2048", vec![rsa()]), ("Ed25519", vec![ed()]), ("RSA + Ed25519", vec![rsa(), ed()])];
    for (name, keys) in signers {
        let signer = DkimSigner::new(keys).expect("one key at least");
        measure(name, &signer, &message, seconds);
    }
    // Ed25519 over a 1 KB message: what a signature costs apart from hashing the body.
    let signer = DkimSigner::new(vec![ed()]).expect("one key at least");
    measure("Ed25519, 1 KB", &signer, &self::message(1024), seconds);
}

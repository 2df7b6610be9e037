//! Throughput of `kurier_bounce::parse` over a folder of messages.
//!
//! `classify_bench DIR` reads and classifies every `.eml` file in DIR once and prints one line per
//! recipient (file, kind, recipient, status, reason, hard): a whole-process run, to compare with
//! other tools under `hyperfine`.
//!
//! `classify_bench --bench [SECONDS] DIR` reads the files into memory first, then parses all of them
//! round after round for about SECONDS (default 5) and prints messages per second and the time
//! per message (median and fastest round).
//!
//! Build it with `--release`; the bounce corpus is in `../shared/corpora/bounces/eml`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    files
}

fn once(dir: &Path) {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for path in eml_files(dir) {
        let raw = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let report = kurier_bounce::parse(&raw);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        for r in &report.recipients {
            writeln!(
                out,
                "{name}\t{}\t{}\t{}\t{}\t{}",
                report.kind.as_str(),
                r.address.as_deref().unwrap_or(""),
                r.status.as_deref().unwrap_or(""),
                r.reason,
                r.hard
            )
            .unwrap();
        }
    }
}

fn bench(dir: &Path, seconds: f64) {
    let messages: Vec<Vec<u8>> = eml_files(dir).iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!messages.is_empty(), "no .eml files in {}", dir.display());
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let round = || {
        let start = Instant::now();
        let mut recipients = 0usize;
        for m in &messages {
            recipients += std::hint::black_box(kurier_bounce::parse(std::hint::black_box(m))).recipients.len();
        }
        (start.elapsed(), recipients)
    };
    round(); // warm-up
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut rounds: Vec<Duration> = Vec::new();
    while rounds.len() < 3 || start.elapsed() < budget {
        rounds.push(round().0);
    }
    rounds.sort();
    let n = messages.len() as f64;
    let median = rounds[rounds.len() / 2].as_secs_f64();
    let fastest = rounds[0].as_secs_f64();
    println!(
        "{} messages ({:.1} MB), {} rounds: {:.0} messages/s, {:.1} µs/message median, {:.1} µs fastest, {:.1} MB/s",
        messages.len(),
        bytes as f64 / 1e6,
        rounds.len(),
        n / median,
        median / n * 1e6,
        fastest / n * 1e6,
        bytes as f64 / median / 1e6
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, dir] if flag == "--bench" => bench(Path::new(dir), 5.0),
        [flag, secs, dir] if flag == "--bench" => bench(Path::new(dir), secs.parse().expect("SECONDS")),
        [dir] => once(Path::new(dir)),
        _ => {
            eprintln!("usage: classify_bench [--bench [SECONDS]] DIR");
            std::process::exit(2);
        }
    }
}

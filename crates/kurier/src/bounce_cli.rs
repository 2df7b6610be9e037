//! `kurier bounce classify PATH...`: what each bounce, complaint or auto-reply says, per failed
//! recipient. Takes message files, directories (recursively; Maildirs included) and mbox files. A file
//! that cannot be read is reported and the run goes on; the exit code is 0 only when every input was read.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

use clap::Args;
use kurier_bounce::{Kind, Report};
use serde::Serialize;
use serde_json::json;

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// One JSON object per failed recipient, one per line.
    #[arg(long)]
    json: bool,
    /// Message files, directories, Maildirs or mbox files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// The arguments of `bounce classify ...` (the program name left out) when they are nothing but
/// `--json` and paths: what clap would make of them, without building the whole command line.
/// `None` for anything else (another command, an option, `--help`, no path, `--json` twice), which
/// clap then reads and answers.
pub fn plain_args(mut args: impl Iterator<Item = std::ffi::OsString>) -> Option<ClassifyArgs> {
    if args.next()? != "bounce" || args.next()? != "classify" {
        return None;
    }
    let mut json = false;
    let mut paths = Vec::new();
    for a in args {
        if a == "--json" && !json {
            json = true;
        } else if a.as_encoded_bytes().starts_with(b"-") {
            return None;
        } else {
            paths.push(PathBuf::from(a));
        }
    }
    (!paths.is_empty()).then_some(ClassifyArgs { json, paths })
}

/// One output row: a failed recipient, or the message when it names none. The fields are in
/// alphabetical order, as `--json` has always printed them.
#[derive(Serialize)]
struct Row {
    diagnostic: Option<String>,
    feedback_type: Option<String>,
    file: String,
    hard: Option<bool>,
    kind: &'static str,
    /// The message's position in an mbox file.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<usize>,
    original_message_id: Option<String>,
    reason: Option<&'static str>,
    recipient: Option<String>,
    remote_mta: Option<String>,
    reply_code: Option<u16>,
    status: Option<String>,
}

/// What one file gives: its rows, or with `--json` their lines, written by the thread that read it.
enum Classified {
    Rows(Vec<Row>),
    Json(Vec<u8>),
}

pub fn classify(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    // With a directory or many files to read, the worker threads start now and get the parser
    // ready while this thread lists the files.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let many = args.paths.len() >= MIN_PARALLEL || args.paths.iter().any(|p| p.is_dir());
    let mut pool = (threads >= 2 && many).then(|| Pool::start(threads, args.json));
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut unreadable = 0usize;
    let mut rows: Vec<Row> = Vec::new();
    let mut report = |out: &mut std::io::BufWriter<_>, path: &Path, e: &std::io::Error| -> std::io::Result<()> {
        unreadable += 1;
        eprintln!("kurier: {}: cannot read: {e}", path.display());
        if args.json {
            let row = json!({ "file": path.display().to_string(), "kind": "unreadable", "error": e.to_string() });
            writeln!(out, "{row}")?;
        }
        Ok(())
    };
    for path in &args.paths {
        let mut files = Vec::new();
        if let Err(e) = collect(path, &mut files) {
            report(&mut out, path, &e)?;
            continue;
        }
        let files: Arc<[PathBuf]> = files.into();
        for (file, result) in files.iter().zip(classify_files(&files, args.json, pool.as_mut())) {
            match result {
                Err(e) => report(&mut out, file, &e)?,
                Ok(Classified::Json(lines)) => out.write_all(&lines)?,
                Ok(Classified::Rows(file_rows)) => rows.extend(file_rows),
            }
        }
    }
    if !args.json {
        print_table(&mut out, &rows)?;
    }
    out.flush()?;
    Ok(if unreadable == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Fewer files than this are read by one thread.
const MIN_PARALLEL: usize = 16;

/// One batch of files for the workers: each takes the next unclaimed file until none is left.
struct Job {
    files: Arc<[PathBuf]>,
    next: Arc<AtomicUsize>,
}

/// A worker's results: per file, its place in the job and what it gave.
type Batch = Vec<(usize, std::io::Result<Classified>)>;

/// Worker threads that read and classify the files of the jobs they are given.
struct Pool {
    jobs: Vec<mpsc::Sender<Job>>,
    results: mpsc::Receiver<Batch>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Pool {
    fn start(threads: usize, json: bool) -> Pool {
        let (results_tx, results) = mpsc::channel();
        let (mut jobs, mut workers) = (Vec::new(), Vec::new());
        for _ in 0..threads {
            let (job_tx, job_rx) = mpsc::channel::<Job>();
            let results_tx = results_tx.clone();
            jobs.push(job_tx);
            workers.push(std::thread::spawn(move || {
                kurier_bounce::warm_up();
                for job in job_rx {
                    let mut mine = Vec::new();
                    loop {
                        let i = job.next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = job.files.get(i) else { break };
                        mine.push((i, classify_file(file, json)));
                    }
                    // Only fails when the receiver is gone, and then nobody wants the results.
                    let _ = results_tx.send(mine);
                }
            }));
        }
        Pool { jobs, results, workers }
    }

    /// The results of every file, in the order of `files`.
    fn run(&mut self, files: &Arc<[PathBuf]>) -> Vec<std::io::Result<Classified>> {
        let next = Arc::new(AtomicUsize::new(0));
        for jobs in &self.jobs {
            // A worker that is gone has panicked; that shows below.
            let _ = jobs.send(Job { files: Arc::clone(files), next: Arc::clone(&next) });
        }
        let mut done: Batch = Vec::with_capacity(files.len());
        let mut batches = 0;
        while batches < self.jobs.len() {
            if let Ok(batch) = self.results.recv_timeout(std::time::Duration::from_millis(20)) {
                done.extend(batch);
                batches += 1;
                continue;
            }
            // A worker only ends before the pool does by panicking: pass its panic on.
            if let Some(i) = self.workers.iter().position(|w| w.is_finished()) {
                if let Err(panic) = self.workers.swap_remove(i).join() {
                    std::panic::resume_unwind(panic);
                }
                unreachable!("a worker ends early only by panicking");
            }
        }
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, result)| result).collect()
    }
}

/// Reads and classifies each file (every message of an mbox), in order. With enough files and a
/// pool, every worker takes the next unclaimed file until none is left, reading included, so a
/// few large files do not leave the other cores idle.
///
/// The workers hand their results over and this thread goes on; at the end it does not wait for
/// them to finish ending (freeing their memory), which overlaps with writing the output. (It waits
/// rather than working too: measured, that was about 1 ms slower over the bounce corpus on two
/// cores.)
fn classify_files(files: &Arc<[PathBuf]>, json: bool, pool: Option<&mut Pool>) -> Vec<std::io::Result<Classified>> {
    match pool {
        Some(pool) if files.len() >= MIN_PARALLEL => pool.run(files),
        _ => files.iter().map(|f| classify_file(f, json)).collect(),
    }
}

fn classify_file(path: &Path, json: bool) -> std::io::Result<Classified> {
    // Most bounces are a few KB: read into a buffer of that size without asking for the file's
    // size first (one system call less per file; larger files grow the buffer).
    let mut bytes = Vec::with_capacity(16 * 1024);
    // (`Take` because `File::read_to_end` would ask for the size itself.)
    std::io::Read::read_to_end(&mut std::io::Read::take(std::fs::File::open(path)?, u64::MAX), &mut bytes)?;
    let file = path.display().to_string();
    let mut rows = Vec::new();
    if bytes.starts_with(b"From ") {
        for (i, message) in split_mbox(&bytes).into_iter().enumerate() {
            rows.extend(rows_of(&file, Some(i + 1), kurier_bounce::parse(&message)));
        }
    } else {
        rows.extend(rows_of(&file, None, kurier_bounce::parse(&bytes)));
    }
    if !json {
        return Ok(Classified::Rows(rows));
    }
    let mut lines = Vec::with_capacity(512 * rows.len());
    for row in &rows {
        serde_json::to_writer(&mut lines, row).map_err(std::io::Error::other)?;
        lines.push(b'\n');
    }
    Ok(Classified::Json(lines))
}

/// One row per failed recipient, in message order; a message without recipients gives one row.
fn rows_of(file: &str, message: Option<usize>, report: Report) -> Vec<Row> {
    let Report { kind, recipients, original_message_id, feedback_type } = report;
    let row = |recipient: Option<kurier_bounce::Recipient>| {
        let mut row = Row {
            diagnostic: None,
            feedback_type: feedback_type.clone(),
            file: file.to_string(),
            hard: None,
            kind: kind.as_str(),
            message,
            original_message_id: original_message_id.clone(),
            reason: None,
            recipient: None,
            remote_mta: None,
            reply_code: None,
            status: None,
        };
        if let Some(r) = recipient {
            row.diagnostic = r.diagnostic;
            row.hard = Some(r.hard);
            row.reason = Some(r.reason.as_str());
            row.recipient = r.address;
            row.remote_mta = r.remote_mta;
            row.reply_code = r.reply_code;
            row.status = r.status;
        }
        row
    };
    if recipients.is_empty() || kind == Kind::NotBounce {
        return vec![row(None)];
    }
    recipients.into_iter().map(|r| row(Some(r))).collect()
}

/// The files below `path` (or `path` itself), sorted.
fn collect(path: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if std::fs::metadata(path)?.is_dir() {
        return collect_dir(path, files);
    }
    files.push(path.to_path_buf());
    Ok(())
}

/// A directory's files, recursively. The entry types come with the directory listing, so a
/// directory of thousands of bounces costs no extra system call per file (symlinks are followed).
fn collect_dir(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        // A link that leads nowhere is listed as a file, to be reported as unreadable with the rest
        // of the directory still read.
        let is_dir =
            if kind.is_symlink() { std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) } else { kind.is_dir() };
        entries.push((entry.path(), is_dir));
    }
    // All share this directory, so comparing the bytes orders them as `Path` would, without
    // splitting every path into components first.
    entries.sort_unstable_by(|(a, _), (b, _)| a.as_os_str().cmp(b.as_os_str()));
    for (entry, is_dir) in entries {
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or("");
        // Maildir's tmp/ holds messages still being written; dot files are not messages.
        if name.starts_with('.') || (name == "tmp" && dir.join("cur").is_dir()) {
            continue;
        }
        if is_dir {
            collect_dir(&entry, files)?;
        } else {
            files.push(entry);
        }
    }
    Ok(())
}

/// Splits an mbox file at its `From ` separator lines, undoing `>From ` quoting (mboxrd).
fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") {
            if let Some(m) = current.take() {
                messages.push(m);
            }
            current = Some(Vec::new());
            continue;
        }
        let Some(m) = current.as_mut() else { continue };
        let quoted = line.iter().take_while(|&&b| b == b'>').count();
        if quoted > 0 && line[quoted..].starts_with(b"From ") {
            m.extend_from_slice(&line[1..]);
        } else {
            m.extend_from_slice(line);
        }
    }
    messages.extend(current);
    messages
}

fn print_table(out: &mut impl std::io::Write, rows: &[Row]) -> std::io::Result<()> {
    let s = |v: Option<&str>| v.unwrap_or("-").to_string();
    writeln!(
        out,
        "{:<40} {:<11} {:<36} {:<8} {:<5} {:<16} hard",
        "file", "kind", "recipient", "status", "code", "reason"
    )?;
    let mut by_reason = std::collections::BTreeMap::<String, usize>::new();
    for r in rows {
        let file = match r.message {
            Some(n) => format!("{}#{n}", r.file),
            None => r.file.clone(),
        };
        writeln!(
            out,
            "{:<40} {:<11} {:<36} {:<8} {:<5} {:<16} {}",
            file,
            r.kind,
            s(r.recipient.as_deref()),
            s(r.status.as_deref()),
            r.reply_code.map_or_else(|| "-".to_string(), |c| c.to_string()),
            s(r.reason),
            r.hard.map_or_else(|| "-".to_string(), |h| h.to_string())
        )?;
        *by_reason.entry(format!("{} {}", r.kind, s(r.reason))).or_default() += 1;
    }
    writeln!(out, "\n{} row(s)", rows.len())?;
    for (k, n) in by_reason {
        writeln!(out, "  {n:>6}  {k}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What clap makes of `kurier ARGS`, when it is `bounce classify`.
    fn by_clap(args: &[&str]) -> Option<(bool, Vec<PathBuf>)> {
        use clap::Parser as _;
        match crate::Cli::try_parse_from(std::iter::once("kurier").chain(args.iter().copied())).ok()?.command {
            crate::Command::Bounce(crate::BounceCommand::Classify(a)) => Some((a.json, a.paths)),
            _ => None,
        }
    }

    #[test]
    fn plain_arguments_read_as_clap_reads_them() {
        for args in [
            &["bounce", "classify", "a.eml"][..],
            &["bounce", "classify", "--json", "dir", "b.mbox"],
            &["bounce", "classify", "dir", "--json"],
            &["bounce", "classify", "ä ö.eml", "--json"],
        ] {
            let plain = plain_args(args.iter().map(std::ffi::OsString::from)).map(|a| (a.json, a.paths));
            assert!(plain.is_some(), "{args:?}");
            assert_eq!(plain, by_clap(args), "{args:?}");
        }
        // Everything else is left to clap: help, other options, no path, other commands.
        for args in [
            &["bounce", "classify", "--help"][..],
            &["bounce", "classify", "--json"],
            &["bounce", "classify", "a.eml", "--json", "--json"],
            &["bounce", "classify", "--", "-odd.eml"],
            &["bounce", "classify", "-j", "a.eml"],
            &["--config", "k.toml", "bounce", "classify", "a.eml"],
            &["lint", "a.eml"],
            &["bounce"],
            &[],
        ] {
            assert!(plain_args(args.iter().map(std::ffi::OsString::from)).is_none(), "{args:?}");
        }
    }

    #[test]
    fn mbox_is_split_and_unquoted() {
        let mbox = b"From a@b Sat Jan  1 00:00:00 2026\nSubject: one\n\n>From here\nbody\nFrom c@d Sat Jan  1 00:00:01 2026\nSubject: two\n\nx\n";
        let m = split_mbox(mbox);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0], b"Subject: one\n\nFrom here\nbody\n");
        assert_eq!(m[1], b"Subject: two\n\nx\n");
    }
}

//! `kurier import` and `kurier export`: contacts in and out as CSV.
//!
//! Import reads a header row (`email`, optional `name` and `timezone`; every other column becomes an
//! attribute; a `status` column, as export writes it, is ignored), detects the delimiter (comma,
//! semicolon or tab) and a UTF-8 byte-order mark, checks every row, and stores the valid ones in one
//! transaction. Rows it refuses are reported with their line and reason; nothing of a failed import
//! is stored.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::io::{BufRead, BufReader, IsTerminal as _, Read, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::Utc;
use clap::Args;
use kurier_core::{EmailAddress, LegalBasis, TimeZone, single_line};
use kurier_store::{ImportOptions, ImportRow};
use serde_json::{Map, Value};

use crate::config::Config;
use crate::serve::open_store;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The list to import into.
    #[arg(long, value_name = "NAME")]
    list: String,
    /// Legal basis for mailing these contacts: consent, contract or legitimate-interest.
    #[arg(long)]
    basis: String,
    /// Where the addresses come from, as the consent ledger will show it.
    #[arg(long, value_name = "TEXT")]
    source: String,
    /// Check and report, store nothing.
    #[arg(long)]
    dry_run: bool,
    /// The CSV file.
    file: PathBuf,
}

/// Rows handed to the store at a time.
const BATCH: usize = 2000;
/// Refused rows listed one by one; beyond this only counted.
const SHOWN: usize = 50;

#[derive(Default)]
struct Report {
    rejected: Vec<(u64, String)>,
    rejected_count: u64,
    warnings: Vec<(u64, String)>,
    warning_count: u64,
    typo_cache: HashMap<String, Option<&'static str>>,
}

impl Report {
    fn reject(&mut self, line: u64, reason: String) {
        self.rejected_count += 1;
        if self.rejected.len() < SHOWN {
            self.rejected.push((line, reason));
        }
    }
    fn warn(&mut self, line: u64, reason: String) {
        self.warning_count += 1;
        if self.warnings.len() < SHOWN {
            self.warnings.push((line, reason));
        }
    }
}

/// Which column is what, from the header row.
struct Columns {
    email: usize,
    name: Option<usize>,
    timezone: Option<usize>,
    attributes: Vec<(usize, String)>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> anyhow::Result<Self> {
        let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
        let find = |n: &str| names.iter().position(|h| h == n);
        let Some(email) = find("email").or_else(|| find("e-mail")) else {
            bail!("line 1: the header row has no `email` column (found: {})", names.join(", "));
        };
        let mut seen = BTreeSet::new();
        for n in &names {
            if !n.is_empty() && !seen.insert(n) {
                bail!("line 1: the column `{n}` appears twice");
            }
        }
        let name = find("name");
        let timezone = find("timezone");
        let attributes = names
            .iter()
            .enumerate()
            .filter(|(i, n)| Some(*i) != name && Some(*i) != timezone && *i != email && !n.is_empty() && *n != "status")
            .map(|(i, n)| (i, n.clone()))
            .collect();
        Ok(Self { email, name, timezone, attributes })
    }
}

/// Comma, semicolon or tab: whichever the header line has most of (outside quotes).
fn sniff_delimiter(first_line: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in first_line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// Checks one data row; `Err` is the reason it is refused.
fn check_row(cols: &Columns, rec: &csv::StringRecord, line: u64, report: &mut Report) -> Result<ImportRow, String> {
    let field = |i: usize| rec.get(i).unwrap_or("").trim();
    let raw_email = field(cols.email);
    let email = EmailAddress::parse(raw_email).map_err(|e| format!("invalid address {raw_email:?}: {e}"))?;
    // Domains repeat across a file; the typo check runs once per domain.
    let typo = match report.typo_cache.get(email.domain()) {
        Some(t) => *t,
        None => {
            let t = email.domain_typo_suggestion();
            if report.typo_cache.len() < 100_000 {
                report.typo_cache.insert(email.domain().to_string(), t);
            }
            t
        }
    };
    if let Some(better) = typo {
        return Err(format!("{} looks like a typo: did you mean {}@{better}?", email, email.local_part()));
    }
    if email.is_role_account() {
        report.warn(line, format!("{email} is a role address (a team, not a person who gave consent); imported"));
    }
    let name = match cols.name.map(field).filter(|s| !s.is_empty()) {
        Some(n) => Some(single_line("name", n, 200).map_err(|e| e.to_string())?),
        None => None,
    };
    let timezone = match cols.timezone.map(field).filter(|s| !s.is_empty()) {
        Some(tz) => Some(TimeZone::parse(tz).map_err(|e| e.to_string())?.name().to_string()),
        None => None,
    };
    let mut attributes = Map::new();
    for (i, key) in &cols.attributes {
        let v = field(*i);
        if !v.is_empty() {
            let v = single_line(key, v, 1000).map_err(|e| e.to_string())?;
            attributes.insert(key.clone(), Value::String(v));
        }
    }
    Ok(ImportRow { line, email, name, timezone, attributes })
}

pub async fn import(config: Config, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let basis = LegalBasis::parse(&args.basis).map_err(|e| anyhow::anyhow!("--{e}"))?;
    let source = single_line("source", &args.source, 500).map_err(|e| anyhow::anyhow!("--{e}"))?;
    if source.is_empty() {
        bail!("--source must say where the addresses come from");
    }
    let file = std::fs::File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let total_bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut input = BufReader::with_capacity(1 << 20, file);
    // Strip a UTF-8 byte-order mark (Excel writes one) and sniff the delimiter from the header line.
    let head = input.fill_buf()?;
    if head.starts_with(b"\xef\xbb\xbf") {
        input.consume(3);
    }
    let head = input.fill_buf()?;
    let first_line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let delimiter = sniff_delimiter(&String::from_utf8_lossy(&head[..first_line_end]));

    let (store, _) = open_store(&config).await?;
    let list = store
        .list_by_name(&args.list)
        .await?
        .with_context(|| format!("there is no list named {:?} (create it with POST /api/v1/lists)", args.list))?;

    let progress = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(total_bytes);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let counted = CountingReader::new(input, progress.clone());
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(counted);
    let cols = Columns::from_header(reader.headers().context("line 1: cannot read the header row")?)?;

    let opts = ImportOptions { basis, source, dry_run: args.dry_run };
    let mut tx = store.begin_import(&list, opts, Utc::now()).await?;
    // The database writes on another thread while this one reads and checks the next rows.
    let (batches, mut incoming) = tokio::sync::mpsc::channel::<Vec<ImportRow>>(2);
    let writer = tokio::spawn(async move {
        while let Some(batch) = incoming.recv().await {
            if let Err(e) = tx.add(&batch).await {
                let _ = tx.abort().await;
                return Err(e);
            }
        }
        Ok(tx)
    });
    let mut report = Report::default();
    // First line of every address seen, by a 64-bit hash: a million addresses in 16 MB, not 100.
    let mut first_seen: HashMap<u64, u64, BuildHasherDefault<IdentityHasher>> = HashMap::default();
    let hasher = BuildHasherDefault::<DefaultHasher>::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let byte = e.position().map_or(reader.position().byte(), csv::Position::byte);
                let line = reader.get_mut().line_at(byte);
                // A broken file (invalid UTF-8, unbalanced quotes) is no partial import.
                drop(batches);
                if let Ok(Ok(tx)) = writer.await {
                    tx.abort().await?;
                }
                bail!("line {line}: the file cannot be read as CSV: {e}; nothing was imported");
            }
        }
        let byte = record.position().map_or(0, csv::Position::byte);
        let line = reader.get_mut().line_at(byte);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        match check_row(&cols, &record, line, &mut report) {
            Err(reason) => report.reject(line, reason),
            Ok(row) => {
                let h = hasher.hash_one(row.email.as_str());
                if let Some(first) = first_seen.get(&h) {
                    report.reject(line, format!("{} is a duplicate of line {first}", row.email));
                    continue;
                }
                first_seen.insert(h, line);
                batch.push(row);
                if batch.len() == BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if batches.send(full).await.is_err() {
                        break; // the writer failed; its error is reported below
                    }
                }
            }
        }
    }
    if !batch.is_empty() {
        let _ = batches.send(batch).await;
    }
    drop(batches);
    let tx = writer.await.context("the import's database task")?.context("storing the rows; nothing was imported")?;
    let summary = tx.finish().await?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }

    let mut out = std::io::stdout().lock();
    let verb = if summary.dry_run { "would be " } else { "" };
    writeln!(
        out,
        "Import into list {:?}{}:",
        list.name.as_str(),
        if summary.dry_run { " (dry run: nothing stored)" } else { "" }
    )?;
    writeln!(out, "  imported:                {:>9}  {verb}new on the list", summary.imported)?;
    writeln!(out, "  updated:                 {:>9}  {verb}already on the list, data updated", summary.updated)?;
    writeln!(out, "  skipped (suppressed):    {:>9}", summary.skipped_suppressed)?;
    writeln!(
        out,
        "  skipped (unsubscribed):  {:>9}  left this list before; not resubscribed",
        summary.skipped_unsubscribed
    )?;
    writeln!(out, "  rejected:                {:>9}", report.rejected_count)?;
    for (line, reason) in &report.rejected {
        writeln!(out, "    line {line}: {reason}")?;
    }
    if report.rejected_count > report.rejected.len() as u64 {
        writeln!(out, "    ... and {} more", report.rejected_count - report.rejected.len() as u64)?;
    }
    if report.warning_count > 0 {
        writeln!(out, "  warnings:                {:>9}", report.warning_count)?;
        for (line, reason) in &report.warnings {
            writeln!(out, "    line {line}: {reason}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Counts bytes for the progress bar, and remembers where lines end so that a record's byte offset
/// gives its line in the file (the csv crate's own line count is off by one after CRLF line ends).
struct CountingReader<R> {
    inner: R,
    bar: Option<indicatif::ProgressBar>,
    offset: u64,
    /// Offsets of line feeds not yet behind the last record asked about.
    newlines: VecDeque<u64>,
    /// Line feeds already dropped from `newlines`.
    lines_before: u64,
}

impl<R> CountingReader<R> {
    fn new(inner: R, bar: Option<indicatif::ProgressBar>) -> Self {
        Self { inner, bar, offset: 0, newlines: VecDeque::new(), lines_before: 0 }
    }

    /// The 1-based line of a record starting at `offset` (a record "starting" on the LF of a CRLF
    /// begins on the next line); offsets must not decrease between calls.
    fn line_at(&mut self, offset: u64) -> u64 {
        while self.newlines.front().is_some_and(|&nl| nl <= offset) {
            self.newlines.pop_front();
            self.lines_before += 1;
        }
        self.lines_before + 1
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                self.newlines.push_back(self.offset + i as u64);
            }
        }
        self.offset += n as u64;
        if let Some(bar) = &self.bar {
            bar.inc(n as u64);
        }
        Ok(n)
    }
}

/// The keys are hashes already.
#[derive(Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub async fn export(config: Config, list_name: &str) -> anyhow::Result<ExitCode> {
    let (store, _) = open_store(&config).await?;
    let list = store.list_by_name(list_name).await?.with_context(|| format!("there is no list named {list_name:?}"))?;
    // First pass: the attribute columns; second pass: the rows.
    let mut keys = BTreeSet::new();
    let mut after = 0;
    loop {
        let page = store.export_list_page(list.id, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.0.id;
        for (c, _) in &page {
            keys.extend(c.attributes.keys().cloned());
        }
    }
    let mut w = csv::Writer::from_writer(std::io::stdout().lock());
    let mut header = vec!["email".to_string(), "name".into(), "timezone".into(), "status".into()];
    header.extend(keys.iter().cloned());
    w.write_record(&header)?;
    let mut after = 0;
    loop {
        let page = store.export_list_page(list.id, after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.0.id;
        for (c, status) in &page {
            let mut row = vec![
                c.email.clone(),
                c.name.clone().unwrap_or_default(),
                c.timezone.clone().unwrap_or_default(),
                status.as_str().to_string(),
            ];
            row.extend(keys.iter().map(|k| match c.attributes.get(k) {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            }));
            w.write_record(&row)?;
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_sniffed_outside_quotes() {
        assert_eq!(sniff_delimiter("email,name,city"), b',');
        assert_eq!(sniff_delimiter("email;name;\"Ort, Land\""), b';');
        assert_eq!(sniff_delimiter("email\tname"), b'\t');
        assert_eq!(sniff_delimiter("email"), b',');
    }
}

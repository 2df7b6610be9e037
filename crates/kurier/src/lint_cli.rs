//! `kurier lint FILE.eml`: the preflight checks of `kurier_mail::lint` on a message file, as a list
//! for people or as JSON lines for scripts. Exit code 0 when nothing stops the send (warnings
//! allowed), 1 when a finding is an error, 2 when the input cannot be read.
//!
//! `--template FILE --data CONTACTS.json` renders the template for each sample contact with the
//! configured sender and domains and checks every result (see `lint_template`).

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use kurier_core::MessageKind;
use kurier_mail::lint::{Finding, LintOptions, Severity, has_errors, lint_message};
use serde_json::json;

#[derive(Args, Debug)]
pub struct LintArgs {
    /// The message to check: an .eml file with headers and body, as it would be sent.
    #[arg(value_name = "FILE", required_unless_present_any = ["template", "data"])]
    file: Option<PathBuf>,
    /// Marketing mail must carry an unsubscribe link and the sender's name and postal address.
    #[arg(long, value_enum, default_value_t = Kind::Marketing)]
    kind: Kind,
    /// One JSON object per finding, one per line.
    #[arg(long)]
    json: bool,
    /// The day the message goes out, for offer dates that have passed [default: today (UTC)].
    #[arg(long, value_name = "YYYY-MM-DD")]
    today: Option<NaiveDate>,
    /// A template (.mjml or .html, with `subject:` front matter) to render for each contact and check.
    #[arg(long, value_name = "FILE", requires = "data", conflicts_with = "file")]
    template: Option<PathBuf>,
    /// Sample contacts to render the template with: a JSON array, or {"sender": {...}, "contacts": [...]}.
    #[arg(long, value_name = "CONTACTS.json", requires = "template")]
    data: Option<PathBuf>,
    /// The template's language (footer texts, default locale).
    #[arg(long, value_enum, default_value_t = Lang::De)]
    lang: Lang,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Lang {
    De,
    En,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Kind {
    Marketing,
    Transactional,
}

impl From<Kind> for MessageKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Marketing => Self::Marketing,
            Kind::Transactional => Self::Transactional,
        }
    }
}

/// Exit code when the input cannot be read (or the mode is not supported yet).
const UNREADABLE: u8 = 2;

pub fn lint(
    args: LintArgs,
    settings: impl FnOnce() -> anyhow::Result<crate::lint_template::SendSettings>,
) -> anyhow::Result<ExitCode> {
    let today = args.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
    if let (Some(template), Some(data)) = (&args.template, &args.data) {
        let language = match args.lang {
            Lang::De => kurier_core::Language::De,
            Lang::En => kurier_core::Language::En,
        };
        let findings =
            crate::lint_template::lint_template(template, data, args.kind.into(), language, today, settings()?)?;
        let mut out = io::BufWriter::new(io::stdout().lock());
        print_findings(&mut out, &template.display().to_string(), &findings, args.json)?;
        out.flush()?;
        return Ok(if has_errors(&findings) { ExitCode::from(1) } else { ExitCode::SUCCESS });
    }
    let Some(path) = args.file else {
        eprintln!("kurier: lint needs a message file (FILE.eml)");
        return Ok(ExitCode::from(UNREADABLE));
    };
    let raw = match std::fs::read(&path) {
        Ok(raw) => raw,
        Err(e) => {
            eprintln!("kurier: {}: cannot read: {e}", path.display());
            return Ok(ExitCode::from(UNREADABLE));
        }
    };
    let findings = lint_message(&raw, &LintOptions { kind: args.kind.into(), today });
    let mut out = io::BufWriter::new(io::stdout().lock());
    print_findings(&mut out, &path.display().to_string(), &findings, args.json)?;
    out.flush()?;
    Ok(if has_errors(&findings) { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Writes the findings of one message: a JSON object per line (with `"file": source_label`), or a
/// readable list and a count line.
pub fn print_findings(
    out: &mut impl io::Write,
    source_label: &str,
    findings: &[Finding],
    json: bool,
) -> io::Result<()> {
    if json {
        for f in findings {
            let row = json!({
                "file": source_label,
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "where": f.location,
            });
            writeln!(out, "{row}")?;
        }
        return Ok(());
    }
    for f in findings {
        writeln!(out, "{:<7} {:<24} {}: {}", f.severity.as_str(), f.rule, f.location, f.message)?;
    }
    writeln!(out, "{source_label}: {}", summary(findings))
}

/// `2 errors, 1 warning` or `no problems found`.
fn summary(findings: &[Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let parts: Vec<String> = [(Severity::Error, "error"), (Severity::Warning, "warning"), (Severity::Info, "note")]
        .into_iter()
        .filter_map(|(severity, noun)| match count(severity) {
            0 => None,
            1 => Some(format!("1 {noun}")),
            n => Some(format!("{n} {noun}s")),
        })
        .collect();
    if parts.is_empty() { "no problems found".into() } else { parts.join(", ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity) -> Finding {
        Finding {
            rule: "subject-empty",
            severity,
            message: "The subject is empty.".into(),
            location: "header Subject".into(),
        }
    }

    #[test]
    fn readable_list_and_count() {
        let mut out = Vec::new();
        let findings = [finding(Severity::Error), finding(Severity::Warning), finding(Severity::Warning)];
        print_findings(&mut out, "a.eml", &findings, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("error   subject-empty            header Subject: The subject is empty.\n"), "{text}");
        assert!(text.ends_with("a.eml: 1 error, 2 warnings\n"), "{text}");
        let mut out = Vec::new();
        print_findings(&mut out, "b.eml", &[], false).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "b.eml: no problems found\n");
    }

    #[test]
    fn json_lines() {
        let mut out = Vec::new();
        print_findings(&mut out, "a.eml", &[finding(Severity::Info)], true).unwrap();
        let row: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            row,
            json!({"file": "a.eml", "rule": "subject-empty", "severity": "info",
                   "message": "The subject is empty.", "where": "header Subject"})
        );
    }
}

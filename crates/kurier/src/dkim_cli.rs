//! DKIM for the mail Kurier sends: the keys named by the configuration (`dkim_keys`, `dkim_domain`),
//! and `kurier dkim keygen` / `kurier dkim records` to make a key and to show the DNS records to
//! publish.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use kurier_mail::dkim::{DkimKey, DkimSigner};

#[derive(Subcommand)]
pub enum DkimCommand {
    /// Make a new Ed25519 key: writes the private key (PEM, readable by the owner only) and prints
    /// the DNS record to publish and the `dkim_keys` entry to configure. For an RSA key, which every
    /// receiver checks, use `openssl genrsa -out rsa.pem 2048`.
    Keygen(KeygenArgs),
    /// Print the DNS TXT record of every configured key.
    Records,
}

#[derive(Args)]
pub struct KeygenArgs {
    /// The selector (`s=`), e.g. `ed2026`: the record goes to `<selector>._domainkey.<domain>`.
    #[arg(long)]
    selector: String,
    /// Where to write the private key; an existing file is not overwritten.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The signing domain (`d=`); default: `dkim_domain` of the configuration.
    #[arg(long)]
    domain: Option<String>,
}

/// The signer for `dkim_keys` (`selector:path` entries, comma-separated; RSA or Ed25519 PEM files)
/// signing as `domain`, or `None` when no key is configured. Every problem is named with its entry.
pub fn signer(spec: &str, domain: &str) -> Result<Option<DkimSigner>, Vec<String>> {
    let mut keys = Vec::new();
    let mut problems = Vec::new();
    for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((selector, path)) = entry.split_once(':') else {
            problems.push(format!("{entry:?} is not selector:path (e.g. k2026:/etc/kurier/dkim-rsa.pem)"));
            continue;
        };
        match key_from_file(domain, selector.trim(), Path::new(path.trim())) {
            Ok(key) => keys.push(key),
            Err(e) => problems.push(format!("{entry:?}: {e}")),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if keys.is_empty() {
        return Ok(None);
    }
    DkimSigner::new(keys).map(Some).map_err(|e| vec![e.to_string()])
}

/// An RSA or Ed25519 private key from a PEM file; the error says which and why.
fn key_from_file(domain: &str, selector: &str, path: &Path) -> Result<DkimKey, String> {
    // The key's text is wiped from memory once parsed (the parsed key lives in the signer).
    let pem = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
    );
    if pem.contains("BEGIN RSA PRIVATE KEY") {
        return DkimKey::rsa_from_pem(domain, selector, &pem).map_err(|e| e.to_string());
    }
    // PKCS#8 holds either kind.
    DkimKey::ed25519_from_pem(domain, selector, &pem).or_else(|ed| {
        DkimKey::rsa_from_pem(domain, selector, &pem)
            .map_err(|rsa| format!("{} is neither a usable Ed25519 key ({ed}) nor RSA key ({rsa})", path.display()))
    })
}

/// Whether mail from `from_domain` signed by `dkim_domain` passes DMARC's relaxed alignment: one is
/// the other or a subdomain of it. (The organisational domain would need the public suffix list;
/// this is stricter only for two sibling subdomains, which can sign with their parent instead.)
pub fn aligned(from_domain: &str, dkim_domain: &str) -> bool {
    let (a, b) = (from_domain.to_ascii_lowercase(), dkim_domain.to_ascii_lowercase());
    a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}"))
}

pub fn run(command: DkimCommand, config: anyhow::Result<crate::config::Config>) -> anyhow::Result<ExitCode> {
    match command {
        DkimCommand::Keygen(args) => {
            let domain = match args.domain {
                Some(d) => d,
                None => config?.dkim_domain,
            };
            let (key, pem) = DkimKey::generate_ed25519(&domain, &args.selector)?;
            let pem = zeroize::Zeroizing::new(pem);
            write_private(&args.out, &pem)?;
            println!("wrote the private key to {}", args.out.display());
            println!("publish this TXT record:\n{}  TXT  \"{}\"", key.dns_name(), key.dns_record());
            println!("and configure: dkim_keys = \"{}:{}\"", key.selector(), args.out.display());
            Ok(ExitCode::SUCCESS)
        }
        DkimCommand::Records => {
            let config = config?;
            let Some(signer) = config.dkim else {
                println!("no DKIM key configured (dkim_keys); `kurier dkim keygen` makes one");
                return Ok(ExitCode::SUCCESS);
            };
            for key in signer.keys() {
                println!("{}  TXT  \"{}\"", key.dns_name(), key.dns_record());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Creates `path` readable by its owner only; never replaces an existing file.
fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    file.write_all(content.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_load_from_files_and_every_problem_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let (_, pem) = DkimKey::generate_ed25519("example.de", "e1").unwrap();
        let ed = dir.path().join("ed.pem");
        write_private(&ed, &pem).unwrap();
        let rsa = concat!(env!("CARGO_MANIFEST_DIR"), "/../mail/tests/dkim/rsa2048-pkcs8.test-only.pem");
        let both = signer(&format!("e1:{}, k1:{rsa}", ed.display()), "example.de").unwrap().unwrap();
        let names: Vec<_> = both.keys().iter().map(|k| (k.selector().to_string(), k.algorithm().as_str())).collect();
        assert_eq!(names, [("e1".to_string(), "ed25519-sha256"), ("k1".to_string(), "rsa-sha256")]);
        assert!(signer("", "example.de").unwrap().is_none());

        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap();
        let problems =
            signer(&format!("nopath, x:/nonexistent/k.pem, g:{}", garbage.display()), "example.de").unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("is not selector:path"), "{}", problems[0]);
        assert!(problems[1].contains("cannot read /nonexistent/k.pem"), "{}", problems[1]);
        assert!(problems[2].contains("neither a usable Ed25519 key"), "{}", problems[2]);
        // A key file is never overwritten.
        assert!(write_private(&ed, "x").is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&ed).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn alignment_is_relaxed_dmarc_alignment() {
        assert!(aligned("news.example.de", "example.de"));
        assert!(aligned("example.de", "mail.example.de"));
        assert!(aligned("Example.DE", "example.de"));
        assert!(!aligned("example.de", "example.com"));
        assert!(!aligned("badexample.de", "example.de"));
    }
}

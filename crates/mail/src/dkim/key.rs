//! DKIM keys: reading PEM, checking domain and selector, and the DNS record to publish.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kurier_core::FieldError;
use ring::rand::SecureRandom as _;
use ring::signature::{Ed25519KeyPair, KeyPair as _, RsaKeyPair};

use super::DkimError;
use crate::check;

/// The smallest RSA key we sign with: RFC 8301 requires at least 1024 bits and recommends 2048;
/// large mailbox providers treat 1024-bit signatures as weak.
pub const MIN_RSA_BITS: usize = 2048;

/// The signing algorithm of a key, as named in the `a=` tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DkimAlgorithm {
    /// `rsa-sha256` (RFC 6376), the one every verifier knows.
    RsaSha256,
    /// `ed25519-sha256` (RFC 8463): short keys and fast signing, but not every verifier knows it yet,
    /// so it is published beside an RSA key rather than instead of one.
    Ed25519Sha256,
}

impl DkimAlgorithm {
    /// The `a=` value of a signature.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RsaSha256 => "rsa-sha256",
            Self::Ed25519Sha256 => "ed25519-sha256",
        }
    }

    /// The `k=` value of the DNS record.
    pub fn key_type(self) -> &'static str {
        match self {
            Self::RsaSha256 => "rsa",
            Self::Ed25519Sha256 => "ed25519",
        }
    }
}

/// The parsed private key; parsed once, because parsing an RSA key costs about as much as signing.
pub(super) enum Pair {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private key with the domain (`d=`) and selector (`s=`) it signs for.
///
/// Built only by the constructors, which check the names and the key, so a `DkimKey` can always sign.
pub struct DkimKey {
    domain: String,
    selector: String,
    pub(super) pair: Pair,
}

impl fmt::Debug for DkimKey {
    /// Names the key without showing any of it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkimKey")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl DkimKey {
    /// An RSA key from PEM: PKCS#1 (`-----BEGIN RSA PRIVATE KEY-----`, what `openssl genrsa
    /// -traditional` writes) or unencrypted PKCS#8 (`-----BEGIN PRIVATE KEY-----`, what `openssl
    /// genrsa` writes). Keys under 2048 bits are refused; so are keys over 4096 bits, which the
    /// signing library does not take and no receiver needs.
    pub fn rsa_from_pem(domain: &str, selector: &str, pem: &str) -> Result<Self, DkimError> {
        const ALG: &str = "RSA";
        let (domain, selector) = names(domain, selector)?;
        let (label, der) = pem_decode(pem).map_err(|reason| DkimError::key(ALG, reason))?;
        let parsed = match label {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            other => return Err(DkimError::key(ALG, unexpected_label(other, "RSA PRIVATE KEY or PRIVATE KEY"))),
        };
        let pair = parsed.map_err(|e| {
            let reason = match e.to_string().as_str() {
                "TooSmall" => format!(
                    "the key is smaller than {MIN_RSA_BITS} bits; generate a new one with \
                     `openssl genrsa {MIN_RSA_BITS}` and publish its record"
                ),
                "TooLarge" => "the key is larger than 4096 bits; use a 2048-bit key".to_string(),
                "WrongAlgorithm" => "the PKCS#8 key is not an RSA key (for Ed25519, configure it as such)".to_string(),
                other => format!("the PEM does not hold a usable RSA private key ({other})"),
            };
            DkimError::key(ALG, reason)
        })?;
        let bits = pair.public().modulus_len() * 8;
        if bits < MIN_RSA_BITS {
            return Err(DkimError::key(ALG, format!("the key has {bits} bits; at least {MIN_RSA_BITS} are needed")));
        }
        Ok(Self { domain, selector, pair: Pair::Rsa(pair) })
    }

    /// An Ed25519 key from unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as `openssl
    /// genpkey -algorithm ed25519` writes it (version 1, without the public key) or as
    /// [`DkimKey::generate_ed25519`] does.
    pub fn ed25519_from_pem(domain: &str, selector: &str, pem: &str) -> Result<Self, DkimError> {
        const ALG: &str = "Ed25519";
        let (domain, selector) = names(domain, selector)?;
        let (label, der) = pem_decode(pem).map_err(|reason| DkimError::key(ALG, reason))?;
        if label != "PRIVATE KEY" {
            return Err(DkimError::key(ALG, unexpected_label(label, "PRIVATE KEY")));
        }
        // "maybe unchecked" only means a v1 document carries no public key to compare with the
        // private one; ring derives the public key from the seed then.
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).map_err(|e| {
            let reason = match e.to_string().as_str() {
                "WrongAlgorithm" => "the PKCS#8 key is not an Ed25519 key (for RSA, configure it as such)".to_string(),
                other => format!("the PEM does not hold a usable Ed25519 private key ({other})"),
            };
            DkimError::key(ALG, reason)
        })?;
        Ok(Self { domain, selector, pair: Pair::Ed25519(pair) })
    }

    /// A new random Ed25519 key, with its private key as PKCS#8 PEM to store (secretly) and load
    /// again with [`DkimKey::ed25519_from_pem`]. The PEM is version 1 PKCS#8, the form `openssl
    /// genpkey` writes, so other tools read it too.
    pub fn generate_ed25519(domain: &str, selector: &str) -> Result<(Self, String), DkimError> {
        /// PKCS#8 v1 `PrivateKeyInfo` for Ed25519 (RFC 8410 7) up to the 32-byte seed.
        const PREFIX: [u8; 16] =
            [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        let (domain, selector) = names(domain, selector)?;
        let mut der = [0u8; 48];
        der[..16].copy_from_slice(&PREFIX);
        ring::rand::SystemRandom::new()
            .fill(&mut der[16..])
            .map_err(|_| DkimError::key("Ed25519", "the system's random number generator failed".to_string()))?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| DkimError::key("Ed25519", format!("the generated key was refused ({e})")))?;
        let pem = pem_encode("PRIVATE KEY", &der);
        Ok((Self { domain, selector, pair: Pair::Ed25519(pair) }, pem))
    }

    /// The signing domain (`d=`), in lower case.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The selector (`s=`), in lower case.
    pub fn selector(&self) -> &str {
        &self.selector
    }

    pub fn algorithm(&self) -> DkimAlgorithm {
        match self.pair {
            Pair::Rsa(_) => DkimAlgorithm::RsaSha256,
            Pair::Ed25519(_) => DkimAlgorithm::Ed25519Sha256,
        }
    }

    /// Where the public key is published: `{selector}._domainkey.{domain}`.
    pub fn dns_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    /// The TXT record to publish at [`DkimKey::dns_name`]: `v=DKIM1; k=rsa; p=...` (the public key as
    /// DER `SubjectPublicKeyInfo`, like `openssl rsa -pubout`) or `v=DKIM1; k=ed25519; p=...` (the
    /// 32 raw bytes, RFC 8463 4.2).
    ///
    /// An RSA record is longer than the 255 characters one TXT string can hold; DNS providers split
    /// it into several strings of one record themselves, and verifiers join them.
    pub fn dns_record(&self) -> String {
        let public = match &self.pair {
            Pair::Rsa(pair) => STANDARD.encode(rsa_spki(pair.public().as_ref())),
            Pair::Ed25519(pair) => STANDARD.encode(pair.public_key().as_ref()),
        };
        format!("v=DKIM1; k={}; p={public}", self.algorithm().key_type())
    }
}

/// Checks and lower-cases the domain and the selector.
fn names(domain: &str, selector: &str) -> Result<(String, String), FieldError> {
    let domain = check::domain("domain", domain)?;
    Ok((domain, selector_name(selector)?))
}

/// A selector is one or more DNS labels (RFC 6376 3.1): letters, digits and hyphens, dots between.
fn selector_name(value: &str) -> Result<String, FieldError> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
    };
    if value.is_empty() || value.len() > 63 * 3 || !value.split('.').all(label_ok) {
        return Err(FieldError::new(
            "selector",
            format!("{value:?} is not a DNS label such as kurier2026 (letters, digits and hyphens)"),
        ));
    }
    Ok(value.to_ascii_lowercase())
}

fn unexpected_label(label: &str, wanted: &str) -> String {
    match label {
        "ENCRYPTED PRIVATE KEY" => {
            "the key is encrypted; store it unencrypted (`openssl pkcs8 -topk8 -nocrypt`) and protect the file"
                .to_string()
        }
        "OPENSSH PRIVATE KEY" => format!("the key is in OpenSSH format; convert it to PEM ({wanted})"),
        _ => format!("the PEM holds a {label:?}, expected {wanted}"),
    }
}

/// The label and the decoded bytes of the first PEM block (RFC 7468).
fn pem_decode(pem: &str) -> Result<(&str, Vec<u8>), String> {
    let mut lines = pem.lines().map(str::trim);
    let label = lines
        .by_ref()
        .find_map(|l| l.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")))
        .ok_or("the value is not PEM: no -----BEGIN ...----- line")?;
    let end = format!("-----END {label}-----");
    let mut b64 = String::with_capacity(pem.len());
    let mut ended = false;
    for line in lines {
        if line == end {
            ended = true;
            break;
        }
        if line.contains(':') {
            // RFC 1421 headers such as `Proc-Type: 4,ENCRYPTED` mean an encrypted legacy key.
            return Err("the PEM block has headers (an encrypted key?); store the key unencrypted".to_string());
        }
        b64.push_str(line);
    }
    if !ended {
        return Err(format!("the PEM block has no {end} line"));
    }
    let der = STANDARD.decode(b64.as_bytes()).map_err(|e| format!("the PEM block is not valid base64 ({e})"))?;
    Ok((label, der))
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    // Base64 is ASCII, so every byte offset is a character boundary.
    for start in (0..b64.len()).step_by(64) {
        pem.push_str(&b64[start..b64.len().min(start + 64)]);
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    pem
}

/// Wraps a DER `RSAPublicKey` (what ring gives) in a `SubjectPublicKeyInfo` (RFC 5280 4.1), the form
/// RFC 6376 appendix C publishes and every verifier reads.
fn rsa_spki(rsa_public_key: &[u8]) -> Vec<u8> {
    /// `AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }`.
    const ALGORITHM: [u8; 15] =
        [0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00];
    let mut bit_string = Vec::with_capacity(rsa_public_key.len() + 5);
    bit_string.push(0x03);
    der_length(rsa_public_key.len() + 1, &mut bit_string);
    bit_string.push(0x00); // no unused bits
    bit_string.extend_from_slice(rsa_public_key);
    let mut spki = Vec::with_capacity(bit_string.len() + ALGORITHM.len() + 4);
    spki.push(0x30);
    der_length(ALGORITHM.len() + bit_string.len(), &mut spki);
    spki.extend_from_slice(&ALGORITHM);
    spki.extend_from_slice(&bit_string);
    spki
}

/// A DER length: short form below 128, else the number of length bytes and the big-endian length.
fn der_length(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

//! DKIM signing (RFC 6376) with `rsa-sha256` and `ed25519-sha256` (RFC 8463), relaxed/relaxed.
//!
//! [`DkimSigner::sign`] takes a finished message and returns it with one `DKIM-Signature:` field per
//! configured key on top; with an RSA and an Ed25519 key, a receiver that does not know Ed25519 still
//! finds a signature it can check. Like the rest of the crate it does no I/O: keys come in as PEM
//! text, and the DNS record to publish comes out as text ([`DkimKey::dns_record`]).
//!
//! What is signed: the body whole (no `l=`, so nothing can be appended), and the header fields that
//! make the message what it is: [`SIGNED_HEADERS`]. A field that occurs several times is signed in
//! every occurrence, from the bottom up (RFC 6376 5.4.2). `From`, `Subject`, `List-Unsubscribe` and
//! `List-Unsubscribe-Post` are named once more than they occur ("over-signing"): a verifier then
//! fails the signature if anyone adds another one, so a replayed message cannot get a second
//! `From` or a forged unsubscribe link, nor a transactional message one at all.
//!
//! Line ends: messages should have CRLF line ends, as on the wire. A bare LF is read as CRLF, and
//! the returned message has CRLF line ends throughout, so what was signed is what is sent. A missing
//! CRLF at the end is added (SMTP adds it anyway).
//!
//! Speed: keys are parsed once ([`DkimKey`] holds the parsed key), the body is hashed once however
//! many keys sign, and a message costs a handful of allocations. The RSA-2048 signature itself
//! dominates (about 0.8 ms of CPU); with Ed25519 a 20 KB message takes about 70 µs, of which the
//! signature is 30 and hashing the body 15 (`examples/dkim_speed.rs` measures it).

mod canon;
mod key;
#[cfg(any(test, feature = "test-support"))]
pub mod testing;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use kurier_core::FieldError;
use ring::digest::{self, SHA256};
use ring::rand::SystemRandom;
use ring::signature::RSA_PKCS1_SHA256;

use key::Pair;
pub use key::{DkimAlgorithm, DkimKey, MIN_RSA_BITS};

/// The header fields signed when present, in the order `h=` names them, and whether each is
/// over-signed (named once more than it occurs; see the module documentation).
///
/// These are the fields a reader or a mailbox provider acts on. `Received`, `Return-Path` and the
/// like are left out: relays add and change them, and signing them would only break signatures.
pub const SIGNED_HEADERS: [(&str, bool); 16] = [
    ("From", true),
    ("Reply-To", false),
    ("Subject", true),
    ("Date", false),
    ("To", false),
    ("Cc", false),
    ("Message-ID", false),
    ("MIME-Version", false),
    ("Content-Type", false),
    ("Content-Transfer-Encoding", false),
    ("In-Reply-To", false),
    ("References", false),
    ("List-Id", false),
    ("List-Unsubscribe", true),
    ("List-Unsubscribe-Post", true),
    ("Feedback-ID", false),
];

/// Longest line we write in the `DKIM-Signature` field, the RFC 5322 recommendation.
const MAX_LINE: usize = 78;

/// Why a key could not be loaded or a message not signed. All are permanent: the same key or the
/// same message fails again, so fix the configuration or the composer instead of retrying.
#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    /// The domain or the selector is not a valid DNS name; the error names which.
    #[error("DKIM {0}")]
    Field(#[from] FieldError),
    /// The private key cannot be used; the reason says what to do about it.
    #[error("DKIM {algorithm} key: {reason}")]
    Key { algorithm: &'static str, reason: String },
    /// The message cannot be signed as it is (no `From`, two of them, a broken header line).
    #[error("the message cannot be DKIM-signed: {0}")]
    Message(String),
    /// A signer needs at least one key.
    #[error("DKIM signing needs at least one key")]
    NoKeys,
    /// The signing time is before 1970.
    #[error("DKIM timestamp {0} is negative; pass the Unix time in seconds")]
    Timestamp(i64),
    /// The crypto library refused to sign (should not happen with a key it accepted).
    #[error("DKIM signing with {algorithm} failed")]
    Signing { algorithm: &'static str },
}

impl DkimError {
    fn key(algorithm: &'static str, reason: impl Into<String>) -> Self {
        Self::Key { algorithm, reason: reason.into() }
    }
}

/// Signs messages with one or more keys. Build it once and share it between threads: it holds
/// only parsed keys and the system random number generator.
#[derive(Debug)]
pub struct DkimSigner {
    keys: Vec<DkimKey>,
    /// Seconds from `t=` to `x=`; `None` writes no `x=`.
    expiry: Option<u64>,
    rng: SystemRandom,
}

impl DkimSigner {
    /// A signer that adds one signature per key, in this order (the first key's on top). Typically an
    /// RSA key, which every verifier checks, and an Ed25519 key for those that prefer it.
    pub fn new(keys: Vec<DkimKey>) -> Result<Self, DkimError> {
        if keys.is_empty() {
            return Err(DkimError::NoKeys);
        }
        Ok(Self { keys, expiry: None, rng: SystemRandom::new() })
    }

    /// Lets signatures expire (`x=`) this long after signing, in whole seconds, at least one.
    ///
    /// Expiry limits how long a signed message can be replayed, but a message delayed in a queue
    /// past it arrives unsigned in effect, so keep it well above the longest retry period (days).
    pub fn with_expiry(mut self, valid_for: Duration) -> Self {
        self.expiry = Some(valid_for.as_secs().max(1));
        self
    }

    pub fn keys(&self) -> &[DkimKey] {
        &self.keys
    }

    /// Returns `message` with a `DKIM-Signature:` field per key on top, signed at `timestamp` (Unix
    /// seconds, the `t=` tag). The message is returned with CRLF line ends (see the module
    /// documentation).
    pub fn sign(&self, message: &[u8], timestamp: i64) -> Result<Vec<u8>, DkimError> {
        let t = u64::try_from(timestamp).map_err(|_| DkimError::Timestamp(timestamp))?;
        let message = canon::to_crlf(message);
        let (fields, body_start) = canon::split_header(&message).map_err(DkimError::Message)?;
        let froms = fields.iter().filter(|f| f.name.eq_ignore_ascii_case(b"From")).count();
        if froms != 1 {
            return Err(DkimError::Message(if froms == 0 {
                "it has no From header field, which DKIM must sign".to_string()
            } else {
                format!("it has {froms} From header fields; a message has exactly one")
            }));
        }

        // What every signature shares: the body hash, and the signed fields in canonical form
        // followed by the signature's own field (RFC 6376 3.7). `counts[i]` is how often `h=`
        // names SIGNED_HEADERS[i].
        let mut body_hash = digest::Context::new(&SHA256);
        canon::relaxed_body(&message[body_start..], |piece| body_hash.update(piece));
        let mut bh = [0u8; 44];
        let bh = encode(body_hash.finish().as_ref(), &mut bh).ok_or(DkimError::Signing { algorithm: "SHA-256" })?;
        let mut counts = [0usize; SIGNED_HEADERS.len()];
        let mut data = Vec::with_capacity(body_start + 1024);
        for ((name, over_sign), count) in SIGNED_HEADERS.iter().zip(&mut counts) {
            for field in fields.iter().rev().filter(|f| f.name.eq_ignore_ascii_case(name.as_bytes())) {
                canon::relaxed_header(field.name, field.value, &mut data);
                data.extend_from_slice(b"\r\n");
                *count += 1;
            }
            *count += usize::from(*over_sign);
        }
        let signed_len = data.len();

        let mut out = Vec::with_capacity(message.len() + self.keys.len() * 800);
        for key in &self.keys {
            let start = out.len();
            self.write_tags(key, t, &counts, bh, &mut out);
            // The field as written so far ends with an empty `b=`: exactly what the verifier gets
            // back after removing the signature from it.
            let name_len = b"DKIM-Signature:".len();
            canon::relaxed_header(&out[start..start + name_len - 1], &out[start + name_len..], &mut data);
            let failed = || DkimError::Signing { algorithm: key.algorithm().as_str() };
            // Large enough for the largest RSA key ring accepts (4096 bits).
            let mut sig = [0u8; 512];
            let sig: &[u8] = match &key.pair {
                Pair::Rsa(pair) => {
                    let sig = sig.get_mut(..pair.public().modulus_len()).ok_or_else(failed)?;
                    pair.sign(&RSA_PKCS1_SHA256, &self.rng, &data, sig).map_err(|_| failed())?;
                    sig
                }
                // RFC 8463 3: Ed25519 signs the SHA-256 hash of the data, not the data.
                Pair::Ed25519(pair) => {
                    let signature = pair.sign(digest::digest(&SHA256, &data).as_ref());
                    let bytes = signature.as_ref();
                    sig[..bytes.len()].copy_from_slice(bytes);
                    &sig[..bytes.len()]
                }
            };
            let mut b64 = [0u8; 684];
            let b = encode(sig, &mut b64).ok_or_else(failed)?;
            write_b(b, &mut out, start);
            data.truncate(signed_len);
        }
        out.extend_from_slice(&message);
        Ok(out)
    }

    /// Writes `DKIM-Signature:` with every tag up to an empty `b=`, folded at tag boundaries (and in
    /// `h=` after a colon) so no line is longer than [`MAX_LINE`].
    fn write_tags(&self, key: &DkimKey, t: u64, counts: &[usize], bh: &[u8], out: &mut Vec<u8>) {
        let mut w = Folder { out, col: 0 };
        w.raw(b"DKIM-Signature:");
        w.word(&[b"v=1;"]);
        w.word(&[b"a=", key.algorithm().as_str().as_bytes(), b";"]);
        w.word(&[b"c=relaxed/relaxed;"]);
        w.word(&[b"d=", key.domain().as_bytes(), b";"]);
        w.word(&[b"s=", key.selector().as_bytes(), b";"]);
        let mut num = [0u8; 20];
        w.word(&[b"t=", decimal(t, &mut num), b";"]);
        if let Some(expiry) = self.expiry {
            w.word(&[b"x=", decimal(t.saturating_add(expiry), &mut num), b";"]);
        }
        let names = SIGNED_HEADERS.iter().zip(counts).flat_map(|((name, _), n)| std::iter::repeat_n(*name, *n));
        let total: usize = counts.iter().sum();
        for (i, name) in names.enumerate() {
            let sep: &[u8] = if i + 1 == total { b";" } else { b":" };
            if i == 0 {
                w.word(&[b"h=", name.as_bytes(), sep]);
            } else {
                w.glued(&[name.as_bytes(), sep]);
            }
        }
        w.word(&[b"bh=", bh, b";"]);
        w.word(&[b"b="]);
    }
}

/// Writes the signature after the `b=` that ends `out`, folded to fill each line, and ends the field.
fn write_b(b: &[u8], out: &mut Vec<u8>, field_start: usize) {
    let last_line = out[field_start..].iter().rposition(|c| *c == b'\n').map_or(field_start, |i| field_start + i + 1);
    let mut w = Folder { col: out.len() - last_line, out };
    let mut rest = b;
    while !rest.is_empty() {
        if w.col >= MAX_LINE {
            w.fold();
        }
        let (line, tail) = rest.split_at(rest.len().min(MAX_LINE - w.col));
        w.raw(line);
        rest = tail;
    }
    w.out.extend_from_slice(b"\r\n");
}

/// Writes a header field's value in words, starting a continuation line before a word that would
/// make the line longer than [`MAX_LINE`].
struct Folder<'a> {
    out: &'a mut Vec<u8>,
    /// Characters on the current line so far.
    col: usize,
}

impl Folder<'_> {
    fn raw(&mut self, s: &[u8]) {
        self.out.extend_from_slice(s);
        self.col += s.len();
    }

    fn fold(&mut self) {
        self.out.extend_from_slice(b"\r\n ");
        self.col = 1;
    }

    /// A word made of `parts`, after a space or a fold.
    fn word(&mut self, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if self.col + 1 + len > MAX_LINE {
            self.fold();
        } else {
            self.raw(b" ");
        }
        parts.iter().for_each(|p| self.raw(p));
    }

    /// Like [`Folder::word`], but with nothing between it and the previous word unless it folds (in
    /// `h=`, folding whitespace may follow a colon).
    fn glued(&mut self, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if self.col + len > MAX_LINE {
            self.fold();
        }
        parts.iter().for_each(|p| self.raw(p));
    }
}

/// Base64 of `bytes` into `buf`; `None` if `buf` is too small (the callers' buffers fit a SHA-256
/// digest and a 4096-bit RSA signature).
fn encode<'a>(bytes: &[u8], buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let n = STANDARD.encode_slice(bytes, buf).ok()?;
    Some(&buf[..n])
}

/// `n` in decimal, without allocating.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests;

//! Per-message keys and the VERP return path that carries one back in a bounce.
//!
//! `Return-Path: <b-{key}-{sig}@{bounce domain}>`: the key names the outbox message, the signature
//! (lower-case base32, since some MTAs fold the case of local parts) proves the bounce answers a
//! message we sent, so forged bounces cannot suppress anyone.

use std::fmt;

use crate::token::Secret;

const VERP_DOMAIN: &[u8] = b"kurier/verp/v1\0";
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A message's public identity: 16 random bytes as 26 lower-case base32 characters.
/// Used in the API, in `Message-ID` and in the VERP address.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageKey(String);

impl MessageKey {
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(base32(&bytes))
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 26 && s.bytes().all(|b| ALPHABET.contains(&b))).then(|| Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The local part of this message's return path.
    pub fn verp_local(&self, secret: &Secret) -> String {
        let sig = secret.sign(VERP_DOMAIN, self.0.as_bytes(), 10);
        format!("b-{}-{}", self.0, base32(&sig))
    }

    /// The message key from a return-path local part, if its signature is ours.
    pub fn from_verp_local(local: &str, secret: &Secret) -> Option<Self> {
        let rest = local.to_ascii_lowercase();
        let rest = rest.strip_prefix("b-")?;
        let (key, sig) = rest.split_once('-')?;
        let key = Self::parse(key)?;
        let want = base32(&secret.sign(VERP_DOMAIN, key.0.as_bytes(), 10));
        (constant_time_eq(want.as_bytes(), sig.as_bytes())).then_some(key)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

impl fmt::Display for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageKey({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verp_round_trip_and_forgery() {
        let secret = Secret::new(vec![9; 32]).unwrap();
        let key = MessageKey::from_bytes([0xab; 16]);
        assert_eq!(key.as_str().len(), 26);
        let local = key.verp_local(&secret);
        assert!(local.len() <= 64, "a local part has at most 64 characters");
        assert_eq!(MessageKey::from_verp_local(&local, &secret), Some(key.clone()));
        assert_eq!(MessageKey::from_verp_local(&local.to_uppercase(), &secret), Some(key.clone()));
        let other = Secret::new(vec![8; 32]).unwrap();
        assert_eq!(MessageKey::from_verp_local(&local, &other), None);
        assert_eq!(MessageKey::from_verp_local("b-nothing-here", &secret), None);
        assert_eq!(MessageKey::from_verp_local("anna", &secret), None);
    }

    #[test]
    fn base32_matches_rfc4648_lowercase() {
        assert_eq!(base32(b"foobar"), "mzxw6ytboi");
        assert_eq!(base32(b"f"), "my");
    }
}

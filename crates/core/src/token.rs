//! HMAC-signed tokens for links that act (confirm, unsubscribe) and keyed hashes of addresses.
//!
//! A token carries what the link acts on (list and contact ids) and when it expires, so the server
//! needs no table of issued links; the signature makes it unforgeable and binds it to its purpose.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::email::EmailAddress;

type HmacSha256 = Hmac<Sha256>;

/// The instance secret. At least 32 bytes; never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub const MIN_LEN: usize = 32;

    pub fn new(bytes: Vec<u8>) -> Result<Self, TokenError> {
        if bytes.len() < Self::MIN_LEN {
            return Err(TokenError::WeakSecret);
        }
        Ok(Self(bytes))
    }

    fn mac(&self, domain: &[u8]) -> HmacSha256 {
        let mut m = HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        m.update(domain);
        m
    }

    /// A keyed hash of an address (hex), for suppression entries that must outlive erasure:
    /// it recognises the address again without storing it.
    pub fn address_hash(&self, address: &EmailAddress) -> String {
        let mut m = self.mac(b"kurier/address-hash/v1\0");
        m.update(address.as_str().as_bytes());
        hex(&m.finalize().into_bytes())
    }

    /// Signs `data` for `domain`, truncated to `len` bytes.
    pub fn sign(&self, domain: &[u8], data: &[u8], len: usize) -> Vec<u8> {
        let mut m = self.mac(domain);
        m.update(data);
        m.finalize().into_bytes()[..len].to_vec()
    }

    /// Checks a signature made by [`Secret::sign`] in constant time.
    pub fn verify(&self, domain: &[u8], data: &[u8], sig: &[u8]) -> bool {
        let mut m = self.mac(domain);
        m.update(data);
        m.verify_truncated_left(sig).is_ok() && sig.len() >= 8
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What a token may be used for. A confirm token does not unsubscribe, and the other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    Confirm = 1,
    Unsubscribe = 2,
}

impl TokenPurpose {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Self::Confirm),
            2 => Some(Self::Unsubscribe),
            _ => None,
        }
    }
}

/// The decoded content of a valid token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub purpose: TokenPurpose,
    pub list_id: i64,
    pub contact_id: i64,
    /// Unix seconds after which the token is refused; `None` for tokens that never expire
    /// (unsubscribe links must keep working in old mail).
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is damaged or was not made by this server")]
    Invalid,
    #[error("the link has expired")]
    Expired,
    #[error("the link is meant for something else")]
    WrongPurpose,
    #[error("the secret must be at least 32 bytes")]
    WeakSecret,
}

const PAYLOAD: usize = 1 + 8 + 8 + 8;
const SIG: usize = 16;
const TOKEN_DOMAIN: &[u8] = b"kurier/token/v1\0";

impl Token {
    pub fn encode(&self, secret: &Secret) -> String {
        let mut buf = Vec::with_capacity(PAYLOAD + SIG);
        buf.push(self.purpose as u8);
        buf.extend_from_slice(&self.list_id.to_be_bytes());
        buf.extend_from_slice(&self.contact_id.to_be_bytes());
        buf.extend_from_slice(&self.expires_at.unwrap_or(0).to_be_bytes());
        let sig = secret.sign(TOKEN_DOMAIN, &buf, SIG);
        buf.extend_from_slice(&sig);
        URL_SAFE_NO_PAD.encode(buf)
    }

    /// Decodes and verifies a token for `purpose`, refusing it after its expiry (`now` in Unix seconds).
    pub fn decode(s: &str, secret: &Secret, purpose: TokenPurpose, now: i64) -> Result<Self, TokenError> {
        let buf = URL_SAFE_NO_PAD.decode(s.as_bytes()).map_err(|_| TokenError::Invalid)?;
        if buf.len() != PAYLOAD + SIG {
            return Err(TokenError::Invalid);
        }
        let (payload, sig) = buf.split_at(PAYLOAD);
        if !secret.verify(TOKEN_DOMAIN, payload, sig) {
            return Err(TokenError::Invalid);
        }
        let int = |i: usize| i64::from_be_bytes(payload[i..i + 8].try_into().expect("8 bytes"));
        let got = TokenPurpose::from_byte(payload[0]).ok_or(TokenError::Invalid)?;
        if got != purpose {
            return Err(TokenError::WrongPurpose);
        }
        let expires_at = Some(int(17)).filter(|e| *e != 0);
        if expires_at.is_some_and(|e| now > e) {
            return Err(TokenError::Expired);
        }
        Ok(Self { purpose: got, list_id: int(1), contact_id: int(9), expires_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(b: u8) -> Secret {
        Secret::new(vec![b; 32]).unwrap()
    }

    #[test]
    fn round_trip_and_refusals() {
        let t = Token { purpose: TokenPurpose::Confirm, list_id: 7, contact_id: 42, expires_at: Some(1000) };
        let s = t.encode(&secret(1));
        assert!(s.len() < 60 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(Token::decode(&s, &secret(1), TokenPurpose::Confirm, 999), Ok(t));
        assert_eq!(Token::decode(&s, &secret(1), TokenPurpose::Confirm, 1001), Err(TokenError::Expired));
        assert_eq!(Token::decode(&s, &secret(2), TokenPurpose::Confirm, 0), Err(TokenError::Invalid));
        assert_eq!(Token::decode(&s, &secret(1), TokenPurpose::Unsubscribe, 0), Err(TokenError::WrongPurpose));
        let mut bytes = URL_SAFE_NO_PAD.decode(&s).unwrap();
        bytes[5] ^= 1;
        assert_eq!(
            Token::decode(&URL_SAFE_NO_PAD.encode(bytes), &secret(1), TokenPurpose::Confirm, 0),
            Err(TokenError::Invalid)
        );
        assert_eq!(Token::decode("nonsense!", &secret(1), TokenPurpose::Confirm, 0), Err(TokenError::Invalid));
    }

    #[test]
    fn unsubscribe_tokens_do_not_expire() {
        let t = Token { purpose: TokenPurpose::Unsubscribe, list_id: 1, contact_id: 2, expires_at: None };
        let s = t.encode(&secret(3));
        assert_eq!(Token::decode(&s, &secret(3), TokenPurpose::Unsubscribe, i64::MAX), Ok(t));
    }

    #[test]
    fn address_hash_is_keyed_and_stable() {
        let a = EmailAddress::parse("anna@example.de").unwrap();
        assert_eq!(secret(1).address_hash(&a), secret(1).address_hash(&a));
        assert_ne!(secret(1).address_hash(&a), secret(2).address_hash(&a));
        assert_eq!(secret(1).address_hash(&a).len(), 64);
        assert!(Secret::new(vec![0; 31]).is_err());
    }
}

//! For tests that verify signatures (feature `test-support`): DNS TXT records served to mail-auth
//! from memory, so that it never asks DNS.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::time::Instant;

use mail_auth::common::parse::TxtRecordParser as _;
use mail_auth::common::verify::DomainKey;
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt};

use super::DkimKey;

/// DKIM key records by DNS name.
pub struct Records(HashMap<Box<str>, Txt>);

impl Records {
    /// The records of `keys`, as [`DkimKey::dns_record`] gives them.
    pub fn new(keys: &[DkimKey]) -> Self {
        Self::from_pairs(keys.iter().map(|k| (k.dns_name(), k.dns_record())))
    }

    /// `(name, record)` pairs; panics on a record mail-auth cannot read.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(name, record)| {
                    let key = DomainKey::parse(record.as_bytes()).expect("a DKIM key record");
                    (format!("{name}.").into_boxed_str(), Txt::from(key))
                })
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The result of each signature of `message`, top to bottom. It never waits: every record is in
    /// memory, and no query is made (so the resolver's address is unused).
    pub async fn verify(&self, message: &[u8]) -> Vec<DkimResult> {
        let authenticator = MessageAuthenticator::new_cloudflare().expect("a resolver");
        let parsed = AuthenticatedMessage::parse(message).expect("mail-auth parses the message");
        let outputs = authenticator.verify_dkim(Parameters::new(&parsed).with_txt_cache(self)).await;
        outputs.iter().map(|o| o.result().clone()).collect()
    }
}

impl ResolverCache<Box<str>, Txt> for Records {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.0.get(name).cloned()
    }

    fn remove<Q>(&self, _: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }

    fn insert(&self, _: Box<str>, _: Txt, _: Instant) {}
}

//! The system mails the public pages cause, built into outbox messages with signed links.

use chrono::{DateTime, Utc};
use kurier_core::{EmailAddress, MessageKey, Token, TokenPurpose};
use kurier_mail::{Composed, Envelope, ListInfo, Recipient};
use kurier_store::{ComposeError, Contact, List, NewMessage};

use crate::AppState;

impl AppState {
    /// The link that acts on `token`, e.g. `{public_url}/confirm/{token}`.
    pub(crate) fn link(&self, path: &str, token: &Token) -> String {
        let mut url = self.config.public_url.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}/{path}/{}", token.encode(&self.secret)));
        url.to_string()
    }

    fn message(
        &self,
        list: &List,
        contact: &Contact,
        now: DateTime<Utc>,
        build: impl FnOnce(&Envelope<'_>) -> Result<Composed, kurier_mail::ComposeError>,
        source: &str,
        dedupe_key: String,
    ) -> Result<NewMessage, ComposeError> {
        let to = EmailAddress::parse(&contact.email)?;
        let key = MessageKey::from_bytes(rand::random());
        let return_path = format!("{}@{}", key.verp_local(&self.secret), self.config.bounce_domain);
        let env = Envelope {
            sender: &self.config.sender,
            list: ListInfo { name: list.name.as_str(), title: list.name.as_str(), language: list.language },
            recipient: Recipient { address: &to, name: contact.name.as_deref() },
            key: &key,
            return_path: &return_path,
            message_id_domain: &self.config.message_id_domain,
            date: now,
        };
        let mut composed = build(&env)?;
        if let Some(signer) = &self.config.dkim {
            composed.raw = signer.sign(&composed.raw, now.timestamp())?;
        }
        Ok(NewMessage {
            key,
            dedupe_key,
            source: source.to_string(),
            kind: composed.kind,
            list_id: Some(list.id),
            contact_id: Some(contact.id),
            to,
            envelope_from: composed.envelope_from,
            from_domain: self.config.sender.address.domain().to_string(),
            subject: composed.subject,
            raw: composed.raw,
            not_before: now,
        })
    }

    /// The double opt-in request, with a confirm link that expires after `confirm_ttl`.
    pub(crate) fn confirmation_mail(
        &self,
        list: &List,
        contact: &Contact,
        dedupe_key: &str,
        now: DateTime<Utc>,
    ) -> Result<NewMessage, ComposeError> {
        let expires = now + self.config.confirm_ttl;
        let token = Token {
            purpose: TokenPurpose::Confirm,
            list_id: list.id,
            contact_id: contact.id,
            expires_at: Some(expires.timestamp()),
        };
        let url = self.link("confirm", &token);
        self.message(
            list,
            contact,
            now,
            |env| kurier_mail::compose_confirmation(env, &url, expires),
            "system:confirm",
            dedupe_key.to_string(),
        )
    }

    /// The welcome mail after confirmation (marketing: it carries the one-click unsubscribe link).
    pub(crate) fn welcome_mail(
        &self,
        list: &List,
        contact: &Contact,
        now: DateTime<Utc>,
    ) -> Result<NewMessage, ComposeError> {
        let url = self.link("unsubscribe", &self.unsubscribe_token(list.id, contact.id));
        self.message(
            list,
            contact,
            now,
            |env| kurier_mail::compose_welcome(env, &url, now),
            "system:welcome",
            format!("welcome:{}:{}", list.id, contact.id),
        )
    }

    /// The welcome mail, or none when it cannot be composed (no postal address configured, which
    /// marketing mail must show): the confirmation itself must never fail for want of a welcome.
    pub(crate) fn welcome_or_warn(&self, list: &List, contact: &Contact, now: DateTime<Utc>) -> Option<NewMessage> {
        match self.welcome_mail(list, contact, now) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!(list = %list.name, error = %e, "welcome mail not sent");
                None
            }
        }
    }

    pub(crate) fn unsubscribe_token(&self, list_id: i64, contact_id: i64) -> Token {
        Token { purpose: TokenPurpose::Unsubscribe, list_id, contact_id, expires_at: None }
    }
}

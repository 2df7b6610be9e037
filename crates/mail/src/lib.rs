//! Composes Kurier's messages as complete RFC 5322 bytes, ready for the outbox.
//!
//! For now these are the system mails of the double opt-in flow: the confirmation request
//! ([`compose_confirmation`], transactional) and the welcome mail after confirming ([`compose_welcome`],
//! marketing, with RFC 8058 one-click `List-Unsubscribe` and a footer saying why the reader gets it,
//! who sends it and how to leave). Each is `multipart/alternative` with a text and an HTML part,
//! rendered from templates embedded in the binary, in the list's language (German or English).
//!
//! Campaign and follow-up mail comes from user templates ([`template`], MJML or HTML with merge
//! tags) through [`Composer::compose_template`]; [`builtin`] holds ready-made templates for the
//! common follow-ups (double opt-in, welcome, abandoned cart, order thanks, feedback, win-back,
//! re-permission, correction).
//!
//! Every value that reaches a header or a link is checked first, so a line break in a name or a
//! `javascript:` link is refused with an error naming the field instead of ending up in a message.
//! The crate does no I/O: the VERP envelope sender is returned beside the message, not written
//! into it (the receiving MTA adds `Return-Path`).

pub mod builtin;
mod check;
pub mod dkim;
pub mod lint;
mod message;
mod qp;
mod render;
pub mod template;

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use kurier_core::{EmailAddress, FieldError, Language, MessageKey, MessageKind};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::url::URL;
use serde::{Deserialize, Serialize};

pub use message::{Attachment, MessageOptions, TemplateComposeError};
pub use render::{format_date, format_date_time};

/// Who sends the instance's mail: the `From` of every message and the postal address in its footer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderIdentity {
    /// Display name in `From` and in signatures; may be empty (the address is shown then).
    pub name: String,
    pub address: EmailAddress,
    /// One or more lines; required for marketing mail.
    pub postal_address: String,
    #[serde(default)]
    pub reply_to: Option<EmailAddress>,
}

/// The list a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListInfo<'a> {
    /// The list's name (`news-de`), as in `List-Id` and `Feedback-ID`.
    pub name: &'a str,
    /// The list's display title (for now the same as `name`), as in subject and text.
    pub title: &'a str,
    /// Language of the texts.
    pub language: Language,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recipient<'a> {
    pub address: &'a EmailAddress,
    /// Display name for `To` and the greeting; `None` or empty for a greeting without a name.
    pub name: Option<&'a str>,
}

/// Everything a system mail needs besides its own links.
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'a> {
    pub sender: &'a SenderIdentity,
    pub list: ListInfo<'a>,
    pub recipient: Recipient<'a>,
    /// The message's public id.
    pub key: &'a MessageKey,
    /// The full VERP envelope sender, e.g. `b-...@bounces.example.com`.
    pub return_path: &'a str,
    /// `Message-ID` is `<{key}@{message_id_domain}>`; `List-Id` is `<{list.name}.{message_id_domain}>`.
    pub message_id_domain: &'a str,
    pub date: DateTime<Utc>,
}

/// A finished message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composed {
    /// The subject as the reader sees it (decoded).
    pub subject: String,
    /// The whole message (headers and body, CRLF line ends), as handed to SMTP `DATA`.
    pub raw: Vec<u8>,
    /// `{key}@{domain}`, without the angle brackets (as parsers report it).
    pub message_id: String,
    /// The SMTP envelope sender (`MAIL FROM`): the VERP return path.
    pub envelope_from: String,
    pub kind: MessageKind,
}

/// Why a message could not be composed. Composing again with the same input fails again, so every
/// error is permanent: fix the input (or the template) instead of retrying.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// An input value cannot go into a message: a line break in a header value, a URL that is not
    /// plain http(s), an empty required value. The message names the field.
    #[error("{0}")]
    Field(#[from] FieldError),
    #[error("template {template} failed: {source}")]
    Template {
        template: &'static str,
        #[source]
        source: minijinja::Error,
    },
    #[error("the message could not be assembled: {0}")]
    Build(#[from] std::io::Error),
}

impl ComposeError {
    /// The refused input field (`recipient.name`, `unsubscribe_url`, ...), if the input was at fault.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Field(e) => Some(&e.field),
            _ => None,
        }
    }

    /// Always false: the same input gives the same error.
    pub fn is_transient(&self) -> bool {
        false
    }

    /// Always true; see [`ComposeError::is_transient`].
    pub fn is_permanent(&self) -> bool {
        true
    }
}

/// The double opt-in request: asks the recipient to confirm with `confirm_url` before `expires_at`.
pub fn compose_confirmation(
    env: &Envelope,
    confirm_url: &str,
    expires_at: DateTime<Utc>,
) -> Result<Composed, ComposeError> {
    Composer::global().confirmation(env, confirm_url, expires_at)
}

/// The welcome mail after confirming (marketing): one-click unsubscribe headers and footer.
pub fn compose_welcome(
    env: &Envelope,
    unsubscribe_url: &str,
    subscribed_at: DateTime<Utc>,
) -> Result<Composed, ComposeError> {
    Composer::global().welcome(env, unsubscribe_url, subscribed_at)
}

/// Holds the parsed templates; build it once ([`Composer::global`] does) and compose many messages.
#[derive(Debug)]
pub struct Composer {
    templates: minijinja::Environment<'static>,
}

impl Default for Composer {
    fn default() -> Self {
        Self::new()
    }
}

/// The checked values every message shares.
struct Common {
    from_name: Option<String>,
    to_name: Option<String>,
    sender_name: String,
    list_name: String,
    list_title: String,
    domain: String,
    envelope_from: String,
    message_id: String,
}

impl Common {
    fn check(env: &Envelope) -> Result<Self, FieldError> {
        let from_name = check::optional_line("sender.name", &env.sender.name)?;
        let to_name = env.recipient.name.map(|n| check::optional_line("recipient.name", n)).transpose()?.flatten();
        let domain = check::domain("message_id_domain", env.message_id_domain)?;
        Ok(Self {
            sender_name: from_name.clone().unwrap_or_else(|| env.sender.address.to_string()),
            from_name,
            to_name,
            list_name: check::list_name(env.list.name)?,
            list_title: check::required_line("list.title", env.list.title)?,
            envelope_from: check::return_path(env.return_path)?,
            message_id: format!("{}@{}", env.key, domain),
            domain,
        })
    }

    fn context<'a>(&'a self, env: &'a Envelope, subject: &'a str, postal: &'a str) -> render::Common<'a> {
        render::Common {
            lang: env.list.language.as_str(),
            subject,
            recipient_name: self.to_name.as_deref(),
            recipient_address: env.recipient.address.as_str(),
            list_title: &self.list_title,
            sender_name: &self.sender_name,
            postal_address: postal,
        }
    }

    /// The headers every message has, in the usual order.
    fn builder<'a>(&'a self, env: &'a Envelope, subject: &'a str) -> MessageBuilder<'a> {
        let mut b = MessageBuilder::new()
            .from(Address::new_address(self.from_name.as_deref(), env.sender.address.as_str()))
            .to(Address::new_address(self.to_name.as_deref(), env.recipient.address.as_str()));
        if let Some(reply_to) = &env.sender.reply_to {
            b = b.reply_to(Address::new_address(None::<&str>, reply_to.as_str()));
        }
        b.subject(subject)
            .date(env.date.timestamp())
            .message_id(self.message_id.as_str())
            .header("MIME-Version", Raw::new("1.0"))
    }

    fn into_composed(self, subject: String, raw: Vec<u8>, kind: MessageKind) -> Composed {
        Composed { subject, raw, message_id: self.message_id, envelope_from: self.envelope_from, kind }
    }
}

impl Composer {
    /// Parses the embedded templates. They are tested, so this cannot fail at run time.
    pub fn new() -> Self {
        Self { templates: render::environment() }
    }

    /// The process-wide composer, built on first use.
    pub fn global() -> &'static Self {
        static COMPOSER: OnceLock<Composer> = OnceLock::new();
        COMPOSER.get_or_init(Self::new)
    }

    /// See [`compose_confirmation`].
    pub fn confirmation(
        &self,
        env: &Envelope,
        confirm_url: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Composed, ComposeError> {
        let common = Common::check(env)?;
        let confirm_url = check::http_url("confirm_url", confirm_url)?;
        let postal = check::postal_address(&env.sender.postal_address, false)?;
        let lang = env.list.language;
        let subject = match lang {
            Language::De => format!("Bitte bestätigen Sie Ihre Anmeldung: {}", common.list_title),
            Language::En => format!("Please confirm your subscription to {}", common.list_title),
        };
        let ctx = render::Confirmation {
            common: common.context(env, &subject, &postal),
            confirm_url: &confirm_url,
            expires: format_date_time(lang, expires_at),
        };
        let (text, html) = self.render("confirmation", lang, &ctx)?;
        let raw = common
            .builder(env, &subject)
            .header("Auto-Submitted", Raw::new("auto-generated"))
            .text_body(text)
            .html_body(html)
            .write_to_vec()?;
        Ok(common.into_composed(subject, raw, MessageKind::Transactional))
    }

    /// See [`compose_welcome`].
    pub fn welcome(
        &self,
        env: &Envelope,
        unsubscribe_url: &str,
        subscribed_at: DateTime<Utc>,
    ) -> Result<Composed, ComposeError> {
        let common = Common::check(env)?;
        let unsubscribe_url = check::http_url("unsubscribe_url", unsubscribe_url)?;
        let postal = check::postal_address(&env.sender.postal_address, true)?;
        let lang = env.list.language;
        let subject = match lang {
            Language::De => format!("Willkommen bei {}", common.list_title),
            Language::En => format!("Welcome to {}", common.list_title),
        };
        let ctx = render::Welcome {
            common: common.context(env, &subject, &postal),
            unsubscribe_url: &unsubscribe_url,
            subscribed: format_date(lang, subscribed_at),
        };
        let (text, html) = self.render("welcome", lang, &ctx)?;
        let list_id = format!("<{}.{}>", common.list_name, common.domain);
        let feedback_id = format!("{}:welcome:kurier", common.list_name);
        let raw = common
            .builder(env, &subject)
            .header("List-Id", Raw::new(list_id))
            .header("List-Unsubscribe", URL::new(unsubscribe_url.as_str()))
            .header("List-Unsubscribe-Post", Raw::new("List-Unsubscribe=One-Click"))
            .header("Precedence", Raw::new("bulk"))
            .header("Feedback-ID", Raw::new(feedback_id))
            .text_body(text)
            .html_body(html)
            .write_to_vec()?;
        Ok(common.into_composed(subject, raw, MessageKind::Marketing))
    }

    fn render(
        &self,
        kind: &'static str,
        lang: Language,
        ctx: &impl Serialize,
    ) -> Result<(String, String), ComposeError> {
        let (text_name, html_name) = render::template_names(kind, lang);
        let render = |name: &'static str| {
            self.templates
                .get_template(name)
                .and_then(|t| t.render(ctx))
                .map_err(|source| ComposeError::Template { template: name, source })
        };
        Ok((render(text_name)?, render(html_name)?))
    }
}

#[cfg(test)]
mod tests;

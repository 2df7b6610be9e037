//! Campaign and follow-up mail from a [`CompiledTemplate`]: one complete message per recipient.
//!
//! The template is rendered with the recipient's data plus the variables the composer owns (the
//! unsubscribe link, the footer's reason and sender identity, the locale), then assembled:
//! `multipart/alternative` text + HTML, inside `multipart/related` when there are inline images,
//! inside `multipart/mixed` when there are attachments. Marketing mail gets `List-Unsubscribe`,
//! `List-Unsubscribe-Post` (RFC 8058), `List-Id`, `Precedence: bulk`; every message gets
//! `Feedback-ID`, `Message-ID`, `Date`. A correction mail refers to the message it corrects with
//! `In-Reply-To` and `References`.

use kurier_core::{FieldError, Language, MessageKind, single_line};
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::url::URL;
use mail_builder::mime::{BodyPart, MimePart};
use minijinja::Value;

use crate::template::{CompiledTemplate, RenderError, Rendered};
use crate::{Common, ComposeError, Composed, Composer, Envelope, check};

/// A file sent with the message. With a `content_id` it is an inline image the HTML refers to as
/// `cid:{content_id}`; without, an attachment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
    pub content_id: Option<String>,
}

/// What a message needs besides the envelope and the recipient's data.
#[derive(Clone, Copy, Debug)]
pub struct MessageOptions<'a> {
    pub kind: MessageKind,
    /// The first field of `Feedback-ID` (the campaign or flow step), so complaint feedback loops
    /// report per campaign: `{campaign}:{list}:{kind}:kurier`.
    pub campaign: &'a str,
    /// Required for marketing mail: the recipient's one-click unsubscribe link.
    pub unsubscribe_url: Option<&'a str>,
    /// Why the reader gets this mail, for the footer; a sentence naming the list by default.
    pub footer_reason: Option<&'a str>,
    /// The `Message-ID` (without angle brackets) this message corrects or answers.
    pub in_reply_to: Option<&'a str>,
    pub attachments: &'a [Attachment],
}

/// A message could not be made from a template for one recipient.
#[derive(Debug, thiserror::Error)]
pub enum TemplateComposeError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Compose(#[from] ComposeError),
}

impl From<FieldError> for TemplateComposeError {
    fn from(e: FieldError) -> Self {
        Self::Compose(ComposeError::Field(e))
    }
}

impl Composer {
    /// Renders `template` for the recipient of `env` with `data` (the recipient's variables:
    /// `contact`, `cart`, `order`, ...) and builds the complete message.
    pub fn compose_template(
        &self,
        template: &CompiledTemplate,
        env: &Envelope,
        options: &MessageOptions,
        data: &Value,
    ) -> Result<Composed, TemplateComposeError> {
        let postal = check::postal_address(&env.sender.postal_address, options.kind == MessageKind::Marketing)?;
        let unsubscribe = match (options.kind, options.unsubscribe_url) {
            (_, Some(u)) => Some(check::http_url("unsubscribe_url", u)?),
            (MessageKind::Marketing, None) => {
                return Err(FieldError::new("unsubscribe_url", "is required for marketing mail").into());
            }
            (MessageKind::Transactional, None) => None,
        };
        let lang = env.list.language;
        let reason = match options.footer_reason {
            Some(r) => single_line("footer_reason", r, 500)?,
            None => match lang {
                Language::De => format!("Sie erhalten diese E-Mail, weil Sie „{}“ abonniert haben.", env.list.title),
                Language::En => format!("You are receiving this email because you subscribed to “{}”.", env.list.title),
            },
        };
        let sender_name =
            if env.sender.name.trim().is_empty() { env.sender.address.as_str() } else { env.sender.name.trim() };
        let locale = match lang {
            Language::De => "de-DE",
            Language::En => "en-GB",
        };
        // One flat map (lookups in it are cheaper than through a merged view): the list's locale,
        // then the data's top-level values (its own `locale` wins), then the composer's own
        // variables, which the data cannot replace.
        let mut ctx = std::collections::BTreeMap::<String, Value>::new();
        ctx.insert("locale".into(), Value::from(locale));
        if let Ok(keys) = data.try_iter() {
            for key in keys {
                if let (Some(name), Ok(value)) = (key.as_str(), data.get_item(&key)) {
                    ctx.insert(name.to_string(), value);
                }
            }
        }
        ctx.insert("unsubscribe_url".into(), Value::from(unsubscribe.as_deref()));
        ctx.insert("footer_reason".into(), Value::from(reason));
        ctx.insert("sender_name".into(), Value::from(sender_name));
        ctx.insert("sender_postal_address".into(), Value::from(postal));
        let ctx = Value::from(ctx);
        let (rendered, encoded) = template.render_for_mime(&ctx)?;
        Ok(self.assemble(env, options, unsubscribe.as_deref(), &rendered, encoded)?)
    }

    /// Builds the message from rendered texts; `encoded`: the HTML and the text are already
    /// quoted-printable (from pre-encoded templates).
    fn assemble(
        &self,
        env: &Envelope,
        options: &MessageOptions,
        unsubscribe_url: Option<&str>,
        rendered: &Rendered,
        encoded: bool,
    ) -> Result<Composed, ComposeError> {
        let common = Common::check(env)?;
        let subject = check::required_line("subject", &rendered.subject)?;
        let campaign = check::list_name(options.campaign).map_err(|e| FieldError::new("campaign", e.reason))?;
        let kind = match options.kind {
            MessageKind::Marketing => "marketing",
            MessageKind::Transactional => "transactional",
        };
        let mut b = common.builder(env, &subject);
        if let Some(id) = options.in_reply_to {
            let id = single_line("in_reply_to", id.trim_matches(['<', '>']), 250)?;
            if id.contains(char::is_whitespace) || !id.contains('@') {
                return Err(FieldError::new("in_reply_to", "must be a Message-ID such as abc@mail.example.com").into());
            }
            b = b.in_reply_to(id.clone()).references(id);
        }
        if options.kind == MessageKind::Marketing {
            let url =
                unsubscribe_url.ok_or_else(|| FieldError::new("unsubscribe_url", "is required for marketing mail"))?;
            b = b
                .header("List-Id", Raw::new(format!("<{}.{}>", common.list_name, common.domain)))
                .header("List-Unsubscribe", URL::new(url))
                .header("List-Unsubscribe-Post", Raw::new("List-Unsubscribe=One-Click"))
                .header("Precedence", Raw::new("bulk"));
        }
        b = b.header("Feedback-ID", Raw::new(format!("{campaign}:{}:{kind}:kurier", common.list_name)));
        let (text, html) = if encoded {
            (qp_part(rendered.text.as_bytes(), "text/plain"), qp_part(rendered.html.as_bytes(), "text/html"))
        } else {
            (text_part(&rendered.text, "text/plain"), text_part(&rendered.html, "text/html"))
        };
        let mut body = MimePart::new("multipart/alternative", vec![text, html]);
        let (mut inline, mut attached) = (Vec::new(), Vec::new());
        for a in options.attachments {
            let name = single_line("attachment.filename", &a.filename, 200)?;
            let content_type = check::content_type(&a.content_type)?;
            match &a.content_id {
                Some(cid) => {
                    inline.push(MimePart::new(content_type, a.content.as_slice()).inline().cid(check::content_id(cid)?))
                }
                None => attached.push(MimePart::new(content_type, a.content.as_slice()).attachment(name)),
            }
        }
        if !inline.is_empty() {
            inline.insert(0, body);
            body = MimePart::new("multipart/related", inline);
        }
        if !attached.is_empty() {
            attached.insert(0, body);
            body = MimePart::new("multipart/mixed", attached);
        }
        let mut raw = Vec::with_capacity(rendered.html.len() + rendered.text.len() * 11 / 10 + 2048);
        b.body(body).write_to(&mut raw)?;
        Ok(common.into_composed(subject, raw, options.kind))
    }
}

/// A text part, quoted-printable encoded by our own encoder (mail-builder's spends most of the
/// per-recipient time deciding and encoding).
fn text_part<'x>(text: &str, content_type: &'x str) -> MimePart<'x> {
    let mut encoded = Vec::with_capacity(text.len() + text.len() / 16);
    crate::qp::encode(text.as_bytes(), &mut encoded);
    qp_part(encoded, content_type)
}

/// A UTF-8 text part from its quoted-printable encoding (bytes, not a String: the encoding is
/// ASCII, no need to check it is UTF-8).
fn qp_part<'x>(encoded: impl Into<BodyPart<'x>>, content_type: &'x str) -> MimePart<'x> {
    MimePart::new(ContentType::new(content_type).attribute("charset", "utf-8"), encoded)
        .transfer_encoding("quoted-printable")
}

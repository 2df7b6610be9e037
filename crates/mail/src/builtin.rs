#![doc = include_str!("../templates/builtin/README.md")]

use std::fmt;

use kurier_core::{FieldError, Language, MessageKind};

use crate::template::{CompileOptions, CompiledTemplate, TemplateError, TemplateSource};

/// What a built-in template is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Occasion {
    DoubleOptIn,
    Welcome,
    AbandonedCart,
    ThankYou,
    FeedbackRequest,
    WinBack,
    RePermission,
    Correction,
}

/// A variable a built-in template reads, as in the tables of the [module documentation](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variable {
    /// A dotted path; `[]` stands for every element of a list (`cart.items[].name`). Alternatives
    /// of which one is enough are joined by ` or ` (`order.number or ticket.number`).
    pub path: &'static str,
    /// Whether rendering fails without it. A field of an optional map (`incentive.code`) is
    /// required only when the map is given.
    pub required: bool,
}

const fn required(path: &'static str) -> Variable {
    Variable { path, required: true }
}

const fn optional(path: &'static str) -> Variable {
    Variable { path, required: false }
}

/// The variables every built-in template reads.
const COMMON: &[Variable] =
    &[required("shop.name"), optional("shop.logo_url"), required("contact"), optional("contact.first_name")];

const DOUBLE_OPT_IN: &[Variable] =
    &[required("list.title"), optional("list.description"), required("links.confirm"), required("confirm_expires")];

const WELCOME: &[Variable] = &[
    required("shop.url"),
    required("list.title"),
    optional("list.description"),
    optional("incentive"),
    required("incentive.code"),
    required("incentive.percent or incentive.amount"),
    optional("incentive.valid_until"),
];

const ABANDONED_CART: &[Variable] = &[
    required("cart.url"),
    required("cart.items"),
    required("cart.items[].name"),
    required("cart.items[].quantity"),
    required("cart.items[].price"),
    optional("cart.items[].image_url"),
    required("cart.total"),
    optional("cart.coupon"),
];

const THANK_YOU: &[Variable] = &[
    required("order.number"),
    required("order.date"),
    required("order.items"),
    required("order.items[].name"),
    required("order.items[].quantity"),
    required("order.items[].price"),
    optional("order.items[].image_url"),
    optional("order.shipping"),
    required("order.total"),
    optional("order.tax"),
    optional("order.shipping_address"),
    required("order.url"),
    optional("shop.support_email"),
];

const FEEDBACK_REQUEST: &[Variable] = &[
    required("order.number or ticket.number"),
    optional("order.delivered_at"),
    optional("ticket.subject"),
    required("links.rating_base"),
    optional("links.review"),
];

const WIN_BACK: &[Variable] = &[
    required("shop.url"),
    optional("incentive"),
    required("incentive.code"),
    required("incentive.percent or incentive.amount"),
    optional("incentive.valid_until"),
];

const RE_PERMISSION: &[Variable] =
    &[required("list.title"), optional("subscribed_at"), required("links.keep"), required("repermission_deadline")];

const CORRECTION: &[Variable] = &[
    required("original.subject"),
    required("original.sent_at"),
    required("correction.text"),
    optional("correction.url"),
];

impl Occasion {
    pub const ALL: [Self; 8] = [
        Self::DoubleOptIn,
        Self::Welcome,
        Self::AbandonedCart,
        Self::ThankYou,
        Self::FeedbackRequest,
        Self::WinBack,
        Self::RePermission,
        Self::Correction,
    ];

    /// The name in file names and APIs: `double-opt-in`, `abandoned-cart`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DoubleOptIn => "double-opt-in",
            Self::Welcome => "welcome",
            Self::AbandonedCart => "abandoned-cart",
            Self::ThankYou => "thank-you",
            Self::FeedbackRequest => "feedback-request",
            Self::WinBack => "win-back",
            Self::RePermission => "re-permission",
            Self::Correction => "correction",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let wanted = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|o| o.as_str() == wanted).ok_or_else(|| {
            let names: Vec<_> = Self::ALL.iter().map(|o| o.as_str()).collect();
            FieldError::new("occasion", format!("{s:?} is not a built-in template (use one of {})", names.join(", ")))
        })
    }

    /// Whether the mail is marketing (footer, one-click unsubscribe, consent needed) or
    /// transactional (sent because the reader asked for it or it concerns their order).
    pub fn kind(self) -> MessageKind {
        match self {
            Self::DoubleOptIn | Self::ThankYou | Self::Correction => MessageKind::Transactional,
            Self::Welcome | Self::AbandonedCart | Self::FeedbackRequest | Self::WinBack | Self::RePermission => {
                MessageKind::Marketing
            }
        }
    }

    /// The variables the occasion's templates read (the same in both languages), after the ones
    /// every template reads. The composer's own variables (`unsubscribe_url`, ...) are not listed.
    pub fn variables(self) -> impl Iterator<Item = Variable> {
        let own = match self {
            Self::DoubleOptIn => DOUBLE_OPT_IN,
            Self::Welcome => WELCOME,
            Self::AbandonedCart => ABANDONED_CART,
            Self::ThankYou => THANK_YOU,
            Self::FeedbackRequest => FEEDBACK_REQUEST,
            Self::WinBack => WIN_BACK,
            Self::RePermission => RE_PERMISSION,
            Self::Correction => CORRECTION,
        };
        COMMON.iter().chain(own).copied()
    }

    /// The embedded template file and sample data.
    fn files(self, language: Language) -> (&'static str, &'static str) {
        macro_rules! embedded {
            ($name:literal) => {
                match language {
                    Language::De => (
                        include_str!(concat!("../templates/builtin/", $name, ".de.mjml")),
                        include_str!(concat!("../templates/builtin/samples/", $name, ".de.json")),
                    ),
                    Language::En => (
                        include_str!(concat!("../templates/builtin/", $name, ".en.mjml")),
                        include_str!(concat!("../templates/builtin/samples/", $name, ".en.json")),
                    ),
                }
            };
        }
        match self {
            Self::DoubleOptIn => embedded!("double-opt-in"),
            Self::Welcome => embedded!("welcome"),
            Self::AbandonedCart => embedded!("abandoned-cart"),
            Self::ThankYou => embedded!("thank-you"),
            Self::FeedbackRequest => embedded!("feedback-request"),
            Self::WinBack => embedded!("win-back"),
            Self::RePermission => embedded!("re-permission"),
            Self::Correction => embedded!("correction"),
        }
    }
}

impl fmt::Display for Occasion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The built-in template of an occasion in a language, to compile as it is or to start a user's
/// own template from.
pub fn source(occasion: Occasion, language: Language) -> TemplateSource {
    let name = format!("{occasion}.{}.mjml", language.as_str());
    match TemplateSource::from_file_text(&name, occasion.files(language).0) {
        Ok(source) => source,
        // Every built-in file is read in the tests, so this cannot happen at run time.
        Err(e) => panic!("built-in template {name}: {e}"),
    }
}

/// The built-in template compiled for the occasion's kind (marketing mail gets the footer).
pub fn compile(occasion: Occasion, language: Language) -> Result<CompiledTemplate, TemplateError> {
    CompiledTemplate::compile(&source(occasion, language), CompileOptions { kind: occasion.kind(), language })
}

/// Realistic recipient data for previews and tests: every variable of [`Occasion::variables`] that
/// applies, none of the composer's own. Amounts and dates are raw values for the filters.
pub fn sample_data(occasion: Occasion, language: Language) -> serde_json::Value {
    match serde_json::from_str(occasion.files(language).1) {
        Ok(data) => data,
        Err(e) => panic!("built-in sample data {occasion}.{}.json: {e}", language.as_str()),
    }
}

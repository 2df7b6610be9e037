//! Email addresses, parsed once: `EmailAddress` can only be built by [`EmailAddress::parse`].
//!
//! The whole address is kept in lower case. RFC 5321 lets the local part be case-sensitive, but no
//! mailbox provider we send to treats it so, and one spelling per person is what makes dedupe,
//! suppression and erasure reliable.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest address a mailbox can have (RFC 5321 path limit less the angle brackets).
const MAX_LEN: usize = 254;
const MAX_LOCAL: usize = 64;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress {
    full: String,
    at: usize,
}

/// Why a text is not an address we accept. The message is meant for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the address is empty")]
    Empty,
    #[error("the address is longer than {MAX_LEN} characters")]
    TooLong,
    #[error("the address contains a space or control character")]
    Whitespace,
    #[error("the address has no @")]
    NoAt,
    #[error("the part before the @ is empty")]
    EmptyLocal,
    #[error("the part before the @ is longer than {MAX_LOCAL} characters")]
    LocalTooLong,
    #[error("the part before the @ contains the character {0:?}, which addresses cannot contain")]
    LocalChar(char),
    #[error("the part before the @ starts or ends with a dot, or has two dots in a row")]
    LocalDots,
    #[error("quoted local parts (\"...\"@) are not accepted")]
    Quoted,
    #[error("the domain is empty")]
    EmptyDomain,
    #[error("IP address literals are not accepted as domain")]
    DomainLiteral,
    #[error("the domain {0:?} is not a valid domain name")]
    DomainInvalid(String),
    #[error("the domain {0:?} has no top-level domain (like .de or .com)")]
    DomainNoDot(String),
}

impl EmailAddress {
    /// Parses an address as a person would type it into a form or a CSV cell.
    /// Surrounding white space is ignored; everything else must be right.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(EmailError::Empty);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Whitespace);
        }
        let at = s.rfind('@').ok_or(EmailError::NoAt)?;
        let (local, domain) = (&s[..at], &s[at + 1..]);
        if local.is_empty() {
            return Err(EmailError::EmptyLocal);
        }
        if local.starts_with('"') {
            return Err(EmailError::Quoted);
        }
        if local.len() > MAX_LOCAL {
            return Err(EmailError::LocalTooLong);
        }
        if let Some(c) = local.chars().find(|c| !is_atext(*c) && *c != '.') {
            return Err(EmailError::LocalChar(c));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(EmailError::LocalDots);
        }
        let domain = parse_domain(domain)?;
        let full = format!("{}@{}", local.to_lowercase(), domain);
        if full.len() > MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let at = full.rfind('@').expect("built with an @");
        Ok(Self { full, at })
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }

    pub fn local_part(&self) -> &str {
        &self.full[..self.at]
    }

    /// The domain in its ASCII (punycode) form.
    pub fn domain(&self) -> &str {
        &self.full[self.at + 1..]
    }

    /// Role accounts (info@, support@, ...) reach a team, not a person who gave consent.
    /// Imports warn about them; they are not refused.
    pub fn is_role_account(&self) -> bool {
        let local = self.local_part();
        ROLE_ACCOUNTS.contains(&local)
    }

    /// A likely misspelling of a common mailbox domain, with the domain meant
    /// (`gmial.com` gives `gmail.com`). `None` when the domain is known or too far from any.
    pub fn domain_typo_suggestion(&self) -> Option<&'static str> {
        suggest_domain(self.domain())
    }

    /// Whether the address is at one of the big mailbox providers (gmail.com, gmx.de, ...), where
    /// the domain says nothing about whose mailbox it is.
    pub fn is_at_mailbox_provider(&self) -> bool {
        COMMON_DOMAINS.contains(&self.domain())
    }
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || (!c.is_ascii() && c.is_alphanumeric())
}

fn parse_domain(domain: &str) -> Result<String, EmailError> {
    if domain.is_empty() {
        return Err(EmailError::EmptyDomain);
    }
    if domain.starts_with('[') {
        return Err(EmailError::DomainLiteral);
    }
    let invalid = || EmailError::DomainInvalid(domain.to_string());
    // Plain ASCII domains (nearly all) need only lower-casing; the label checks below do the rest.
    // Anything else, and ASCII that is already punycode, goes through IDNA processing.
    let ascii = if domain.is_ascii() && !domain.contains("xn--") && !domain.contains("XN--") {
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(domain).map_err(|_| invalid())?
    };
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii).to_string();
    if ascii.is_empty() || ascii.len() > 253 {
        return Err(invalid());
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(invalid());
        }
    }
    if labels.len() < 2 {
        return Err(EmailError::DomainNoDot(domain.to_string()));
    }
    let tld = labels[labels.len() - 1];
    if tld.len() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    Ok(ascii)
}

const ROLE_ACCOUNTS: &[&str] = &[
    "abuse",
    "admin",
    "administrator",
    "billing",
    "buchhaltung",
    "compliance",
    "contact",
    "datenschutz",
    "devnull",
    "dns",
    "ftp",
    "hello",
    "help",
    "hostmaster",
    "info",
    "it",
    "jobs",
    "kontakt",
    "legal",
    "mail",
    "mailer-daemon",
    "marketing",
    "media",
    "newsletter",
    "no-reply",
    "noc",
    "noreply",
    "office",
    "postmaster",
    "presse",
    "press",
    "privacy",
    "root",
    "sales",
    "security",
    "service",
    "support",
    "team",
    "vertrieb",
    "webmaster",
    "www",
];

/// Domains that hold most private mailboxes in Europe and beyond; typos are measured against them.
const COMMON_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.de",
    "yahoo.co.uk",
    "hotmail.com",
    "hotmail.de",
    "hotmail.co.uk",
    "outlook.com",
    "outlook.de",
    "live.com",
    "live.de",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "aol.de",
    "gmx.de",
    "gmx.net",
    "gmx.at",
    "gmx.ch",
    "web.de",
    "t-online.de",
    "freenet.de",
    "posteo.de",
    "mailbox.org",
    "arcor.de",
    "online.de",
    "ionos.de",
    "protonmail.com",
    "proton.me",
    "yandex.ru",
    "mail.ru",
    "orange.fr",
    "free.fr",
    "libero.it",
    "btinternet.com",
    "bluewin.ch",
    "kabelmail.de",
    "vodafone.de",
    "magenta.de",
    "email.de",
    "mail.de",
    "gmx.com",
    "outlook.at",
    "hotmail.fr",
    "yahoo.fr",
    "web.com",
];

fn suggest_domain(domain: &str) -> Option<&'static str> {
    if COMMON_DOMAINS.contains(&domain) {
        return None;
    }
    let max = if domain.len() >= 9 { 2 } else { 1 };
    let mut best: Option<(&'static str, usize)> = None;
    let mut tie = false;
    for candidate in COMMON_DOMAINS {
        let Some(d) = crate::text::edit_distance_within(domain, candidate, max) else { continue };
        if d == 0 {
            continue;
        }
        match best {
            Some((_, bd)) if d > bd => {}
            Some((_, bd)) if d == bd => tie = true,
            _ => {
                best = Some((candidate, d));
                tie = false;
            }
        }
    }
    match best {
        Some((c, _)) if !tie && same_shape(domain, c) => Some(c),
        _ => None,
    }
}

/// A typo keeps the shape of a domain: we never suggest a different second-level name that merely
/// looks close (`gmx.at` is a real domain, not a typo of `gmx.de`).
fn same_shape(domain: &str, candidate: &str) -> bool {
    let (dn, dt) = domain.rsplit_once('.').unwrap_or((domain, ""));
    let (cn, ct) = candidate.rsplit_once('.').unwrap_or((candidate, ""));
    // A differing TLD only counts as typo when the typed TLD is not itself a plausible country/generic TLD
    // of that provider family: only names equal and TLD misspelt (".con"), or TLD equal and name misspelt.
    (dn == cn && !KNOWN_TLDS.contains(&dt)) || (dt == ct && dn != cn)
}

const KNOWN_TLDS: &[&str] = &["com", "de", "net", "at", "ch", "org", "fr", "it", "ru", "me", "uk", "eu", "nl"];

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.full)
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.full)
    }
}

impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses_and_normalises_case() {
        let a = EmailAddress::parse("  Anna.Schmidt+news@Example.DE ").unwrap();
        assert_eq!(a.as_str(), "anna.schmidt+news@example.de");
        assert_eq!(a.local_part(), "anna.schmidt+news");
        assert_eq!(a.domain(), "example.de");
    }

    #[test]
    fn internationalised_domains_become_punycode() {
        let a = EmailAddress::parse("jörg@müller.de").unwrap();
        assert_eq!(a.domain(), "xn--mller-kva.de");
        assert_eq!(a.local_part(), "jörg");
    }

    #[test]
    fn refuses_with_a_reason() {
        let cases = [
            ("", EmailError::Empty),
            ("anna", EmailError::NoAt),
            ("@example.de", EmailError::EmptyLocal),
            ("anna@", EmailError::EmptyDomain),
            ("an na@example.de", EmailError::Whitespace),
            ("anna@example.de\r\nBcc: x@y.de", EmailError::Whitespace),
            (".anna@example.de", EmailError::LocalDots),
            ("an..na@example.de", EmailError::LocalDots),
            ("an<na@example.de", EmailError::LocalChar('<')),
            ("\"a b\"@example.de", EmailError::Whitespace),
            ("\"ab\"@example.de", EmailError::Quoted),
            ("anna@[127.0.0.1]", EmailError::DomainLiteral),
            ("anna@localhost", EmailError::DomainNoDot("localhost".into())),
            ("anna@-x.de", EmailError::DomainInvalid("-x.de".into())),
            ("anna@x..de", EmailError::DomainInvalid("x..de".into())),
            ("anna@x.123", EmailError::DomainInvalid("x.123".into())),
        ];
        for (input, want) in cases {
            assert_eq!(EmailAddress::parse(input), Err(want), "{input:?}");
        }
        let long_local = format!("{}@example.de", "a".repeat(65));
        assert_eq!(EmailAddress::parse(&long_local), Err(EmailError::LocalTooLong));
        let long = format!("{}@{}.de", "a".repeat(60), vec!["b".repeat(60); 4].join("."));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
    }

    #[test]
    fn role_accounts_are_recognised() {
        assert!(EmailAddress::parse("Info@firma.de").unwrap().is_role_account());
        assert!(!EmailAddress::parse("information.desk.anna@firma.de").unwrap().is_role_account());
    }

    #[test]
    fn typo_suggestions_for_common_domains_only() {
        let s = |a: &str| EmailAddress::parse(a).unwrap().domain_typo_suggestion();
        assert_eq!(s("a@gmial.com"), Some("gmail.com"));
        let at = |a: &str| EmailAddress::parse(a).unwrap().is_at_mailbox_provider();
        assert!(at("anna@GMX.de") && at("bob@gmail.com"));
        assert!(!at("news@beispiel-shop.de") && !at("a@gmail.com.beispiel-shop.de"));
        assert_eq!(s("a@gmail.con"), Some("gmail.com"));
        assert_eq!(s("a@hotmal.com"), Some("hotmail.com"));
        assert_eq!(s("a@t-onlien.de"), Some("t-online.de"));
        assert_eq!(s("a@gmail.com"), None);
        assert_eq!(s("a@gmx.at"), None, "a real domain of the same provider is no typo");
        assert_eq!(s("a@web.de"), None);
        assert_eq!(s("a@wbe.de"), Some("web.de"));
        assert_eq!(s("a@mail.de"), None, "mail.de is a provider of its own, not a typo of email.de");
        assert_eq!(s("a@kurier-shop.de"), None);
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(local in "[a-zA-Z0-9][a-zA-Z0-9._+-]{0,20}[a-zA-Z0-9]", dom in "[a-z][a-z0-9-]{0,10}[a-z0-9]\\.(de|com|org)") {
            let input = format!("{local}@{dom}");
            if let Ok(a) = EmailAddress::parse(&input) {
                let again = EmailAddress::parse(a.as_str()).unwrap();
                prop_assert_eq!(&again, &a);
                prop_assert!(!a.as_str().contains(['\r', '\n', ' ']));
            }
        }

        #[test]
        fn never_panics_and_never_yields_line_breaks(s in "\\PC{0,80}") {
            if let Ok(a) = EmailAddress::parse(&s) {
                prop_assert!(!a.as_str().chars().any(|c| c.is_control() || c.is_whitespace()));
                prop_assert_eq!(a.as_str().matches('@').count() >= 1, true);
            }
        }
    }
}

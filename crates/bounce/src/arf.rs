//! RFC 5965 abuse reporting format (complaints).

use crate::dsn::{clean_address, fields};

/// What a feedback-report part says.
#[derive(Debug, Default)]
pub(crate) struct Feedback {
    pub feedback_type: Option<String>,
    pub original_rcpt_to: Vec<String>,
    pub source_ip: Option<String>,
}

pub(crate) fn parse(text: &str) -> Feedback {
    let mut f = Feedback::default();
    for (name, value) in fields(text) {
        match name.as_str() {
            "feedback-type" => f.feedback_type = Some(value.to_ascii_lowercase()),
            "original-rcpt-to" | "removal-recipient" => {
                if let Some(a) = clean_address(&value)
                    && !f.original_rcpt_to.contains(&a)
                {
                    f.original_rcpt_to.push(a);
                }
            }
            "source-ip" => f.source_ip = Some(value.into_owned()),
            _ => {}
        }
    }
    f
}

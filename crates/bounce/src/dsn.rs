//! RFC 3464 delivery status notifications: the `message/delivery-status`
//! fields, one block per recipient.

use std::borrow::Cow;

/// One per-recipient block of a delivery-status part.
#[derive(Debug, Default, Clone)]
pub(crate) struct DsnRecipient {
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    pub action: Option<String>,
    pub status: Option<String>,
    /// The text after the status code (`5.2.1 (mailbox disabled)`), when any.
    pub status_comment: Option<String>,
    pub remote_mta: Option<String>,
    pub diagnostic: Option<String>,
    /// The type of the `Diagnostic-Code` (`smtp`, `x-unix`, `x-postfix`), lower case.
    pub diagnostic_type: Option<String>,
    /// The block has a Final- or Original-Recipient field, perhaps with its address left out
    /// ("Final-Recipient: rfc822;" in a report whose address was removed before it was shared).
    pub names_recipient: bool,
}

/// A field name, lower-cased, kept inline (names are short).
#[derive(Clone, Copy)]
pub(crate) struct Name {
    buf: [u8; 40],
    len: u8,
}

impl Name {
    const EMPTY: Name = Name { buf: [0; 40], len: 0 };

    fn new(name: &str) -> Option<Name> {
        if name.is_empty() || name.len() >= 40 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return None;
        }
        let mut n = Name::EMPTY;
        for (d, s) in n.buf.iter_mut().zip(name.bytes()) {
            *d = s.to_ascii_lowercase();
        }
        n.len = name.len() as u8;
        Some(n)
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII letters, digits and '-' are ever stored.
        std::str::from_utf8(&self.buf[..self.len as usize]).unwrap_or("")
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Unfold header-like fields of `text` into (lower-cased name, value) pairs;
/// an empty line gives an empty name as a separator. Values are borrowed
/// unless folded.
pub(crate) fn fields(text: &str) -> Vec<(Name, Cow<'_, str>)> {
    let mut out: Vec<(Name, Cow<'_, str>)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if out.last().is_some_and(|(n, _)| !n.is_empty()) {
                out.push((Name::EMPTY, Cow::Borrowed("")));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((n, v)) = out.last_mut()
                && !n.is_empty()
            {
                let v = v.to_mut();
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':')
            && let Some(name) = Name::new(name)
        {
            out.push((name, Cow::Borrowed(value.trim())));
        }
    }
    out
}

/// Strip an address type (`rfc822;`), angle brackets and quotes.
pub(crate) fn clean_address(value: &str) -> Option<String> {
    let v = match value.split_once(';') {
        Some((_, rest)) => rest,
        None => value,
    };
    let v = v.trim();
    let v = match (v.find('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v,
    };
    let v = v.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    if v.is_empty() || !v.contains('@') || v.starts_with('@') || v.ends_with('@') {
        return None;
    }
    let domain_literal = v.rsplit_once('@').is_some_and(|(_, d)| d.starts_with('[') && d.ends_with(']'));
    if !domain_literal && v.contains([' ', '\t', '[', ']', '(', ')', ',', '`']) {
        // More than an address ("a@b (comment)", a link "[a@b](mailto:a@b)" where a report was
        // pasted into a web page): the first address in it.
        return crate::text::addresses(v).into_iter().next().map(|(_, a)| a);
    }
    Some(v.to_string())
}

fn split_type(value: &str) -> (Option<String>, String) {
    match value.split_once(';') {
        Some((t, rest)) if !t.contains(' ') && t.len() < 16 => {
            (Some(t.trim().to_ascii_lowercase()), rest.trim().to_string())
        }
        _ => (None, value.trim().to_string()),
    }
}

fn strip_type(value: &str) -> String {
    split_type(value).1
}

/// The words after the status code of a `Status` field, without brackets.
fn status_comment(value: &str, status: &str) -> Option<String> {
    let at = value.find(status)? + status.len();
    let rest = value[at..].trim().trim_start_matches('(').trim_end_matches(')').trim();
    (rest.bytes().filter(u8::is_ascii_alphabetic).count() >= 3).then(|| rest.to_string())
}

/// Parse the per-recipient blocks of a delivery-status text.
pub(crate) fn parse(text: &str) -> Vec<DsnRecipient> {
    let mut out: Vec<DsnRecipient> = Vec::new();
    let mut cur: Option<DsnRecipient> = None;
    let mut remote_default: Option<String> = None;
    for (name, value) in fields(text) {
        match name.as_str() {
            "" => {
                if let Some(r) = cur.take() {
                    out.push(r);
                }
            }
            "final-recipient" | "original-recipient" => {
                let fin = name == "final-recipient";
                let taken = cur
                    .as_ref()
                    .is_some_and(|r| if fin { r.final_recipient.is_some() } else { r.original_recipient.is_some() });
                if taken && let Some(r) = cur.take() {
                    out.push(r);
                }
                let r = cur
                    .get_or_insert_with(|| DsnRecipient { remote_mta: remote_default.clone(), ..Default::default() });
                r.names_recipient = true;
                if fin {
                    r.final_recipient = clean_address(&value);
                } else {
                    r.original_recipient = clean_address(&value);
                }
            }
            "action" => {
                cur.get_or_insert_with(Default::default).action = Some(value.to_ascii_lowercase());
            }
            "status" => {
                let r = cur.get_or_insert_with(Default::default);
                r.status = crate::text::find_status(&value);
                r.status_comment = r.status.as_deref().and_then(|s| status_comment(&value, s));
            }
            // (An empty one, "Remote-MTA: dns;", names no host.)
            "remote-mta" => {
                let v = strip_type(&value);
                match cur.as_mut() {
                    _ if v.is_empty() => {}
                    Some(r) => r.remote_mta = Some(v),
                    None => remote_default = Some(v),
                }
            }
            "diagnostic-code" => {
                let (kind, text) = split_type(&value);
                let r = cur.get_or_insert_with(Default::default);
                r.diagnostic = Some(text);
                r.diagnostic_type = kind;
            }
            _ => {}
        }
    }
    if let Some(r) = cur.take() {
        out.push(r);
    }
    // A block without an address still says why its recipient failed when its recipient field
    // is there, it gives a status or a diagnostic, and no block names an address (a report whose
    // addresses were all removed before it was shared; beside named ones, it is a local or broken
    // route, "Final-Recipient: LOCAL; frank", whose recipient is listed in another block).
    let named = out.iter().any(|r| r.final_recipient.is_some() || r.original_recipient.is_some());
    out.retain(|r| {
        r.final_recipient.is_some()
            || r.original_recipient.is_some()
            || !named && r.names_recipient && (r.status.is_some() || r.diagnostic.is_some())
    });
    out
}

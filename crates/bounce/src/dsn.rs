//! RFC 3464 delivery status notifications: the `message/delivery-status`
//! fields, one block per recipient.

/// One per-recipient block of a delivery-status part.
#[derive(Debug, Default, Clone)]
pub(crate) struct DsnRecipient {
    pub final_recipient: Option<String>,
    pub original_recipient: Option<String>,
    pub action: Option<String>,
    pub status: Option<String>,
    pub remote_mta: Option<String>,
    pub diagnostic: Option<String>,
}

/// Unfold header-like fields of `text` into (lower-cased name, value) pairs;
/// an empty line gives a `("", "")` separator.
pub(crate) fn fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if out.last().is_some_and(|(n, _)| !n.is_empty()) {
                out.push((String::new(), String::new()));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((n, v)) = out.last_mut()
                && !n.is_empty()
            {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':')
            && !name.is_empty()
            && name.len() < 40
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            out.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
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
    Some(v.to_string())
}

fn strip_type(value: &str) -> String {
    match value.split_once(';') {
        Some((t, rest)) if !t.contains(' ') && t.len() < 16 => rest.trim().to_string(),
        _ => value.trim().to_string(),
    }
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
                cur.get_or_insert_with(Default::default).status = crate::text::find_status(&value);
            }
            "remote-mta" => {
                let v = strip_type(&value);
                match cur.as_mut() {
                    Some(r) => r.remote_mta = Some(v),
                    None => remote_default = Some(v),
                }
            }
            "diagnostic-code" => {
                cur.get_or_insert_with(Default::default).diagnostic = Some(strip_type(&value));
            }
            _ => {}
        }
    }
    if let Some(r) = cur.take() {
        out.push(r);
    }
    out.retain(|r| r.final_recipient.is_some() || r.original_recipient.is_some());
    out
}

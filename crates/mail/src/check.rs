//! Checks for every value that ends up in a header or a link, so nothing can break out of its place.

use kurier_core::{EmailAddress, FieldError, ListName, single_line};

/// Longest display name, list title or postal address line we accept.
pub(crate) const MAX_TEXT: usize = 200;
/// Longest URL: `List-Unsubscribe: <...>` must stay well inside the 998-octet line limit.
pub(crate) const MAX_URL: usize = 900;

/// A one-line value that may be empty (`None` then).
pub(crate) fn optional_line(field: &str, value: &str) -> Result<Option<String>, FieldError> {
    let v = single_line(field, value, MAX_TEXT)?;
    Ok((!v.is_empty()).then_some(v))
}

/// A one-line value that must not be empty.
pub(crate) fn required_line(field: &str, value: &str) -> Result<String, FieldError> {
    optional_line(field, value)?.ok_or_else(|| FieldError::new(field, "must not be empty"))
}

/// An absolute `http://` or `https://` URL made only of the characters RFC 3986 allows, so it can
/// stand inside `<...>` in a header and in an HTML attribute. Non-ASCII must be percent-encoded.
pub(crate) fn http_url(field: &str, value: &str) -> Result<String, FieldError> {
    let err = |reason: &str| FieldError::new(field, reason);
    if value.is_empty() {
        return Err(err("must not be empty"));
    }
    if value.len() > MAX_URL {
        return Err(err(&format!("is longer than {MAX_URL} characters")));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(err("must be a URL without spaces, line breaks or control characters"));
    }
    if let Some(c) = value.chars().find(|c| !is_url_char(*c)) {
        return Err(err(&format!("contains {c:?}, which a URL cannot contain unencoded")));
    }
    let lower = value.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| err("must start with http:// or https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(err("must not contain a user name or password"));
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if host.is_empty() || host.starts_with('.') {
        return Err(err("has no host name"));
    }
    Ok(value.to_string())
}

fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// A domain name for `Message-ID` and `List-Id`: ASCII labels of letters, digits and hyphens.
pub(crate) fn domain(field: &str, value: &str) -> Result<String, FieldError> {
    let err = || FieldError::new(field, format!("{value:?} is not a domain name such as mail.example.com"));
    let v = value.trim().trim_end_matches('.').to_ascii_lowercase();
    if v.is_empty() || v.len() > 253 {
        return Err(err());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if !v.split('.').all(label_ok) {
        return Err(err());
    }
    Ok(v)
}

/// A list name (`news-de`), as `List-Id` and `Feedback-ID` carry it.
pub(crate) fn list_name(value: &str) -> Result<String, FieldError> {
    ListName::parse(value).map(|n| n.as_str().to_string()).map_err(|e| FieldError::new("list.name", e.reason))
}

/// The envelope sender (VERP return path): an address, returned as given.
pub(crate) fn return_path(value: &str) -> Result<String, FieldError> {
    let v = single_line("return_path", value, 254)?;
    EmailAddress::parse(&v).map_err(|e| FieldError::new("return_path", e.to_string()))?;
    Ok(v)
}

/// The sender's postal address, one or more lines, joined with ", " for the footer.
/// It goes into the body only, so line breaks are allowed between its lines.
pub(crate) fn postal_address(value: &str, required: bool) -> Result<String, FieldError> {
    const FIELD: &str = "sender.postal_address";
    let mut lines = Vec::new();
    for line in value.lines() {
        if let Some(l) = optional_line(FIELD, line)? {
            lines.push(l);
        }
    }
    if required && lines.is_empty() {
        return Err(FieldError::new(
            FIELD,
            "must not be empty: marketing mail has to name the sender's postal address",
        ));
    }
    Ok(lines.join(", "))
}

/// A MIME type such as `application/pdf` or `image/png`: two RFC 2045 tokens.
pub(crate) fn content_type(value: &str) -> Result<String, FieldError> {
    let token = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
    match value.trim().split_once('/') {
        Some((t, s)) if token(t) && token(s) => Ok(value.trim().to_ascii_lowercase()),
        _ => Err(FieldError::new(
            "attachment.content_type",
            format!("{value:?} is not a MIME type such as application/pdf"),
        )),
    }
}

/// The `Content-ID` of an inline image, as the HTML's `cid:` link names it (without `<>`).
pub(crate) fn content_id(value: &str) -> Result<String, FieldError> {
    let v = value.trim().trim_matches(['<', '>']);
    if v.is_empty()
        || v.len() > 200
        || !v.bytes().all(|b| b.is_ascii_graphic() && !b"<>()[]\\\",;:".contains(&b) || b == b'@')
    {
        return Err(FieldError::new(
            "attachment.content_id",
            format!("{value:?} is not a Content-ID such as logo@kurier"),
        ));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let ok = ["https://example.com/c/abc_-1", "http://localhost:8080/u?t=a&x=%C3%A4", "HTTPS://Example.com"];
        for u in ok {
            assert_eq!(http_url("u", u).unwrap(), u);
        }
        let bad = [
            ("", "must not be empty"),
            ("javascript:alert(1)", "http:// or https://"),
            ("ftp://example.com/x", "http:// or https://"),
            ("https://exa mple.com", "without spaces"),
            ("https://example.com/\r\nBcc: x@y.de", "line breaks"),
            ("https://example.com/a>b", "'>'"),
            ("https://example.com/ä", "'ä'"),
            ("https://", "no host"),
            ("https:///path", "no host"),
            ("https://user:pw@example.com/", "user name"),
        ];
        for (u, want) in bad {
            let e = http_url("confirm_url", u).unwrap_err();
            assert_eq!(e.field, "confirm_url");
            assert!(e.reason.contains(want), "{u:?}: {e}");
        }
        assert!(http_url("u", &format!("https://example.com/{}", "a".repeat(MAX_URL))).is_err());
    }

    #[test]
    fn domains_and_names() {
        assert_eq!(domain("d", "Mail.Example.COM.").unwrap(), "mail.example.com");
        assert_eq!(domain("d", "localhost").unwrap(), "localhost");
        for bad in ["", "a..b", "-a.de", "a b.de", "a.de\r\nX: y", "ex_ample.de"] {
            assert_eq!(domain("message_id_domain", bad).unwrap_err().field, "message_id_domain");
        }
        assert_eq!(list_name("news-de").unwrap(), "news-de");
        assert_eq!(list_name("News\r\n").unwrap_err().field, "list.name");
        assert_eq!(return_path("b-abc-def@bounces.example.com").unwrap(), "b-abc-def@bounces.example.com");
        assert_eq!(return_path("b@x.de\nBcc: y@z.de").unwrap_err().field, "return_path");
        assert_eq!(return_path("not an address").unwrap_err().field, "return_path");
    }

    #[test]
    fn lines_and_postal_addresses() {
        assert_eq!(optional_line("n", "  ").unwrap(), None);
        assert_eq!(required_line("list.title", " ").unwrap_err().to_string(), "list.title: must not be empty");
        assert_eq!(
            postal_address("Beispiel GmbH\r\n Hauptstr. 1 \n\n10115 Berlin\n", true).unwrap(),
            "Beispiel GmbH, Hauptstr. 1, 10115 Berlin"
        );
        assert_eq!(postal_address("", false).unwrap(), "");
        assert_eq!(postal_address(" \n ", true).unwrap_err().field, "sender.postal_address");
        assert!(postal_address("Hauptstr.\u{0} 1", false).is_err());
    }
}

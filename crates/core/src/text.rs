//! Text that goes into headers, pages and the ledger: one line, no control characters.

/// A form field, CSV cell or JSON member that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

/// Checks a one-line value (a name, a subject, a source label): trimmed, at most `max` characters, and
/// free of CR, LF and every other control character, so it can never break out of a header.
pub fn single_line(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}') {
        return Err(FieldError::new(field, "must be a single line without control characters"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(field, format!("is longer than {max} characters")));
    }
    Ok(v.to_string())
}

/// Edit distance counting a swap of two neighbours as one edit (the commonest typing slip).
pub fn edit_distance(a: &str, b: &str) -> usize {
    edit_distance_within(a, b, usize::MAX).unwrap_or(usize::MAX)
}

/// [`edit_distance`] if it is at most `max`, else `None`, found without computing the rest once
/// every path is over `max` (cheap enough to run per imported row against a list of domains).
pub fn edit_distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return None;
    }
    // Three rows of the table (the one before the previous is needed for swaps).
    let mut before: Vec<usize> = vec![0; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur: Vec<usize> = vec![0; m + 1];
    for i in 1..=n {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(before[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[m]).filter(|d| *d <= max)
}

/// `%XX` escapes decoded (URLs: user names, passwords, mailbox names); `None` on a broken escape or
/// when the result is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    String::from_utf8(percent_bytes(s, true)?).ok()
}

/// Like [`percent_decode`] for reading what a link says (`%7B%7Bname%7D%7D` as `{{name}}`): a broken
/// escape stays as written and invalid UTF-8 becomes U+FFFD.
pub fn percent_decode_lossy(s: &str) -> String {
    String::from_utf8_lossy(&percent_bytes(s, false).unwrap_or_default()).into_owned()
}

/// The bytes `s` stands for; a `%` without two hex digits after it fails (`strict`) or is kept.
fn percent_bytes(s: &str, strict: bool) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| char::from(*b).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).ok()?);
                i += 3;
            }
            (b'%', _, _) if strict => return None,
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_line_breaks_and_controls() {
        assert!(single_line("name", "Anna\r\nBcc: x@y.de", 100).is_err());
        assert!(single_line("name", "Anna\u{0}", 100).is_err());
        assert!(single_line("name", "An\u{85}na", 100).is_err());
        assert!(single_line("name", "An\u{2028}na", 100).is_err());
        let e = single_line("name", &"x".repeat(11), 10).unwrap_err();
        assert_eq!(e.to_string(), "name: is longer than 10 characters");
        assert_eq!(single_line("name", "  Anna Österreich ", 100).unwrap(), "Anna Österreich");
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert_eq!(edit_distance("smpt_url", "smtp_url"), 1);
        assert_eq!(edit_distance("gmial.com", "gmail.com"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("ca", "abc"), 3, "a swap and an insertion, as optimal string alignment counts");
        assert_eq!(edit_distance_within("kitten", "sitting", 2), None);
        assert_eq!(edit_distance_within("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance_within("a", "abcd", 2), None);
    }

    #[test]
    fn percent_decoding_strict_and_lossy() {
        assert_eq!(percent_decode("p%40ss%20w%C3%B6rd").as_deref(), Some("p@ss wörd"));
        for broken in ["%", "%4", "%zz", "%+1", "%FF"] {
            assert_eq!(percent_decode(broken), None, "{broken}");
        }
        assert_eq!(percent_decode_lossy("%7B%7Bname%7D%7D%"), "{{name}}%");
        assert_eq!(percent_decode_lossy("a%zzb%FF"), "a%zzb\u{fffd}");
    }
}

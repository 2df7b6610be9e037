//! Finds merge tags that were not replaced: the placeholder syntaxes of the common template
//! languages and mailing tools, left in the text as the reader would see them.
//!
//! Braces and percent signs are unambiguous (`{{ x }}`, `{% x %}`, `*|FNAME|*`, `%%x%%`, `<%= x %>`,
//! `${x}`). Single brackets, single braces, `%x%` and `$x$` also occur in ordinary text (`[1]`,
//! `[Anzeige]`, `{color:red}`), so there only an identifier made of field words counts:
//! `[FirstName]`, `[first_name]`, `[Vorname]`, `{Nachname}`, `%FIRSTNAME%` yes; `[sic]`, `[PDF]`,
//! `[hier klicken]`, `[LastMinute]` no. A single-brace identifier with an underscore counts too.

/// Words that name a contact field.
const FIELDS: &[&str] = &[
    "name",
    "firstname",
    "lastname",
    "fullname",
    "surname",
    "givenname",
    "nickname",
    "fname",
    "lname",
    "vorname",
    "nachname",
    "email",
    "mail",
    "emailaddress",
    "anrede",
    "salutation",
    "firma",
    "company",
    "organisation",
    "organization",
    "city",
    "stadt",
    "ort",
    "plz",
    "zip",
    "zipcode",
    "postcode",
    "postalcode",
    "street",
    "strasse",
    "straße",
    "address",
    "adresse",
    "phone",
    "telefon",
    "mobile",
    "username",
    "kundennummer",
    "customer",
    "kunde",
    "birthday",
    "geburtstag",
    "country",
    "gender",
    "geschlecht",
];

/// Words that may stand beside a field word in a placeholder (`[Your First Name]`, `[CustomerID]`).
const FILLERS: &[&str] = &[
    "first",
    "last",
    "full",
    "given",
    "family",
    "your",
    "ihr",
    "ihre",
    "dein",
    "deine",
    "contact",
    "kontakt",
    "recipient",
    "empfänger",
    "user",
    "subscriber",
    "abonnent",
    "id",
    "nr",
    "number",
    "nummer",
    "data",
    "var",
    "merge",
    "field",
    "e",
];

/// Leftover merge tags in `s`, as written, left to right.
pub(crate) fn leftovers(s: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match tag_at(s, i) {
            Some(len) if len > 0 => {
                found.extend(s.get(i..i + len));
                i += len;
            }
            _ => i += 1,
        }
    }
    found
}

/// The length of the merge tag starting at byte `i`, if one does.
fn tag_at(s: &str, i: usize) -> Option<usize> {
    let rest = s.get(i..)?;
    let before = s.get(..i).and_then(|b| b.chars().next_back());
    let glued = before.is_some_and(|c| c.is_alphanumeric());
    match rest.as_bytes().first()? {
        b'{' if rest.starts_with("{{") => closed(rest, "{{", "}}", 200).map(|n| n + extra_braces(&rest[n..])),
        b'{' if rest.starts_with("{%") => closed(rest, "{%", "%}", 200),
        b'{' => single_brace(rest),
        b'*' => closed(rest, "*|", "|*", 60).filter(|&n| word_chars(&rest[2..n - 2], ":-")),
        b'<' => closed(rest, "<%", "%>", 200),
        b'#' if rest.starts_with("#{") => closed(rest, "#{", "}", 40).filter(|&n| identifier(&rest[2..n - 1])),
        b'$' if rest.starts_with("${") => closed(rest, "${", "}", 40).filter(|&n| identifier(rest[2..n - 1].trim())),
        b'$' if !glued => closed(rest, "$", "$", 30).filter(|&n| field_like(&rest[1..n - 1])),
        b'%' if rest.starts_with("%%=") => closed(rest, "%%=", "=%%", 200),
        b'%' if rest.starts_with("%%") => closed(rest, "%%", "%%", 60).filter(|&n| spaced_identifier(&rest[2..n - 2])),
        b'%' if !glued && before != Some('%') => {
            closed(rest, "%", "%", 30).filter(|&n| field_like(&rest[1..n - 1]) && !glued_after(rest, n))
        }
        b'[' if rest.starts_with("[[") => closed(rest, "[[", "]]", 60).filter(|&n| double_bracket(&rest[2..n - 2])),
        b'[' if before != Some('[') => {
            closed(rest, "[", "]", 42).filter(|&n| placeholder(&rest[1..n - 1]) && !rest[n..].starts_with('('))
        }
        _ => None,
    }
}

/// `open ... close` at the start of `rest`, the closing within `max` bytes: the whole length.
fn closed(rest: &str, open: &str, close: &str, max: usize) -> Option<usize> {
    let inner = rest.strip_prefix(open)?;
    // Search a bounded window only, so a long line of `{{{{...` takes linear time.
    let at = inner.get(..window_end(inner, max + close.len()))?.find(close)?;
    if inner[..at].contains('\n') {
        return None;
    }
    Some(open.len() + at + close.len())
}

/// The largest character boundary of `s` at or below `limit`.
pub(crate) fn window_end(s: &str, limit: usize) -> usize {
    let mut end = limit.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// Handlebars' `{{{x}}}` has one more closing brace.
fn extra_braces(rest: &str) -> usize {
    rest.bytes().take_while(|&b| b == b'}').count().min(1)
}

/// `{first_name}`, `{Vorname}`, `{$firstname}`, `{contact.FIRSTNAME}`; not `{color:red}` or JSON.
fn single_brace(rest: &str) -> Option<usize> {
    let n = closed(rest, "{", "}", 40)?;
    let inner = rest[1..n - 1].trim();
    let inner = inner.strip_prefix('$').unwrap_or(inner);
    (identifier(inner) && (inner.contains('_') || field_like(inner))).then_some(n)
}

/// Mailjet's `[[var:firstname]]`, `[[data:name:"du"]]`; not a wiki link `[[Hauptseite]]`.
fn double_bracket(inner: &str) -> bool {
    let starts = inner.chars().next().is_some_and(char::is_alphabetic);
    starts && (inner.contains(':') || field_like(inner.trim()))
}

/// `[FirstName]`, `[first_name]`, `[Vorname]`, `[E-Mail]`, `[Your Name]`; not `[1]`, `[sic]`,
/// `[PDF]`, `[Anzeige]`, `[hier klicken]`, `[Last Chance]`.
fn placeholder(inner: &str) -> bool {
    let words: Vec<&str> = inner.split(' ').collect();
    if words.len() > 3 || words.iter().any(|w| w.is_empty()) {
        return false;
    }
    let parts: Vec<String> = words.iter().flat_map(|w| split_identifier(w)).collect();
    let clean = words.iter().all(|w| w.chars().all(|c| c.is_alphanumeric() || "_-.".contains(c)));
    clean && inner.chars().next().is_some_and(char::is_alphabetic) && fields_only(&parts)
}

/// An identifier whose words are all field words or fillers, with at least one field word.
fn field_like(s: &str) -> bool {
    identifier(s) && fields_only(&split_identifier(s))
}

fn fields_only(parts: &[String]) -> bool {
    let is_field = |p: &String| FIELDS.contains(&p.as_str());
    parts.iter().any(is_field) && parts.iter().all(|p| is_field(p) || FILLERS.contains(&p.as_str()))
}

/// `first_name`, `FirstName`, `contact.FIRSTNAME`, `E-Mail` into lower-case words; an all-capital
/// word stays one word (`FIRSTNAME`).
fn split_identifier(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    for piece in s.split(['_', '.', '-', ':']).filter(|p| !p.is_empty()) {
        let mut word = String::new();
        let mut prev_lower = false;
        for c in piece.chars() {
            if c.is_uppercase() && prev_lower && !word.is_empty() {
                words.push(std::mem::take(&mut word).to_lowercase());
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            word.push(c);
        }
        words.push(word.to_lowercase());
    }
    words
}

/// Letters, digits, `_` and `.`, starting with a letter or `_`.
fn identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

/// An identifier that may contain single spaces, as Salesforce's `%%First Name%%`.
fn spaced_identifier(s: &str) -> bool {
    !s.starts_with(' ') && !s.ends_with(' ') && s.split(' ').all(identifier)
}

fn word_chars(s: &str, extra: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(c))
}

fn glued_after(rest: &str, n: usize) -> bool {
    rest.get(n..).and_then(|r| r.chars().next()).is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_syntax() {
        let cases = [
            ("Hallo {{ first_name }},", "{{ first_name }}"),
            ("Hi {{{name}}}!", "{{{name}}}"),
            ("{% if x %}Rabatt", "{% if x %}"),
            ("Hallo *|FNAME|*,", "*|FNAME|*"),
            ("Dear %%FirstName%%", "%%FirstName%%"),
            ("Dear %%First Name%%", "%%First Name%%"),
            ("x %%=v(@name)=%% y", "%%=v(@name)=%%"),
            ("Hallo [FirstName],", "[FirstName]"),
            ("Hallo [first_name],", "[first_name]"),
            ("Hallo [Vorname] [Nachname]", "[Vorname]"),
            ("Dear [Your Name],", "[Your Name]"),
            ("Kontakt: [E-Mail]", "[E-Mail]"),
            ("Hallo {first_name},", "{first_name}"),
            ("Hallo {Vorname},", "{Vorname}"),
            ("Hallo {$firstname}", "{$firstname}"),
            ("Hi <%= user.name %>!", "<%= user.name %>"),
            ("Hi ${firstName}!", "${firstName}"),
            ("Hi $first_name$!", "$first_name$"),
            ("Hi %FIRSTNAME%!", "%FIRSTNAME%"),
            ("Hi [[var:firstname]]", "[[var:firstname]]"),
            ("Hi #{name}", "#{name}"),
        ];
        for (s, want) in cases {
            assert_eq!(leftovers(s).first().copied(), Some(want), "{s:?}");
        }
        assert_eq!(leftovers("Hallo [Vorname] [Nachname]"), ["[Vorname]", "[Nachname]"]);
    }

    #[test]
    fn ordinary_text_is_not_a_merge_tag() {
        let texts = [
            "Siehe Quelle [1] und [2].",
            "[Anzeige] Sommerschlussverkauf",
            "Er schrieb \"Sommr\" [sic].",
            "Preisliste [PDF]",
            "Mehr Infos [hier klicken]",
            "[Last Chance] Nur heute",
            "[LastMinute] Reisen",
            "p {color:red}",
            "{\"name\": \"x\"}",
            "{x}",
            "Bis zu 50% Rabatt, 20% extra",
            "100%% sicher",
            "Preis: $5 oder $10",
            "[Name](https://example.org)",
            "[[Hauptseite]]",
            "{{ unclosed",
            "Mailchimp *| not a tag",
            "a < b and c % d",
        ];
        for s in texts {
            assert!(leftovers(s).is_empty(), "{s:?}: {:?}", leftovers(s));
        }
    }

    #[test]
    fn splits_identifiers() {
        assert_eq!(split_identifier("FirstName"), ["first", "name"]);
        assert_eq!(split_identifier("contact.FIRSTNAME"), ["contact", "firstname"]);
        assert_eq!(split_identifier("first_name"), ["first", "name"]);
    }
}

//! Does the text name a postal address? Marketing mail must (German TMG/DDG § 5, the US CAN-SPAM
//! Act). The detection is generous on purpose: taking something else for an address only hides a
//! missing one, while missing a real address raises an error on a correct message.
//!
//! Counts: a German-style street and house number (`Hauptstraße 1`, `Hauptstr. 12a`,
//! `Karl-Marx-Allee 5`, `Am Fichtenweg 3`), an English one (`123 Main Street`), a postcode before a
//! city (`10115 Berlin`, `D-10115 Berlin`, `1010 Wien`, `CH-8001 Zürich`), a UK postcode
//! (`SW1A 1AA`), a US state and ZIP code (`Springfield, IL 62704`), or a post office box
//! (`Postfach 10 20 30`, `PO Box 123`).

use super::text::fold;

/// Endings of German street names; the first three also stand alone (`Berliner Straße 5`).
const STREET_ENDINGS: &[&str] = &[
    "straße", "strasse", "str.", "gasse", "weg", "platz", "allee", "damm", "ufer", "chaussee", "steig", "stieg",
    "pfad", "markt", "gürtel", "kai",
];

/// English street types after a number and a name (`123 Main Street`).
const STREET_TYPES: &[&str] = &[
    "street",
    "st",
    "st.",
    "avenue",
    "ave",
    "ave.",
    "road",
    "rd",
    "rd.",
    "lane",
    "boulevard",
    "blvd",
    "blvd.",
    "drive",
    "way",
    "square",
    "place",
    "court",
    "parkway",
    "highway",
];

const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR",
    "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR",
];

/// Characters that separate the parts of an address written on one line.
const SEPARATORS: &[&str] = &["·", "|", "•", "-", "–", "—", "/", "∙", "⋅"];

/// Lower-case words that may follow a city's first word (`Frankfurt am Main`).
const CITY_JOINERS: &[&str] = &["am", "an", "im", "in", "der", "bei", "ob", "auf", "vor"];

/// True when some line of `text` looks like part of a postal address.
pub(crate) fn has_postal_address(text: &str) -> bool {
    text.lines().any(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        (0..words.len()).any(|i| {
            german_street(&words, i)
                || english_street(&words, i)
                || postcode_city(&words, i)
                || uk_postcode(&words, i)
                || us_zip(&words, i)
                || po_box(&words, i)
        })
    })
}

fn clean(word: &str) -> &str {
    word.trim_end_matches([',', ';'])
}

/// `1`, `12a`, `1-3`, `10/12`, `5 b`.
fn house_number(word: &str) -> bool {
    let w = clean(word).trim_end_matches('.');
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &w[digits..];
    (1..=4).contains(&digits)
        && (rest.is_empty()
            || (rest.chars().count() == 1 && rest.chars().all(char::is_alphabetic))
            || (rest.starts_with(['-', '/']) && rest[1..].bytes().all(|b| b.is_ascii_alphanumeric())))
}

fn german_street(words: &[&str], i: usize) -> bool {
    let (Some(name), Some(number)) = (words.get(i), words.get(i + 1)) else { return false };
    let name = fold(clean(name));
    let standalone = ["straße", "strasse", "str.", "str"].contains(&name.as_str());
    let compound = STREET_ENDINGS.iter().any(|e| name.ends_with(e) && name.chars().count() > e.chars().count());
    (standalone || compound) && house_number(number)
}

fn english_street(words: &[&str], i: usize) -> bool {
    let Some(number) = words.get(i) else { return false };
    if !house_number(number) {
        return false;
    }
    let capital = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    (2..=3).any(|n| {
        let Some(kind) = words.get(i + n) else { return false };
        let names = words.get(i + 1..i + n).unwrap_or_default();
        capital(kind) && names.iter().all(|w| capital(w)) && STREET_TYPES.contains(&fold(clean(kind)).as_str())
    })
}

/// A four- or five-digit postcode, maybe with a country prefix, then a city's name.
fn postcode_city(words: &[&str], i: usize) -> bool {
    let Some(word) = words.get(i) else { return false };
    let (prefixed, code) = match word.split_once('-') {
        Some((country, code)) if ["D", "DE", "A", "AT", "CH", "L", "LI", "FL"].contains(&country) => (true, code),
        _ => (false, *word),
    };
    if !(4..=5).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let year = code.len() == 4 && code.parse::<u32>().is_ok_and(|n| (1900..=2099).contains(&n));
    let placed = match i.checked_sub(1).and_then(|p| words.get(p)) {
        None => !year,
        Some(prev) => prefixed || prev.ends_with([',', ';']) || SEPARATORS.contains(prev) || house_number(prev),
    };
    (prefixed || placed) && city(words, i + 1)
}

/// A capitalised word, and after it no lower-case word other than `am`, `an der`, ...
fn city(words: &[&str], i: usize) -> bool {
    let Some(first) = words.get(i) else { return false };
    let name = clean(first);
    let capital = name.chars().next().is_some_and(char::is_uppercase);
    let letters = name.chars().filter(|c| c.is_alphabetic()).count() >= 2;
    let next = words.get(i + 1).map(|w| clean(w));
    let next_ok = next.is_none_or(|w| {
        !w.chars().next().is_some_and(char::is_lowercase) || CITY_JOINERS.contains(&w) || first.ends_with(',')
    });
    capital && letters && next_ok
}

/// `SW1A 1AA`, `M1 1AE`, `EC1A 1BB`.
fn uk_postcode(words: &[&str], i: usize) -> bool {
    let (Some(outward), Some(inward)) = (words.get(i), words.get(i + 1)) else { return false };
    let outward = outward.as_bytes();
    let inward = clean(inward).trim_end_matches('.').as_bytes();
    let letters = outward.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let outward_ok = (1..=2).contains(&letters)
        && (2..=4).contains(&outward.len())
        && outward.get(letters).is_some_and(u8::is_ascii_digit)
        && outward[letters..].iter().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    let inward_ok = inward.len() == 3
        && inward[0].is_ascii_digit()
        && inward[1].is_ascii_uppercase()
        && inward[2].is_ascii_uppercase();
    outward_ok && inward_ok
}

/// `Springfield, IL 62704`, `New York, NY 10001-1234`.
fn us_zip(words: &[&str], i: usize) -> bool {
    let (Some(prev), Some(state), Some(zip)) =
        (i.checked_sub(1).and_then(|p| words.get(p)), words.get(i), words.get(i + 1))
    else {
        return false;
    };
    let zip = clean(zip).trim_end_matches('.');
    let (five, plus4) = zip.split_once('-').unwrap_or((zip, ""));
    let zip_ok = five.len() == 5
        && five.bytes().all(|b| b.is_ascii_digit())
        && (plus4.is_empty() || (plus4.len() == 4 && plus4.bytes().all(|b| b.is_ascii_digit())));
    prev.ends_with(',') && US_STATES.contains(state) && zip_ok
}

/// `Postfach 10 20 30`, `PO Box 123`, `P.O. Box 123`.
fn po_box(words: &[&str], i: usize) -> bool {
    let Some(word) = words.get(i) else { return false };
    let digits = |w: Option<&&str>| w.is_some_and(|w| clean(w).bytes().all(|b| b.is_ascii_digit()) && !w.is_empty());
    let folded = fold(word);
    match folded.as_str() {
        "postfach" => digits(words.get(i + 1)),
        "po" | "p.o." => words.get(i + 1).is_some_and(|w| fold(w) == "box") && digits(words.get(i + 2)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let yes = [
            "Beispiel GmbH, Hauptstraße 1, 10115 Berlin",
            "Beispiel GmbH · Hauptstr. 12a · Berlin",
            "Karl-Marx-Allee 5",
            "Berliner Straße 5",
            "10115 Berlin",
            "Beispiel GmbH, D-10115 Berlin",
            "Musterweg 3 60311 Frankfurt am Main",
            "Beispiel GmbH | 1010 Wien",
            "CH-8001 Zürich",
            "Example Ltd, 10 Downing Street, London SW1A 2AA",
            "Example Inc., 123 Main Street",
            "Example Inc., Springfield, IL 62704",
            "Postfach 10 20 30",
            "P.O. Box 1234, Austin",
        ];
        for text in yes {
            assert!(has_postal_address(text), "{text:?}");
        }
        let no = [
            "Über 10000 Kunden vertrauen uns",
            "10000 Kunden vertrauen uns",
            "Sommer 2026 Kollektion",
            "2026 Neue Kollektion",
            "Platz 1 der Charts",
            "Jetzt 20 Prozent sparen",
            "Beispiel GmbH",
            "Wir sind für Sie da.",
            "Spring 2026",
            "NY 10001",
        ];
        for text in no {
            assert!(!has_postal_address(text), "{text:?}");
        }
    }
}

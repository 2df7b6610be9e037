//! Finds offer deadlines that have already passed: "gültig bis 01.10.2026", "nur bis 30. September
//! 2026", "Angebot endet am 1.10.2026", "valid until 1 October 2026", "offer ends Oct 1, 2026",
//! "until 2026-10-01", "expires on 10/01/2026".
//!
//! Only a date right after a deadline word counts (a few filler words like "zum", "am", "on" or a
//! weekday may stand between), so "Ihre Bestellung vom 01.10.2026" or "seit 2019" never do.
//! A past-tense verb just before ("lief bis", "was valid until") reports an offer that ended.
//! `10/01/2026` may be US (October 1) or British (10 January): it counts only when both readings
//! have passed. A date without a year ("bis 30.09.") counts only when it passed at most
//! [`YEARLESS_DAYS`] days ago this year: later than that, the writer more likely meant next year.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};

use super::text::{Phrases, fold, words_before};

/// How long ago a date without a year may have passed and still be taken as this year's.
pub(crate) const YEARLESS_DAYS: i64 = 90;

/// Words after which a date is a deadline.
static DEADLINE: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "bis",
        "endet",
        "enden",
        "verfällt",
        "spätestens",
        "einsendeschluss",
        "anmeldeschluss",
        "teilnahmeschluss",
        "bewerbungsschluss",
        "frist",
        "deadline",
        "until",
        "till",
        "valid through",
        "valid thru",
        "runs through",
        "ends",
        "ending",
        "expires",
        "expire",
        "expiring",
        "expiry",
        "expiration",
    ])
});

/// Past-tense verbs shortly before the deadline word: the text reports an offer that ended
/// ("Die Aktion lief bis zum 01.10.2026", "the sale ran until 1 October 2026").
const PAST_TENSE: &[&str] = &[
    "lief", "liefen", "war", "waren", "galt", "galten", "konnte", "konnten", "hatte", "hatten", "ran", "was", "were",
    "could", "had", "lasted",
];

/// Words that may stand between the deadline word and the date.
const FILLERS: &[&str] = &[
    "zum",
    "am",
    "einschließlich",
    "inkl",
    "inklusive",
    "den",
    "ist",
    "on",
    "the",
    "is",
    "date",
    "datum",
    "at",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mo",
    "di",
    "mi",
    "do",
    "fr",
    "sa",
    "so",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
];

const MONTHS: &[(&str, u32)] = &[
    ("januar", 1),
    ("jänner", 1),
    ("january", 1),
    ("jan", 1),
    ("februar", 2),
    ("february", 2),
    ("feb", 2),
    ("märz", 3),
    ("maerz", 3),
    ("march", 3),
    ("mär", 3),
    ("mrz", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("mai", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("jun", 6),
    ("juli", 7),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("oktober", 10),
    ("october", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("dezember", 12),
    ("december", 12),
    ("dez", 12),
    ("dec", 12),
];

/// A past deadline in `line`: the deadline word and date as written.
pub(crate) fn past_deadline(line: &str, today: NaiveDate) -> Option<&str> {
    DEADLINE.find(line).find_map(|(_, start, end)| {
        if words_before(line, start, 4).iter().any(|w| PAST_TENSE.contains(&w.as_str())) {
            return None;
        }
        let rest = skip_fillers(line.get(end..)?);
        let date_start = line.len() - rest.len();
        let (readings, len) = date_at(rest)?;
        let past = !readings.is_empty() && readings.iter().all(|d| d.has_passed(today));
        past.then(|| line.get(start..date_start + len)).flatten()
    })
}

/// `rest` after white space, punctuation and up to three filler words.
fn skip_fillers(mut rest: &str) -> &str {
    for _ in 0..4 {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || ":,-–".contains(c));
        let word: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
        if word.is_empty() || !FILLERS.contains(&fold(&word).as_str()) {
            break;
        }
        rest = &rest[word.len()..];
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    rest
}

/// A date, possibly without its year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Full(NaiveDate),
    Yearless { month: u32, day: u32 },
}

impl Reading {
    fn new(year: Option<i32>, month: u32, day: u32) -> Option<Self> {
        match year {
            Some(y) => NaiveDate::from_ymd_opt(y, month, day).map(Self::Full),
            // Check day and month against a leap year, so 29 February is a date.
            None => NaiveDate::from_ymd_opt(2024, month, day).map(|_| Self::Yearless { month, day }),
        }
    }

    fn has_passed(self, today: NaiveDate) -> bool {
        match self {
            Self::Full(date) => date < today,
            Self::Yearless { month, day } => NaiveDate::from_ymd_opt(today.year(), month, day)
                .is_some_and(|date| date < today && (today - date).num_days() <= YEARLESS_DAYS),
        }
    }
}

/// The date at the start of `s`: its possible readings and its length.
fn date_at(s: &str) -> Option<(Vec<Reading>, usize)> {
    let mut p = Scan::new(s);
    if let Some(first) = p.number(4) {
        return numeric_date(&mut p, first).map(|r| (r, p.pos));
    }
    // `October 1, 2026`, `Oct. 1st 2026`.
    let month = p.month()?;
    p.skip(". ");
    let day = p.number(2)?;
    p.ordinal();
    let year = p.year_after(", ");
    Reading::new(year, month, day).map(|r| (vec![r], p.pos))
}

/// A date that starts with a number: `01.10.2026`, `1.10.`, `30. September 2026`, `1st Oct 2026`,
/// `2026-10-01`, `10/01/2026`.
fn numeric_date(p: &mut Scan, first: u32) -> Option<Vec<Reading>> {
    let digits = p.last_len;
    if digits == 4 {
        // ISO 8601.
        p.char('-')?;
        let month = p.number(2)?;
        p.char('-')?;
        let day = p.number(2)?;
        return Reading::new(i32::try_from(first).ok(), month, day).map(|r| vec![r]);
    }
    if p.char('/').is_some() {
        let second = p.number(2)?;
        p.char('/')?;
        let year = p.full_year()?;
        let us = Reading::new(Some(year), first, second);
        let british = Reading::new(Some(year), second, first);
        return Some(us.into_iter().chain(british).collect());
    }
    let dotted = p.char('.').is_some();
    if dotted && let Some(month) = p.number(2) {
        // `01.10.2026`, `1.10.26`, `30.09.`
        p.char('.')?;
        let year = p.number(4).and_then(|y| match p.last_len {
            2 => i32::try_from(2000 + y).ok(),
            4 => i32::try_from(y).ok(),
            _ => None,
        });
        if year.is_none() && p.rest().starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        return Reading::new(year, month, first).map(|r| vec![r]);
    }
    // `30. September 2026`, `1st October 2026`, `1 Oct 2026`.
    if !dotted {
        p.ordinal();
    }
    p.skip(" ");
    let month = p.month()?;
    let year = p.year_after(". ,");
    Reading::new(year, month, first).map(|r| vec![r])
}

/// A cursor over the date text.
struct Scan<'a> {
    s: &'a str,
    pos: usize,
    /// Digits of the last number read.
    last_len: usize,
}

impl<'a> Scan<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, pos: 0, last_len: 0 }
    }

    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or_default()
    }

    /// A number of 1 to `max` digits, not followed by another digit.
    fn number(&mut self, max: usize) -> Option<u32> {
        let digits = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > max {
            return None;
        }
        let n = self.rest().get(..digits)?.parse().ok()?;
        self.pos += digits;
        self.last_len = digits;
        Some(n)
    }

    fn char(&mut self, c: char) -> Option<()> {
        self.rest().starts_with(c).then(|| self.pos += c.len_utf8())
    }

    fn skip(&mut self, chars: &str) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches(|c: char| chars.contains(c)).len();
    }

    fn ordinal(&mut self) {
        let rest = fold(&self.rest().chars().take(3).collect::<String>());
        if let Some(suffix) = ["st", "nd", "rd", "th"].iter().find(|s| rest.starts_with(*s)) {
            let glued = rest.get(suffix.len()..).and_then(|r| r.chars().next()).is_some_and(char::is_alphanumeric);
            if !glued {
                self.pos += suffix.len();
            }
        }
    }

    /// A month name or its abbreviation (with an optional dot), as a whole word.
    fn month(&mut self) -> Option<u32> {
        let word: String = self.rest().chars().take_while(|c| c.is_alphabetic()).collect();
        let folded = fold(&word);
        let &(_, month) = MONTHS.iter().find(|(name, _)| *name == folded)?;
        self.pos += word.len();
        self.char('.');
        Some(month)
    }

    /// A four-digit year after some separators; the position stays when there is none.
    fn year_after(&mut self, separators: &str) -> Option<i32> {
        let start = self.pos;
        self.skip(separators);
        match self.full_year() {
            Some(y) => Some(y),
            None => {
                self.pos = start;
                None
            }
        }
    }

    fn full_year(&mut self) -> Option<i32> {
        let start = self.pos;
        let year = self.number(4).filter(|_| self.last_len == 4).and_then(|y| i32::try_from(y).ok());
        if year.is_none() {
            self.pos = start;
        }
        year.filter(|y| (1900..=2200).contains(y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, 15).unwrap()
    }

    #[test]
    fn past_deadlines() {
        let cases = [
            ("Gutschein gültig bis 01.10.2026.", "bis 01.10.2026"),
            ("Nur bis zum 1.10.2026!", "bis zum 1.10.2026"),
            ("Nur bis 30. September 2026", "bis 30. September 2026"),
            ("Das Angebot endet am 1.10.26", "endet am 1.10.26"),
            ("Valid until 1 October 2026.", "until 1 October 2026"),
            ("valid through 10/01/2026", "valid through 10/01/2026"),
            ("Offer ends 1st Oct 2026", "ends 1st Oct 2026"),
            ("Offer ends October 1, 2026", "ends October 1, 2026"),
            ("until 2026-10-01", "until 2026-10-01"),
            ("The code expires on Sunday, 4 October 2026", "expires on Sunday, 4 October 2026"),
            ("Einsendeschluss: 30.09.", "Einsendeschluss: 30.09."),
            ("GÜLTIG BIS 14.10.2026", "BIS 14.10.2026"),
        ];
        for (line, want) in cases {
            assert_eq!(past_deadline(line, today()), Some(want), "{line:?}");
        }
    }

    #[test]
    fn other_dates_are_not_deadlines() {
        let lines = [
            "Ihre Bestellung vom 01.10.2026",
            "Kunde seit 2019",
            "Gültig bis 31.10.2026",
            "Gültig bis 15.10.2026",
            "valid until 10/31/2026",
            // 10 November (US) has not passed, 11 October (British) has: not both.
            "valid until 11/10/2026",
            "Die Aktion endete am 01.10.2026, hier die Gewinner.",
            "Die Aktion lief bis zum 01.10.2026.",
            "Das Angebot war bis 01.10.2026 gültig.",
            "The sale ran until 1 October 2026 and was a success.",
            "Sie konnten bis zum 1.10.2026 teilnehmen.",
            "gültig ab 01.01.2020",
            "von 10 bis 12 Uhr am 01.10.2026",
            "bis 31.02.2026",
            "bis 30.09.20261",
            // Without a year, long past: meant for next year.
            "bis 05.01.",
            "Version 2.10 bis 3.5 Prozent",
            "bis Mai",
            "until 2026",
        ];
        for line in lines {
            assert_eq!(past_deadline(line, today()), None, "{line:?}");
        }
    }
}

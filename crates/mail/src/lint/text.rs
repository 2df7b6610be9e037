//! Reading prose: whole-word phrase matching, and the rules that look for words in the text
//! (greetings without a name, mentions of an attachment, unsubscribe wording).

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use super::merge;

/// `s` in lower case, byte for byte: a character whose lower case has another UTF-8 length stays as
/// it is, so positions found in the folded text are positions in `s`.
pub(crate) fn fold(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) if l.len_utf8() == c.len_utf8() => l,
                _ => c,
            }
        })
        .collect()
}

/// True when `s[start..end]` is not glued to a letter or digit on either side.
pub(crate) fn bounded(s: &str, start: usize, end: usize) -> bool {
    let before = s.get(..start).and_then(|b| b.chars().next_back());
    let after = s.get(end..).and_then(|a| a.chars().next());
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// A list of lower-case phrases, found as whole words, ignoring case.
pub(crate) struct Phrases {
    automaton: Option<AhoCorasick>,
}

impl Phrases {
    pub fn new(phrases: &[&str]) -> Self {
        // Building only fails for automatons far larger than these word lists.
        let automaton = AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(phrases).ok();
        Self { automaton }
    }

    /// `(phrase index, start, end)` of each whole-word match in `s`, left to right.
    pub fn find<'a>(&'a self, s: &'a str) -> impl Iterator<Item = (usize, usize, usize)> + 'a {
        let folded = fold(s);
        let found: Vec<_> = self
            .automaton
            .iter()
            .flat_map(|a| a.find_iter(&folded))
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .filter(|&(_, start, end)| bounded(&folded, start, end))
            .collect();
        found.into_iter()
    }

    /// Like [`Phrases::find`], but also inside longer words (`Newsletter-Abmeldung`, `abmeldelink`).
    pub fn contained_in(&self, s: &str) -> bool {
        let folded = fold(s);
        self.automaton.as_ref().is_some_and(|a| a.is_match(&folded))
    }
}

/// Up to `n` words before position `end` in `s`, nearest first, in lower case.
pub(crate) fn words_before(s: &str, end: usize, n: usize) -> Vec<String> {
    let head = s.get(..end).unwrap_or_default();
    // Three words fit in 60 bytes; looking further would make long lines quadratic.
    let start = head.char_indices().rev().nth(60).map_or(0, |(i, _)| i);
    let head = &head[start..];
    head.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty()).rev().take(n).map(fold).collect()
}

/// The first word at or after `from`, in lower case.
fn next_word(s: &str, from: usize) -> String {
    let tail = s.get(from..).unwrap_or_default();
    let tail = &tail[..merge::window_end(tail, 40)];
    tail.split(|c: char| !c.is_alphanumeric()).find(|w| !w.is_empty()).map(fold).unwrap_or_default()
}

/// Words that say unsubscribing, in German and English. Found inside longer words too.
static UNSUBSCRIBE_WORDS: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&[
        "unsubscribe",
        "abmelden",
        "abzumelden",
        "abmeldung",
        "abmeldelink",
        "austragen",
        "auszutragen",
        "abbestellen",
        "abzubestellen",
        "opt out",
        "opt-out",
        "optout",
    ])
});

/// Pieces of unsubscribe URLs.
static UNSUBSCRIBE_URL: LazyLock<Phrases> = LazyLock::new(|| {
    Phrases::new(&["unsubscribe", "unsub", "abmeld", "abbestell", "austragen", "optout", "opt-out", "opt_out"])
});

pub(crate) fn says_unsubscribe(s: &str) -> bool {
    UNSUBSCRIBE_WORDS.contained_in(s)
}

pub(crate) fn is_unsubscribe_url(url: &str) -> bool {
    UNSUBSCRIBE_URL.contained_in(url)
}

/// Greetings that are complete on their own: `Hallo,` is fine, `Hallo ,` lost a name.
const GREETINGS: &[&str] = &[
    "hallo",
    "hi",
    "hey",
    "hello",
    "moin",
    "servus",
    "hej",
    "grüezi",
    "grüß gott",
    "guten tag",
    "guten morgen",
    "guten abend",
    "good morning",
    "good afternoon",
    "good evening",
    "willkommen",
    "herzlich willkommen",
    "welcome",
];

/// Greetings that need a name after them: `Dear,` and `Liebe,` lost one even without a space.
const OPEN_GREETINGS: &[&str] = &["dear", "liebe", "lieber", "liebes", "sehr geehrte", "sehr geehrter"];

/// Titles that need a name after them: `Hallo Frau ,`, `Dear Mr.,`.
const TITLES: &[&str] = &["frau", "herr", "mr", "mrs", "ms", "miss", "dr", "prof"];

static GREETING: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(&[GREETINGS, OPEN_GREETINGS].concat()));

/// A greeting at the start of `line` whose name came out empty (`Hallo ,`, `Dear ,`, `Liebe ,`,
/// `Sehr geehrte Frau ,`, `Hello !`); returns the greeting as written.
pub(crate) fn empty_greeting(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    let offset = line.len() - trimmed.len();
    let (pattern, start, end) = GREETING.find(trimmed).next()?;
    if start != 0 {
        return None;
    }
    let mut open = pattern >= GREETINGS.len();
    let mut rest = trimmed.get(end..)?;
    // A title: `Frau`, `Herr`, `Mr.`.
    let after_space = rest.trim_start();
    let word: String = after_space.chars().take_while(|c| c.is_alphabetic()).collect();
    if !word.is_empty() && TITLES.contains(&fold(&word).as_str()) {
        open = true;
        let tail = after_space.get(word.len()..)?;
        rest = tail.strip_prefix('.').unwrap_or(tail);
    }
    let punctuation = rest.trim_start();
    let spaced = punctuation.len() < rest.len();
    if !punctuation.starts_with([',', '!']) || !(spaced || open) {
        return None;
    }
    let greeting_end = offset + trimmed.len() - punctuation.len() + 1;
    line.get(offset..greeting_end)
}

/// Phrases that say a file is attached. Bare `Anhang` also means followers or relatives, and
/// `Anlage` an investment or a plant, so those count only in their attachment phrases.
const ATTACHMENT: &[&str] = &[
    "im anhang",
    "als anhang",
    "siehe anhang",
    "dateianhang",
    "anbei",
    "beigefügt",
    "beigefügte",
    "beigefügten",
    "beiliegend",
    "beiliegende",
    "beiliegenden",
    "angehängt",
    "angehängte",
    "angehängten",
    "in der anlage finden",
    "in der anlage erhalten",
    "attached",
    "attachment",
    "attachments",
    "please find enclosed",
    "find enclosed",
    "enclosed please find",
    "enclosed you will find",
    "enclosed you'll find",
    "have enclosed",
    "i've enclosed",
    "we've enclosed",
    "enclosed is",
    "enclosed are",
];

static ATTACHMENT_PHRASES: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(ATTACHMENT));

/// Words that, among the three before a mention, say there is no attachment (`no strings attached`,
/// `ohne Anhang`, `keine Anhänge`, `no attachment needed`).
const NEGATIONS: &[&str] =
    &["no", "not", "without", "never", "kein", "keine", "keinen", "keinem", "ohne", "nicht", "nie"];

/// The first phrase in `line` that says something is attached, as written.
pub(crate) fn attachment_mention(line: &str) -> Option<&str> {
    ATTACHMENT_PHRASES.find(line).find_map(|(pattern, start, end)| {
        let phrase = ATTACHMENT.get(pattern).copied().unwrap_or_default();
        if words_before(line, start, 3).iter().any(|w| NEGATIONS.contains(&w.as_str())) {
            return None;
        }
        // `attached to our customers`, `attachment to the brand`: affection, not a file; but
        // `attached to this email` is a file.
        if phrase.starts_with("attach") && next_word(line, end) == "to" {
            let tail = line.get(end..).unwrap_or_default();
            let after_to = fold(&tail[..merge::window_end(tail, 40)]);
            let file = ["this", "the", "my", "our"].iter().any(|d| {
                ["email", "e-mail", "mail", "message"]
                    .iter()
                    .any(|m| after_to.trim_start().starts_with(&format!("to {d} {m}")))
            });
            if !file {
                return None;
            }
        }
        line.get(start..end)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_positions() {
        assert_eq!(fold("GÜLTIG Bis"), "gültig bis");
        // `İ` lower-cases to two characters: it stays, so the length does not change.
        assert_eq!(fold("İx").len(), "İx".len());
    }

    #[test]
    fn greetings() {
        for line in ["Hallo ,", "Hallo  , schön", "Hi ,", "Dear ,", "Dear,", "Liebe ,", "Lieber,", "Guten Tag ,"] {
            assert!(empty_greeting(line).is_some(), "{line:?}");
        }
        for line in ["Sehr geehrte Frau ,", "Sehr geehrter Herr,", "Hello !", "  Hallo Frau ,", "Dear Mr.,"] {
            assert!(empty_greeting(line).is_some(), "{line:?}");
        }
        let ok = [
            "Hallo,",
            "Hallo zusammen,",
            "Hi Anna,",
            "Liebe Grüße,",
            "Sehr geehrte Damen und Herren,",
            "Hello!",
            "Hey!",
            "Dear Customer,",
            "Hallo Frau Müller,",
            "Hintergrund ,",
            "Das ist Hallo ,",
            "Herzliche Grüße",
        ];
        for line in ok {
            assert_eq!(empty_greeting(line), None, "{line:?}");
        }
        assert_eq!(empty_greeting("  Sehr geehrte Frau , wir"), Some("Sehr geehrte Frau ,"));
    }

    #[test]
    fn attachments() {
        let yes = [
            ("Die Rechnung finden Sie im Anhang.", "im Anhang"),
            ("Anbei die Unterlagen", "Anbei"),
            ("Das beigefügte PDF", "beigefügte"),
            ("Please find attached our price list", "attached"),
            ("The attachment contains", "attachment"),
            ("See the file attached to this email.", "attached"),
            ("Please find enclosed the brochure", "Please find enclosed"),
        ];
        for (line, want) in yes {
            assert_eq!(attachment_mention(line), Some(want), "{line:?}");
        }
        let no = [
            "Neue Anhänger für Ihr Fahrrad",
            "Die Fische anbeißen lassen",
            "No strings attached!",
            "No attachment needed: just click.",
            "Ganz ohne Anhang",
            "We are attached to our customers",
            "Our attachment to the region",
            "A detached house with garden",
            "Der Verein und sein Anhang",
            "Gold als Anlage",
            "an enclosed terrace",
        ];
        for line in no {
            assert_eq!(attachment_mention(line), None, "{line:?}");
        }
    }

    #[test]
    fn unsubscribe_words() {
        for s in ["Newsletter abbestellen", "Hier abmelden", "Zur Newsletter-Abmeldung", "Unsubscribe", "opt-out"] {
            assert!(says_unsubscribe(s), "{s:?}");
        }
        for s in ["Jetzt anmelden", "Subscribe now", "Mehr erfahren"] {
            assert!(!says_unsubscribe(s), "{s:?}");
        }
        assert!(is_unsubscribe_url("https://shop.de/newsletter/abmelden?t=1"));
        assert!(!is_unsubscribe_url("https://shop.de/angebote"));
    }
}

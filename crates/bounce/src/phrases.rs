//! The phrase tables of the reason classifier (in `phrase_tables.rs`). Order matters: the first
//! reason with a matching phrase wins, so specific phrases come before general ones (a sender
//! rejection before "address rejected", a rate limit before "blocked").
//!
//! Every phrase of every table (and the masks) is in one automaton, so a text is read once
//! whatever the number of phrases. The build script compiles it (see `build.rs`): a
//! deterministic Aho-Corasick automaton over byte classes, as arrays of numbers in the binary.

use crate::reason::Reason;

/// The tables as the classifier reads them.
macro_rules! phrase_tables {
    (masks: [$($mask:literal),* $(,)?], tables: [$( (Reason::$reason:ident, &[$($phrase:literal),* $(,)?] $(,)?) ),* $(,)?]) => {
        /// Boilerplate around a remote server's words; phrases inside it do not count.
        #[cfg(test)]
        const MASKS: &[&str] = &[$($mask),*];
        /// Per table: the reason, and its phrases.
        pub(crate) const PHRASES: &[(Reason, &[&str])] = &[$((Reason::$reason, &[$($phrase),*])),*];
    };
}

include!("phrase_tables.rs");

// CLASSES, CLASS_COUNT, STATE_COUNT, PATTERN_LENGTHS, PATTERN_TABLES, TRANSITIONS, MATCH_STARTS,
// MATCHES (written by build.rs).
include!(concat!(env!("OUT_DIR"), "/phrase_automaton.rs"));

fn u16_at(bytes: &[u8], i: usize) -> usize {
    usize::from(u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]))
}

fn u32_at(bytes: &[u8], i: usize) -> usize {
    u32::from_le_bytes([bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]]) as usize
}

/// Every occurrence of every pattern in `text`, overlapping ones included, in order of their
/// end: (pattern, start, end).
fn occurrences(text: &[u8], mut found: impl FnMut(usize, usize, usize)) {
    let mut state = 0usize;
    for (i, &b) in text.iter().enumerate() {
        state = u16_at(&TRANSITIONS, state * CLASS_COUNT + usize::from(CLASSES[usize::from(b)]));
        let (first, last) = (u32_at(&MATCH_STARTS, state), u32_at(&MATCH_STARTS, state + 1));
        for m in first..last {
            let pattern = u16_at(&MATCHES, m);
            found(pattern, i + 1 - usize::from(PATTERN_LENGTHS[pattern]), i + 1);
        }
    }
}

/// The reason of the first table with a phrase in `text` (lower-cased,
/// whitespace collapsed), outside the masks.
pub(crate) fn first_reason(text: &str) -> Option<Reason> {
    let bytes = text.as_bytes();
    let mut masks: Vec<(usize, usize)> = Vec::new();
    let mut hits: Vec<(usize, usize, usize)> = Vec::new();
    occurrences(bytes, |pattern, start, end| match PATTERN_TABLES[pattern] {
        u16::MAX => masks.push((start, end)),
        table => {
            // Short phrases must not match inside a longer word ("rbl" in "herblock", "uce" in
            // "reduce"), nor inside an address ("rbl" in "contact@rbl.example.org: Network error").
            let word = PATTERN_LENGTHS[pattern] <= 6;
            let alone = !word
                || (start == 0 || !bytes[start - 1].is_ascii_alphanumeric())
                    && (end >= bytes.len() || !bytes[end].is_ascii_alphanumeric())
                    && !in_address(bytes, start, end);
            if alone {
                hits.push((start, end, usize::from(table)));
            }
        }
    });
    // A hit is masked when a mask that starts at or before it reaches to its end: one sweep over
    // both in order of their start, keeping the furthest end of the masks begun so far (a text
    // with thousands of masks and hits is read in linear time, not masks times hits).
    masks.sort_unstable();
    hits.sort_unstable();
    let (mut next_mask, mut reach) = (0, None);
    let mut best: Option<usize> = None;
    for &(start, end, table) in &hits {
        while let Some(&(_, mask_end)) = masks.get(next_mask).filter(|(mask_start, _)| *mask_start <= start) {
            reach = reach.max(Some(mask_end));
            next_mask += 1;
        }
        if reach.is_none_or(|r| r < end) {
            best = Some(best.map_or(table, |b| b.min(table)));
        }
    }
    best.map(|table| PHRASES[table].0)
}

/// `text[start..end]` is part of an email address: the run of characters of addresses around it
/// (ASCII letters, digits, `.`, `-`, `_`, `+`, `=`, `%` and `@`; at most 100 bytes either way) has
/// an `@` ("contact@rbl.example.org"; not "hanako@isp.example.jpへのメールはspam...", nor
/// "rcpt=gina@example.net/SPAM").
fn in_address(text: &[u8], start: usize, end: usize) -> bool {
    const LIMIT: usize = 100;
    let in_addresses = |b: &&u8| b.is_ascii_alphanumeric() || b"@.-_+=%".contains(*b);
    let before = &text[start.saturating_sub(LIMIT)..start];
    let after = &text[end..text.len().min(end + LIMIT)];
    let left = before.iter().rev().take_while(in_addresses);
    let right = after.iter().take_while(in_addresses);
    left.chain(right).any(|&b| b == b'@')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The patterns in the automaton's numbering: masks, then the tables' phrases in order.
    fn patterns() -> Vec<(&'static str, u16)> {
        let mut out: Vec<(&str, u16)> = MASKS.iter().map(|m| (*m, u16::MAX)).collect();
        for (table, (_, phrases)) in PHRASES.iter().enumerate() {
            out.extend(phrases.iter().map(|p| (*p, table as u16)));
        }
        out
    }

    #[test]
    fn the_automaton_is_built_from_these_tables() {
        let patterns = patterns();
        assert_eq!(PATTERN_LENGTHS.len(), patterns.len());
        for (i, (p, table)) in patterns.iter().enumerate() {
            assert_eq!(usize::from(PATTERN_LENGTHS[i]), p.len(), "{p}");
            assert_eq!(PATTERN_TABLES[i], *table, "{p}");
        }
        assert_eq!(TRANSITIONS.len(), 2 * STATE_COUNT * CLASS_COUNT);
        assert_eq!(MATCH_STARTS.len(), 4 * (STATE_COUNT + 1));
    }

    /// Every occurrence, found the slow way.
    fn naive(text: &str) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (n, (p, _)) in patterns().iter().enumerate() {
            let mut from = 0;
            while let Some(at) = text[from..].find(p) {
                out.push((n, from + at, from + at + p.len()));
                from += at + p[..].chars().next().map_or(1, char::len_utf8);
            }
        }
        out.sort();
        out
    }

    #[test]
    fn occurrences_are_those_a_plain_search_finds() {
        let mut texts: Vec<String> = vec![
            String::new(),
            "550 5.1.1 user unknown; mailbox full; quota exceeded".into(),
            // Overlapping phrases, a mask around a phrase, a phrase at both ends.
            "unknown address error: user unknown. on hold".into(),
            "rejected by the recipient domain: spam detected, blocked".into(),
            "wasn\u{2019}t found at über straße".into(),
        ];
        // Every phrase on its own, inside a longer text, and each table's phrases run together.
        for (table, (_, phrases)) in PHRASES.iter().enumerate() {
            texts.push(phrases.join(""));
            texts.push(format!("x{}y {}", phrases[0], table));
            texts.extend(phrases.iter().map(|p| p.to_string()));
        }
        for text in &texts {
            let mut found = Vec::new();
            occurrences(text.as_bytes(), |p, s, e| found.push((p, s, e)));
            found.sort();
            assert_eq!(found, naive(text), "{text:?}");
        }
    }
}

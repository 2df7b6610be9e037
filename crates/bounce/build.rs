//! Compiles the phrase tables (`src/phrase_tables.rs`) into an Aho-Corasick automaton with its
//! failure links folded into the transitions, stored as plain arrays of numbers. Building the
//! automaton at run time took about 1.1 ms, which every `kurier bounce classify` paid before its
//! first bounce; as data in the binary it costs nothing, needs no relocation, and a text is read
//! with one table lookup per byte. `src/phrases.rs` reads the arrays.
//!
//! Output (in `OUT_DIR`): `phrase_automaton.rs` with the byte classes, the pattern lengths and
//! tables, and the sizes; `phrase_transitions.bin` (u16 little endian: state × class → state),
//! `phrase_match_starts.bin` (u32: where each state's matches start in the next file) and
//! `phrase_matches.bin` (u16: pattern numbers).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::path::Path;

/// The build script's reading of the tables: the reason's name instead of the reason.
macro_rules! phrase_tables {
    (masks: [$($mask:literal),* $(,)?], tables: [$( (Reason::$reason:ident, &[$($phrase:literal),* $(,)?] $(,)?) ),* $(,)?]) => {
        const MASKS: &[&str] = &[$($mask),*];
        const PHRASES: &[(&str, &[&str])] = &[$((stringify!($reason), &[$($phrase),*])),*];
    };
}

include!("src/phrase_tables.rs");

/// Patterns are numbered masks first, then every table's phrases in order. Per pattern: its bytes
/// and its table (`u16::MAX` for a mask).
fn patterns() -> Vec<(&'static [u8], u16)> {
    let mut out: Vec<(&'static [u8], u16)> = MASKS.iter().map(|m| (m.as_bytes(), u16::MAX)).collect();
    for (table, (_, phrases)) in PHRASES.iter().enumerate() {
        let table = u16::try_from(table).expect("fewer than 65,535 tables");
        out.extend(phrases.iter().map(|p| (p.as_bytes(), table)));
    }
    out
}

struct Automaton {
    /// Byte → class; class 0 is every byte that occurs in no pattern.
    classes: [u8; 256],
    class_count: usize,
    /// `transitions[state * class_count + class]`.
    transitions: Vec<u16>,
    /// The patterns that end in each state (its own and those of its failure chain).
    matches: Vec<Vec<u16>>,
}

fn build(patterns: &[(&[u8], u16)]) -> Automaton {
    let mut classes = [0u8; 256];
    let mut class_count = 1usize;
    for (bytes, _) in patterns {
        for &b in *bytes {
            if classes[b as usize] == 0 {
                classes[b as usize] = u8::try_from(class_count).expect("at most 255 byte classes");
                class_count += 1;
            }
        }
    }
    // The trie: `goto[state * class_count + class]`, 0 for none (the root is never a child).
    let mut goto: Vec<u32> = vec![0; class_count];
    let mut own: Vec<Vec<u16>> = vec![Vec::new()];
    for (number, (bytes, _)) in patterns.iter().enumerate() {
        assert!(!bytes.is_empty(), "an empty phrase would match everywhere");
        let mut state = 0usize;
        for &b in *bytes {
            let slot = state * class_count + classes[b as usize] as usize;
            if goto[slot] == 0 {
                goto[slot] = u32::try_from(own.len()).expect("fewer than 2^32 states");
                goto.extend(std::iter::repeat_n(0, class_count));
                own.push(Vec::new());
            }
            state = goto[slot] as usize;
        }
        own[state].push(u16::try_from(number).expect("fewer than 65,535 patterns"));
    }
    let states = own.len();
    assert!(states <= usize::from(u16::MAX), "the automaton needs u16 state numbers");
    // Breadth first: a state's failure state is shallower, so it is complete when it is read.
    let mut fail = vec![0usize; states];
    let mut matches: Vec<Vec<u16>> = own.clone();
    let mut transitions = vec![0u16; states * class_count];
    let mut queue = VecDeque::from([0usize]);
    while let Some(state) = queue.pop_front() {
        if state != 0 {
            let inherited = matches[fail[state]].clone();
            matches[state].extend(inherited);
        }
        for class in 0..class_count {
            let child = goto[state * class_count + class] as usize;
            let via_failure = if state == 0 { 0 } else { transitions[fail[state] * class_count + class] as usize };
            if child == 0 {
                transitions[state * class_count + class] = via_failure as u16;
            } else {
                transitions[state * class_count + class] = child as u16;
                fail[child] = via_failure;
                queue.push_back(child);
            }
        }
    }
    Automaton { classes, class_count, transitions, matches }
}

fn main() {
    println!("cargo::rerun-if-changed=src/phrase_tables.rs");
    println!("cargo::rerun-if-changed=build.rs");
    let patterns = patterns();
    let automaton = build(&patterns);
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out);

    let transitions: Vec<u8> = automaton.transitions.iter().flat_map(|t| t.to_le_bytes()).collect();
    let mut starts: Vec<u8> = Vec::new();
    let mut matches: Vec<u8> = Vec::new();
    let mut count = 0u32;
    for m in &automaton.matches {
        starts.extend(count.to_le_bytes());
        count += u32::try_from(m.len()).expect("fewer than 2^32 matches");
        matches.extend(m.iter().flat_map(|p| p.to_le_bytes()));
    }
    starts.extend(count.to_le_bytes());
    for (name, bytes) in [
        ("phrase_transitions.bin", &transitions),
        ("phrase_match_starts.bin", &starts),
        ("phrase_matches.bin", &matches),
    ] {
        std::fs::write(out.join(name), bytes).expect("OUT_DIR is writable");
    }

    let mut code = String::new();
    let list = |v: &mut String, items: &mut dyn Iterator<Item = String>| {
        for (i, item) in items.enumerate() {
            v.push_str(if i == 0 { "" } else { ", " });
            v.push_str(&item);
        }
    };
    code.push_str("/// Byte → class.\nconst CLASSES: [u8; 256] = [");
    list(&mut code, &mut automaton.classes.iter().map(u8::to_string));
    writeln!(code, "];\nconst CLASS_COUNT: usize = {};", automaton.class_count).unwrap();
    writeln!(code, "#[cfg(test)]\nconst STATE_COUNT: usize = {};", automaton.matches.len()).unwrap();
    code.push_str("/// Per pattern: its length in bytes.\nconst PATTERN_LENGTHS: [u16; ");
    write!(code, "{}] = [", patterns.len()).unwrap();
    list(&mut code, &mut patterns.iter().map(|(b, _)| b.len().to_string()));
    code.push_str("];\n/// Per pattern: its table (`u16::MAX` for a mask).\nconst PATTERN_TABLES: [u16; ");
    write!(code, "{}] = [", patterns.len()).unwrap();
    list(&mut code, &mut patterns.iter().map(|(_, t)| t.to_string()));
    code.push_str("];\n");
    for (name, file, len) in [
        ("TRANSITIONS", "phrase_transitions.bin", transitions.len()),
        ("MATCH_STARTS", "phrase_match_starts.bin", starts.len()),
        ("MATCHES", "phrase_matches.bin", matches.len()),
    ] {
        writeln!(code, "static {name}: [u8; {len}] = *include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{file}\"));")
            .unwrap();
    }
    std::fs::write(out.join("phrase_automaton.rs"), code).expect("OUT_DIR is writable");
}

//! The linter on arbitrary bytes, as `kurier lint FILE.eml` reads them: never a panic.
#![no_main]

use kurier_core::MessageKind;
use kurier_mail::lint::{LintOptions, lint_message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    silence_contained_panics();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
    for kind in [MessageKind::Marketing, MessageKind::Transactional] {
        let _ = lint_message(data, &LintOptions { kind, today });
    }
});

/// libfuzzer-sys aborts in its panic hook, before any `catch_unwind` runs, so a panic that the
/// crate contains (third-party parser bugs turned into errors) would count as a crash. With a quiet
/// hook a contained panic is just an error, and one that escapes still aborts in libfuzzer-sys's own
/// `catch_unwind` around the target.
fn silence_contained_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

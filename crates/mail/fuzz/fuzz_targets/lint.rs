//! The linter on arbitrary bytes, as `kurier lint FILE.eml` reads them: never a panic.
#![no_main]

use kurier_core::MessageKind;
use kurier_mail::lint::{LintOptions, lint_message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
    for kind in [MessageKind::Marketing, MessageKind::Transactional] {
        let _ = lint_message(data, &LintOptions { kind, today });
    }
});

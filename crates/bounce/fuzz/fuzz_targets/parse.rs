//! `kurier_bounce::parse` on arbitrary bytes: it must never panic.
//!
//! Run from `crates/bounce/fuzz` (cargo-fuzz; on a stable toolchain with
//! `RUSTC_BOOTSTRAP=1`), seeded with a copy of the bounce corpus made
//! outside the repository:
//!
//! ```sh
//! mkdir -p /tmp/fuzz-corpus && cp ../../../../shared/corpora/bounces/eml/*.eml /tmp/fuzz-corpus/
//! RUSTC_BOOTSTRAP=1 cargo fuzz run parse /tmp/fuzz-corpus -- -max_total_time=600
//! ```
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kurier_bounce::parse(data);
});

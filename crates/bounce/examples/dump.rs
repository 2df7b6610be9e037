//! Print the parse result of the given files, one line per recipient
//! (a debugging aid).
fn main() {
    for path in std::env::args().skip(1) {
        let raw = match std::fs::read(&path) {
            Ok(raw) => raw,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let report = kurier_bounce::parse(&raw);
        println!("{path}: {}", report.kind.as_str());
        for r in &report.recipients {
            println!(
                "  {:?} {:?} {:?} {} hard={} mta={:?}\n    diag={:?}",
                r.address, r.status, r.reply_code, r.reason, r.hard, r.remote_mta, r.diagnostic
            );
        }
    }
}

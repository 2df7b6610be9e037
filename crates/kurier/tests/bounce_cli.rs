//! `kurier bounce classify` over files, a directory, an mbox and unreadable input.

mod common;

use std::path::PathBuf;

use common::kurier;
use serde_json::Value;

fn corpus(name: &str) -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpora/bounces/eml")).join(name);
    assert!(p.exists(), "the bounce corpus must sit in ../shared beside the clone: {} is missing", p.display());
    p
}

fn rows(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[test]
fn classifies_files_directories_and_mbox_as_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(corpus("lhost-amazonses-05.eml"), dir.path().join("a.eml")).unwrap();
    std::fs::write(dir.path().join("plain.eml"), "From: a@example.org\r\nSubject: hello\r\n\r\njust a letter\r\n")
        .unwrap();
    // An mbox with two messages: a complaint and an auto-reply, the second with a quoted >From line.
    let mut mbox = b"From MAILER-DAEMON Sat Jan  1 00:00:00 2026\n".to_vec();
    mbox.extend(std::fs::read(corpus("arf-01.eml")).unwrap());
    mbox.extend(b"\nFrom MAILER-DAEMON Sat Jan  1 00:00:01 2026\n");
    mbox.extend(std::fs::read(corpus("rfc3834-01.eml")).unwrap());
    let mbox_path = dir.path().join("box.mbox");
    std::fs::write(&mbox_path, mbox).unwrap();
    std::fs::write(dir.path().join("garbage.bin"), [0xff, 0x00, 0xfe, b'\n', b':', 0x80]).unwrap();

    let out = kurier().args(["bounce", "classify", "--json"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = rows(&out.stdout);
    let by_file =
        |suffix: &str| rows.iter().filter(|r| r["file"].as_str().unwrap().ends_with(suffix)).collect::<Vec<_>>();

    let a = by_file("a.eml");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["kind"], "bounce");
    assert_eq!(a[0]["recipient"], "bounce@simulator.amazonses.com");
    assert_eq!(a[0]["status"], "5.1.1");
    assert_eq!(a[0]["reason"], "userunknown");
    assert_eq!(a[0]["hard"], true);

    let boxed = by_file("box.mbox");
    assert_eq!(boxed.len(), 2, "{boxed:?}");
    assert_eq!((boxed[0]["message"].as_u64(), boxed[0]["kind"].as_str()), (Some(1), Some("complaint")));
    assert_eq!(boxed[0]["feedback_type"], "abuse");
    assert_eq!((boxed[1]["message"].as_u64(), boxed[1]["kind"].as_str()), (Some(2), Some("auto_reply")));

    for name in ["plain.eml", "garbage.bin"] {
        let r = by_file(name);
        assert_eq!(r.len(), 1, "{name}");
        assert_eq!(r[0]["kind"], "not_bounce", "{name}");
    }
}

#[test]
fn unreadable_input_is_reported_and_the_run_goes_on() {
    let out = kurier()
        .args(["bounce", "classify", "--json", "/nonexistent/kurier-test.eml"])
        .arg(corpus("arf-01.eml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let rows = rows(&out.stdout);
    assert_eq!(rows[0]["kind"], "unreadable");
    assert_eq!(rows[1]["kind"], "complaint", "the next input is still read");
    let table = kurier().args(["bounce", "classify"]).arg(corpus("arf-01.eml")).output().unwrap();
    assert!(table.status.success());
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.lines().next().unwrap().starts_with("file") && text.contains("complaint"), "{text}");
}

#[test]
fn a_large_directory_is_read_in_parallel_and_printed_in_order() {
    // Enough files for the worker threads, and a link that leads nowhere among them.
    let dir = tempfile::tempdir().unwrap();
    let names = ["lhost-postfix-01.eml", "arf-01.eml", "rfc3834-01.eml", "lhost-exim-01.eml", "lhost-qmail-01.eml"];
    for i in 0..40 {
        std::fs::copy(corpus(names[i % names.len()]), dir.path().join(format!("m{i:02}.eml"))).unwrap();
    }
    std::os::unix::fs::symlink("/nonexistent/kurier-test.eml", dir.path().join("m20x.eml")).unwrap();

    let out = kurier().args(["bounce", "classify", "--json"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "one input could not be read");
    let all = rows(&out.stdout);
    let files: Vec<&str> = all.iter().map(|r| r["file"].as_str().unwrap()).collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted, "rows come in the order of the files");
    let unreadable: Vec<_> = all.iter().filter(|r| r["kind"] == "unreadable").collect();
    assert_eq!(unreadable.len(), 1);
    assert!(unreadable[0]["file"].as_str().unwrap().ends_with("m20x.eml"));
    // Two directories in one run: the same workers read both, each in its turn.
    let twice = kurier().args(["bounce", "classify", "--json"]).arg(dir.path()).arg(dir.path()).output().unwrap();
    let twice = rows(&twice.stdout);
    assert_eq!(twice.len(), 2 * all.len());
    assert_eq!(twice[..all.len()], all[..]);
    assert_eq!(twice[all.len()..], all[..]);
    // Each copy reads as the file it was copied from does on its own.
    for (i, name) in names.iter().enumerate() {
        let alone = kurier().args(["bounce", "classify", "--json"]).arg(corpus(name)).output().unwrap();
        let alone = rows(&alone.stdout);
        let copy = format!("m{i:02}.eml");
        let copies: Vec<_> = all.iter().filter(|r| r["file"].as_str().unwrap().ends_with(&copy)).collect();
        assert_eq!(copies.len(), alone.len(), "{name}");
        for (c, a) in copies.iter().zip(&alone) {
            for field in ["kind", "recipient", "status", "reason", "hard"] {
                assert_eq!(c[field], a[field], "{name} {field}");
            }
        }
    }
}

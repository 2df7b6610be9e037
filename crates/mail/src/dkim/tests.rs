//! DKIM: canonicalization known answers, key loading, the form of the signature field, and
//! verification of real signatures by mail-auth (the test keys' records served from memory, no
//! DNS). The negative tests (altered body, altered or added header fields, expiry) show that the
//! verification can fail. `dkimpy_verifies_signatures` has dkimpy, a second implementation,
//! check the same kinds of messages.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, SystemTime};

use chrono::{TimeZone as _, Utc};
use kurier_core::{EmailAddress, Language, MessageKey};
use mail_auth::DkimResult;

use super::canon::{relaxed_body, relaxed_header, split_header, to_crlf};
use super::testing::Records;
use super::*;
use crate::{Envelope, ListInfo, Recipient, SenderIdentity};

const RSA_PKCS1: &str = include_str!("../../tests/dkim/rsa2048-pkcs1.test-only.pem");
const RSA_PKCS8: &str = include_str!("../../tests/dkim/rsa2048-pkcs8.test-only.pem");
const RSA_PUBLIC: &str = include_str!("../../tests/dkim/rsa2048.test-only.pub.pem");
const RSA_1024: &str = include_str!("../../tests/dkim/rsa1024-too-small.test-only.pem");
const ED25519: &str = include_str!("../../tests/dkim/ed25519.test-only.pem");
const ED25519_PUBLIC: &str = include_str!("../../tests/dkim/ed25519.test-only.pub.pem");

const EMPTY_BODY_HASH: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

const PLAIN: &str = "From: Kurier <news@example.com>\r\n\
    To: anna@example.de\r\n\
    Subject: Hello  there,\r\n\tfolded\r\n\
    Date: Fri, 20 Nov 2026 10:00:00 +0000\r\n\
    Message-ID: <abc@mail.example.com>\r\n\
    MIME-Version: 1.0\r\n\
    Content-Type: text/plain; charset=utf-8\r\n\
    \r\n\
    Hello Anna,  \r\n\
    \r\n\
    this  is\ta test.\r\n\
    \r\n\
    \r\n";

fn rsa() -> DkimKey {
    DkimKey::rsa_from_pem("example.com", "rsa2026", RSA_PKCS1).unwrap()
}

fn ed25519() -> DkimKey {
    DkimKey::ed25519_from_pem("example.com", "ed2026", ED25519).unwrap()
}

fn now() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn sign(keys: Vec<DkimKey>, message: &[u8]) -> (Vec<u8>, Records) {
    let records = Records::new(&keys);
    let signed = DkimSigner::new(keys).unwrap().sign(message, now()).unwrap();
    (signed, records)
}

fn text(raw: &[u8]) -> &str {
    std::str::from_utf8(raw).unwrap()
}

/// The signature fields of a signed message, each unfolded (CRLF removed, the space kept).
fn signature_fields(raw: &[u8]) -> Vec<String> {
    let head = text(raw).split_once("\r\n\r\n").unwrap().0;
    head.replace("\r\n ", " ")
        .replace("\r\n\t", "\t")
        .lines()
        .filter_map(|l| l.strip_prefix("DKIM-Signature: ").map(str::to_string))
        .collect()
}

/// A tag's value with all whitespace removed.
fn tag(field: &str, name: &str) -> Option<String> {
    field.split(';').find_map(|t| {
        let (k, v) = t.split_once('=')?;
        (k.trim() == name).then(|| v.split_whitespace().collect())
    })
}

// ---- canonicalization -------------------------------------------------------------------------

fn canonical_body(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    relaxed_body(body, |piece| out.extend_from_slice(piece));
    out
}

fn body_hash(body: &[u8]) -> String {
    STANDARD.encode(digest::digest(&SHA256, &canonical_body(body)))
}

#[test]
fn relaxed_canonicalization_matches_rfc6376_example() {
    // RFC 6376 3.4.5.
    let message = b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";
    let (fields, body_start) = split_header(message).unwrap();
    let mut headers = Vec::new();
    for f in &fields {
        relaxed_header(f.name, f.value, &mut headers);
        headers.extend_from_slice(b"\r\n");
    }
    assert_eq!(text(&headers), "a:X\r\nb:Y Z\r\n");
    assert_eq!(text(&canonical_body(&message[body_start..])), " C\r\nD E\r\n");
}

#[test]
fn empty_body_hash_is_the_known_value() {
    for body in ["", "\r\n", "\r\n\r\n", " \r\n\t\r\n"] {
        assert_eq!(body_hash(body.as_bytes()), EMPTY_BODY_HASH, "{body:?}");
    }
}

#[test]
fn relaxed_body_keeps_inner_empty_lines_and_ends_with_crlf() {
    let cases = [
        ("abc", "abc\r\n"),
        ("a  b\t c \r\n\r\nd\r\n\r\n", "a b c\r\n\r\nd\r\n"),
        ("\tindented\r\n", " indented\r\n"),
        ("\r\n\r\nlate start", "\r\n\r\nlate start\r\n"),
        ("x \r\n   ", "x\r\n"),
        ("a b c d\r\n", "a b c d\r\n"),
        ("a \t\t b  c\t d \t\r\n", "a b c d\r\n"),
        (" \t x\r\n  \r\n\t\r\n", " x\r\n"),
        ("x\r\r\n", "x\r\r\n"),
    ];
    for (body, want) in cases {
        assert_eq!(text(&canonical_body(body.as_bytes())), want, "{body:?}");
    }
}

/// Relaxed body canonicalization the plain way, line by line, to compare the fast one with.
fn reference_body(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(body.to_vec()).unwrap();
    let mut lines: Vec<String> = text
        .split("\r\n")
        .map(|line| {
            let mut out = String::new();
            for (i, word) in line.trim_end_matches([' ', '\t']).split([' ', '\t']).enumerate() {
                if i > 0 && !out.ends_with(' ') {
                    out.push(' ');
                }
                out.push_str(word);
            }
            out
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.iter().flat_map(|l| [l.as_str(), "\r\n"]).collect::<String>().into_bytes()
}

#[test]
fn relaxed_body_matches_a_plain_reference_implementation() {
    let pieces = ["a", "bc", " ", "  ", "\t", " \t ", "\r\n", "\r\n\r\n", "\n", "\r", "x y"];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        let mut body = String::new();
        // xorshift: deterministic, so a failure repeats.
        for _ in 0..(state % 24) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            body.push_str(pieces[(state % pieces.len() as u64) as usize]);
        }
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let body = to_crlf(body.as_bytes()).into_owned();
        assert_eq!(text(&canonical_body(&body)), text(&reference_body(&body)), "{:?}", text(&body));
    }
}

#[test]
fn relaxed_header_unfolds_collapses_and_trims() {
    let mut out = Vec::new();
    relaxed_header(b"Subject", b"  Hello \t  there,\r\n\tfolded  ", &mut out);
    assert_eq!(text(&out), "subject:Hello there, folded");
    out.clear();
    relaxed_header(b"X-Empty", b"   ", &mut out);
    assert_eq!(text(&out), "x-empty:");
}

#[test]
fn lf_line_ends_are_read_as_crlf() {
    assert!(matches!(to_crlf(b"A: b\r\n\r\nc\r\n"), std::borrow::Cow::Borrowed(_)));
    assert_eq!(&*to_crlf(b"A: b\n\nc\r\nd"), b"A: b\r\n\r\nc\r\nd\r\n");
    assert_eq!(&*to_crlf(b"\nx\r"), b"\r\nx\r\r\n");
}

#[test]
fn header_section_is_split_into_fields() {
    let (fields, body) = split_header(b"A: 1\r\nB:\r\n 2\r\n\t3\r\nC : x\r\n\r\nbody\r\n").unwrap();
    let got: Vec<(&str, &str)> = fields.iter().map(|f| (text(f.name), text(f.value))).collect();
    assert_eq!(got, [("A", " 1"), ("B", "\r\n 2\r\n\t3"), ("C", " x")]);
    assert_eq!(body, 27);
    let (fields, body) = split_header(b"A: 1\r\n").unwrap();
    assert_eq!((fields.len(), body), (1, 6));
    for (bad, want) in [
        (&b" A: 1\r\n\r\n"[..], "line 1 starts with a space"),
        (b"A: 1\r\nno colon here\r\n\r\n", "line 2 is not a header field"),
        (b"A b: 1\r\n\r\n", "not a valid name"),
    ] {
        let e = split_header(bad).unwrap_err();
        assert!(e.contains(want), "{e}");
    }
}

// ---- keys -------------------------------------------------------------------------------------

/// The base64 body of a PEM block.
fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

#[test]
fn rsa_keys_load_from_pkcs1_and_pkcs8_alike() {
    let pkcs1 = rsa();
    let pkcs8 = DkimKey::rsa_from_pem("Example.COM", "RSA2026", RSA_PKCS8).unwrap();
    assert_eq!(pkcs1.algorithm(), DkimAlgorithm::RsaSha256);
    assert_eq!((pkcs8.domain(), pkcs8.selector()), ("example.com", "rsa2026"));
    assert_eq!(pkcs1.dns_name(), "rsa2026._domainkey.example.com");
    // The record carries the same SubjectPublicKeyInfo as `openssl rsa -pubout`.
    assert_eq!(pkcs1.dns_record(), format!("v=DKIM1; k=rsa; p={}", pem_body(RSA_PUBLIC)));
    assert_eq!(pkcs8.dns_record(), pkcs1.dns_record());
    assert!(!format!("{pkcs1:?}").contains("public"), "Debug shows no key material");
}

#[test]
fn ed25519_key_loads_from_openssl_pem() {
    let key = ed25519();
    assert_eq!(key.algorithm(), DkimAlgorithm::Ed25519Sha256);
    assert_eq!(key.dns_name(), "ed2026._domainkey.example.com");
    // openssl's public key PEM is a 12-byte SubjectPublicKeyInfo header and the 32 raw bytes.
    let spki = STANDARD.decode(pem_body(ED25519_PUBLIC)).unwrap();
    assert_eq!(key.dns_record(), format!("v=DKIM1; k=ed25519; p={}", STANDARD.encode(&spki[12..])));
}

#[test]
fn generated_ed25519_key_round_trips_through_pem() {
    let (key, pem) = DkimKey::generate_ed25519("example.com", "gen").unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n") && pem.ends_with("-----END PRIVATE KEY-----\n"));
    let again = DkimKey::ed25519_from_pem("example.com", "gen", &pem).unwrap();
    assert_eq!(again.dns_record(), key.dns_record());
    let (other, _) = DkimKey::generate_ed25519("example.com", "gen").unwrap();
    assert_ne!(other.dns_record(), key.dns_record());
}

#[test]
fn unusable_keys_are_refused_with_the_reason() {
    let err = |r: Result<DkimKey, DkimError>| r.unwrap_err().to_string();
    let small = err(DkimKey::rsa_from_pem("example.com", "s", RSA_1024));
    assert!(small.contains("smaller than 2048 bits") && small.contains("openssl genrsa 2048"), "{small}");
    let e = err(DkimKey::rsa_from_pem("example.com", "s", ED25519));
    assert!(e.contains("not an RSA key"), "{e}");
    let e = err(DkimKey::ed25519_from_pem("example.com", "s", RSA_PKCS8));
    assert!(e.contains("not an Ed25519 key"), "{e}");
    let e = err(DkimKey::ed25519_from_pem("example.com", "s", RSA_PKCS1));
    assert!(e.contains("\"RSA PRIVATE KEY\", expected PRIVATE KEY"), "{e}");
    let e = err(DkimKey::rsa_from_pem("example.com", "s", "hello"));
    assert!(e.contains("not PEM"), "{e}");
    let e =
        err(DkimKey::rsa_from_pem("example.com", "s", "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----"));
    assert!(e.contains("not valid base64"), "{e}");
    let e = err(DkimKey::rsa_from_pem("example.com", "s", &RSA_PKCS1.replace("-----END RSA PRIVATE KEY-----", "")));
    assert!(e.contains("no -----END RSA PRIVATE KEY----- line"), "{e}");
    let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let e = err(DkimKey::rsa_from_pem("example.com", "s", encrypted));
    assert!(e.contains("encrypted") && e.contains("-nocrypt"), "{e}");
}

#[test]
fn domain_and_selector_are_checked() {
    let field = |r: Result<DkimKey, DkimError>| match r.unwrap_err() {
        DkimError::Field(f) => f.field,
        other => panic!("{other}"),
    };
    for bad in ["", "exa mple.com", "a..b", "-x.de", "x.de\r\nX: y"] {
        assert_eq!(field(DkimKey::rsa_from_pem(bad, "s", RSA_PKCS1)), "domain", "{bad:?}");
    }
    for bad in ["", "s_1", "a b", "-s", "s.", "ä"] {
        assert_eq!(field(DkimKey::ed25519_from_pem("example.com", bad, ED25519)), "selector", "{bad:?}");
    }
    let e = DkimKey::ed25519_from_pem("example.com", "s_1", ED25519).unwrap_err().to_string();
    assert!(e.starts_with("DKIM selector: \"s_1\" is not a DNS label"), "{e}");
    assert_eq!(DkimKey::ed25519_from_pem("example.com", "k1.2026", ED25519).unwrap().selector(), "k1.2026");
}

// ---- the signature field ----------------------------------------------------------------------

#[test]
fn signer_refuses_what_it_cannot_sign() {
    assert!(matches!(DkimSigner::new(vec![]), Err(DkimError::NoKeys)));
    let signer = DkimSigner::new(vec![ed25519()]).unwrap();
    assert!(matches!(signer.sign(PLAIN.as_bytes(), -1), Err(DkimError::Timestamp(-1))));
    let e = signer.sign(b"To: a@b.de\r\n\r\nx\r\n", 1).unwrap_err().to_string();
    assert!(e.contains("no From header field"), "{e}");
    let e = signer.sign(b"From: a@b.de\r\nfrom: c@d.de\r\n\r\nx\r\n", 1).unwrap_err().to_string();
    assert!(e.contains("2 From header fields"), "{e}");
    let e = signer.sign(b"From: a@b.de\r\nbroken\r\n\r\nx\r\n", 1).unwrap_err().to_string();
    assert!(e.contains("line 2 is not a header field"), "{e}");
}

#[test]
fn signature_field_has_the_tags_and_short_lines() {
    let signer = DkimSigner::new(vec![rsa(), ed25519()]).unwrap().with_expiry(Duration::from_secs(7 * 86400));
    let signed = signer.sign(PLAIN.as_bytes(), 1_800_000_000).unwrap();
    let fields = signature_fields(&signed);
    assert_eq!(fields.len(), 2);
    let (rsa_field, ed_field) = (&fields[0], &fields[1]);
    assert!(rsa_field.starts_with("v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=rsa2026;"), "{rsa_field}");
    assert!(ed_field.starts_with("v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=ed2026;"), "{ed_field}");
    for f in &fields {
        assert_eq!(tag(f, "t").as_deref(), Some("1800000000"));
        assert_eq!(tag(f, "x").as_deref(), Some("1800604800"));
        assert_eq!(tag(f, "l"), None);
        assert_eq!(
            tag(f, "h").as_deref(),
            Some(
                "From:From:Subject:Subject:Date:To:Message-ID:MIME-Version:Content-Type:\
                 List-Unsubscribe:List-Unsubscribe-Post"
            )
        );
        assert_eq!(tag(f, "bh"), tag(&fields[0], "bh"), "one body hash for both");
    }
    assert_eq!(STANDARD.decode(tag(rsa_field, "b").unwrap()).unwrap().len(), 256);
    assert_eq!(STANDARD.decode(tag(ed_field, "b").unwrap()).unwrap().len(), 64);
    let head = text(&signed).split_once("\r\n\r\n").unwrap().0;
    for line in head.split("\r\n") {
        assert!(line.len() <= 78, "{} characters: {line}", line.len());
    }
    // The message follows unchanged; no expiry without with_expiry.
    assert!(signed.ends_with(PLAIN.as_bytes()));
    let unexpiring = DkimSigner::new(vec![ed25519()]).unwrap().sign(PLAIN.as_bytes(), 1).unwrap();
    assert_eq!(tag(&signature_fields(&unexpiring)[0], "x"), None);
}

// ---- verification by mail-auth ----------------------------------------------------------------

/// Verifies with mail-auth on this thread: the test keys' records come from memory.
trait VerifyHere {
    fn verify_here(&self, message: &[u8]) -> Vec<DkimResult>;
}

impl VerifyHere for Records {
    fn verify_here(&self, message: &[u8]) -> Vec<DkimResult> {
        block_on(Records::verify(self, message))
    }
}

/// Runs a future on this thread. mail-auth's verifier is async for its DNS lookups; with every
/// record in the cache it never waits, so no runtime is needed.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

/// The header signature did not verify.
fn fails(result: &DkimResult) -> bool {
    matches!(result, DkimResult::Fail(_))
}

/// The body hash did not match; mail-auth calls that "neutral" rather than "fail" (RFC 6376 6.1.3
/// treats both as a failed signature).
fn body_mismatch(result: &DkimResult) -> bool {
    matches!(result, DkimResult::Neutral(mail_auth::Error::Dkim(mail_auth::dkim::DkimError::FailedBodyHashMatch)))
}

#[test]
fn mail_auth_verifies_rsa_signature() {
    let (signed, records) = sign(vec![rsa()], PLAIN.as_bytes());
    assert_eq!(records.verify_here(&signed), [DkimResult::Pass]);
}

#[test]
fn mail_auth_verifies_ed25519_signature() {
    let (signed, records) = sign(vec![ed25519()], PLAIN.as_bytes());
    assert_eq!(records.verify_here(&signed), [DkimResult::Pass]);
}

#[test]
fn mail_auth_verifies_rsa_and_ed25519_signatures_at_once() {
    let (signed, records) = sign(vec![rsa(), ed25519()], PLAIN.as_bytes());
    assert_eq!(records.verify_here(&signed), [DkimResult::Pass, DkimResult::Pass]);
}

#[test]
fn mail_auth_verifies_pkcs8_and_generated_keys() {
    let (generated, _) = DkimKey::generate_ed25519("example.org", "gen").unwrap();
    let pkcs8 = DkimKey::rsa_from_pem("example.org", "p8", RSA_PKCS8).unwrap();
    let (signed, records) = sign(vec![pkcs8, generated], PLAIN.as_bytes());
    assert_eq!(records.verify_here(&signed), [DkimResult::Pass, DkimResult::Pass]);
}

fn welcome() -> Vec<u8> {
    let sender = SenderIdentity {
        name: "Kurier Team".into(),
        address: EmailAddress::parse("news@example.com").unwrap(),
        postal_address: "Beispiel GmbH\nHauptstr. 1\n10115 Berlin".into(),
        reply_to: Some(EmailAddress::parse("support@example.com").unwrap()),
    };
    let recipient = EmailAddress::parse("anna@example.de").unwrap();
    let key = MessageKey::from_bytes([7; 16]);
    let env = Envelope {
        sender: &sender,
        list: ListInfo { name: "kurier-news", title: "Kurier News", language: Language::De },
        recipient: Recipient { address: &recipient, name: Some("Anna Müller") },
        key: &key,
        return_path: "b-abc-0123@bounces.example.com",
        message_id_domain: "mail.example.com",
        date: Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap(),
    };
    let subscribed = Utc.with_ymd_and_hms(2026, 11, 20, 9, 59, 0).unwrap();
    crate::compose_welcome(&env, "https://kurier.example.com/unsubscribe/XyZ", subscribed).unwrap().raw
}

#[test]
fn mail_auth_verifies_composed_welcome_mail_also_with_lf_line_ends() {
    let raw = welcome();
    let lf = text(&raw).replace("\r\n", "\n");
    assert!(!lf.contains('\r'));
    let signer = DkimSigner::new(vec![rsa(), ed25519()]).unwrap();
    let records = Records::new(signer.keys());
    let t = now();
    let signed = signer.sign(lf.as_bytes(), t).unwrap();
    // LF is read as CRLF, and the result is what signing the CRLF original gives (both algorithms
    // are deterministic).
    assert_eq!(signed, signer.sign(&raw, t).unwrap());
    assert_eq!(records.verify_here(&signed), [DkimResult::Pass, DkimResult::Pass]);
    let h = tag(&signature_fields(&signed)[0], "h").unwrap();
    assert_eq!(
        h,
        "From:From:Reply-To:Subject:Subject:Date:To:Message-ID:MIME-Version:Content-Type:List-Id:\
         List-Unsubscribe:List-Unsubscribe:List-Unsubscribe-Post:List-Unsubscribe-Post:Feedback-ID"
    );
}

/// `signed` with its first occurrence of `from` replaced by `to`.
fn altered(signed: &[u8], from: &str, to: &str) -> Vec<u8> {
    let s = text(signed);
    assert!(s.contains(from), "{from:?} not in the message");
    s.replacen(from, to, 1).into_bytes()
}

#[test]
fn mail_auth_fails_signatures_when_the_body_changes() {
    let (signed, records) = sign(vec![rsa(), ed25519()], PLAIN.as_bytes());
    let changed = altered(&signed, "this  is\ta test.", "this is a tost.");
    let results = records.verify_here(&changed);
    assert!(results.len() == 2 && results.iter().all(body_mismatch), "{results:?}");
    // Whitespace changes that relaxed canonicalization ignores keep the signatures valid.
    let respaced = altered(&signed, "this  is\ta test.", "this is   a test.  ");
    assert_eq!(records.verify_here(&respaced), [DkimResult::Pass, DkimResult::Pass]);
    // Appending is a change too: there is no l= tag.
    let mut appended = signed.clone();
    appended.extend_from_slice(b"Click here!\r\n");
    let results = records.verify_here(&appended);
    assert!(results.len() == 2 && results.iter().all(body_mismatch), "{results:?}");
}

#[test]
fn mail_auth_fails_signatures_when_a_signed_header_changes() {
    let (signed, records) = sign(vec![rsa(), ed25519()], PLAIN.as_bytes());
    for (from, to) in [
        ("Subject: Hello  there,", "Subject: Hallo there,"),
        ("From: Kurier <news@example.com>", "From: Kurier <news@example.net>"),
        ("Date: Fri, 20 Nov 2026 10:00:00", "Date: Sat, 21 Nov 2026 10:00:00"),
    ] {
        let results = records.verify_here(&altered(&signed, from, to));
        assert!(results.len() == 2 && results.iter().all(fails), "{to}: {results:?}");
    }
    // An unsigned field may be added or changed.
    let added = altered(&signed, "To: anna", "X-Mailer: something\r\nTo: anna");
    assert_eq!(records.verify_here(&added), [DkimResult::Pass, DkimResult::Pass]);
}

#[test]
fn mail_auth_fails_signatures_when_an_over_signed_field_is_added() {
    let (signed, records) = sign(vec![rsa()], PLAIN.as_bytes());
    for extra in [
        "Subject: Second subject\r\n",
        "From: evil@example.net\r\n",
        // The plain message has none: over-signing also says there is none.
        "List-Unsubscribe: <https://evil.example.net/u>\r\n",
    ] {
        let with_extra = altered(&signed, "MIME-Version: 1.0\r\n", &format!("MIME-Version: 1.0\r\n{extra}"));
        let results = records.verify_here(&with_extra);
        assert!(results.iter().all(fails), "{extra}: {results:?}");
    }
}

#[test]
fn mail_auth_checks_repeated_fields_bottom_up() {
    let message = PLAIN.replace("To: anna@example.de\r\n", "Cc: first@example.de\r\nCc: second@example.de\r\n");
    let (signed, records) = sign(vec![ed25519()], message.as_bytes());
    assert_eq!(tag(&signature_fields(&signed)[0], "h").unwrap().matches("Cc").count(), 2);
    assert_eq!(records.verify_here(&signed), [DkimResult::Pass]);
    let swapped = text(&signed)
        .replace("Cc: first@example.de", "Cc: SWAP")
        .replace("Cc: second@example.de", "Cc: first@example.de")
        .replace("Cc: SWAP", "Cc: second@example.de");
    assert!(fails(&records.verify_here(swapped.as_bytes())[0]));
}

#[test]
fn mail_auth_does_not_pass_an_expired_signature() {
    let keys = vec![ed25519()];
    let records = Records::new(&keys);
    let signer = DkimSigner::new(keys).unwrap().with_expiry(Duration::from_secs(60));
    let signed = signer.sign(PLAIN.as_bytes(), now() - 3600).unwrap();
    let results = records.verify_here(&signed);
    assert!(matches!(results[..], [DkimResult::Neutral(_)]), "{results:?}");
    let fresh = signer.sign(PLAIN.as_bytes(), now()).unwrap();
    assert_eq!(records.verify_here(&fresh), [DkimResult::Pass]);
}

// ---- verification by dkimpy -------------------------------------------------------------------

#[test]
#[ignore = "needs python3 with dkimpy; .ci/run installs it"]
fn dkimpy_verifies_signatures() {
    let dir = std::env::temp_dir().join(format!("kurier-dkimpy-{}-{}", std::process::id(), now()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = || vec![rsa(), ed25519()];
    let records = keys().iter().map(|k| format!("{} {}\n", k.dns_name(), k.dns_record())).collect::<String>();
    std::fs::write(dir.join("records.txt"), records).unwrap();
    let [rsa_only, ed_only] = [rsa(), ed25519()].map(|k| DkimSigner::new(vec![k]).unwrap());
    let both = DkimSigner::new(keys()).unwrap().with_expiry(Duration::from_secs(86400));
    let t = now();
    let lf_welcome = text(&welcome()).replace("\r\n", "\n");
    let both_plain = both.sign(PLAIN.as_bytes(), t).unwrap();
    let messages = [
        ("pass-rsa.eml", rsa_only.sign(PLAIN.as_bytes(), t).unwrap()),
        ("pass-ed25519.eml", ed_only.sign(PLAIN.as_bytes(), t).unwrap()),
        ("pass-both.eml", both_plain.clone()),
        ("pass-welcome-lf.eml", both.sign(lf_welcome.as_bytes(), t).unwrap()),
        ("fail-body.eml", altered(&both_plain, "this  is\ta test.", "this is a tost.")),
        ("fail-subject.eml", altered(&both_plain, "Subject: Hello", "Subject: Hallo")),
        (
            "fail-second-subject.eml",
            altered(&both_plain, "MIME-Version: 1.0\r\n", "MIME-Version: 1.0\r\nSubject: Second\r\n"),
        ),
    ];
    for (name, raw) in &messages {
        std::fs::write(dir.join(name), raw).unwrap();
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/dkim/verify.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 ({e}); install python3 and dkimpy (.ci/run does)"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "dkimpy verification of the messages in {} failed ({}):\n{stdout}\n{stderr}",
        dir.display(),
        output.status
    );
    assert_eq!(stdout.lines().filter(|l| l.contains(": ok")).count(), messages.len(), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Error codes that some large mailbox providers put in their SMTP replies.
//! Their texts are generic ("sender rejected", "Mail rejected"), the code
//! says why; each provider publishes what its codes mean.

use crate::reason::Reason;
use crate::text::Command;

/// The reason a provider's error code names, when the text carries one.
pub(crate) fn reason(text: &str) -> Option<Reason> {
    aup(text).or_else(|| orange(text))
}

/// Cox and Spectrum (Charter) write `AUP#<code>`. Cox's codes are letters
/// (`AUP#CXBL`, `AUP#IPBL0001`), Spectrum's a direction and four digits
/// (`AUP#I-1310`, `AUP#O-1000`, `AUP#In-1310`).
fn aup(text: &str) -> Option<Reason> {
    let at = text.find("AUP#")? + 4;
    let code: &str = &text[at..];
    let end = code.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(code.len());
    let code = &code[..end];
    let letters = &code[..code.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(code.len())];
    let digits = code[letters.len()..].trim_start_matches('-');
    let direction = ["i", "o", "in", "out"].iter().any(|d| letters.eq_ignore_ascii_case(d));
    if direction
        && digits.len() == 4
        && let Ok(n) = digits.parse::<u16>()
    {
        return spectrum(n);
    }
    cox(code)
}

/// Cox (cox.com, "email error codes"): blocklists, DNS problems of the
/// sending IP, suspicious sending accounts, sender domain, connection and
/// volume limits.
fn cox(code: &str) -> Option<Reason> {
    const FAMILIES: &[(&str, Reason)] = &[
        ("IPBL", Reason::Blocked),
        ("URLBL", Reason::SpamDetected),
        ("CDRBL", Reason::Blocked),
        ("CXBL", Reason::Blocked),
        ("CXDNS", Reason::Blocked),
        ("CXTHRT", Reason::SecurityError),
        ("CXMJ", Reason::SecurityError),
        ("CXSNDR", Reason::Rejected),
        ("CXSMTP", Reason::Rejected),
        ("CXCNCT", Reason::TooManyConn),
        ("CXMXRT", Reason::TooManyConn),
    ];
    FAMILIES.iter().find(|(prefix, _)| code.starts_with(prefix)).map(|(_, r)| *r)
}

/// Spectrum ("understanding email error codes"): the thousands and hundreds
/// group the codes by cause.
fn spectrum(n: u16) -> Option<Reason> {
    Some(match n {
        1000 => Reason::Blocked,         // sending IP blocked for suspicious activity
        1010..=1080 => Reason::Rejected, // sending account limited
        1090 => Reason::SystemError,     // message could not be processed
        1100..=1150 => Reason::Blocked,  // DNS of the sending IP
        1160..=1190 => Reason::PolicyViolation,
        1200..=1250 => Reason::Blocked,     // IP on a blocklist
        1260 => Reason::NetworkError,       // IPv6 not served
        1300..=1490 => Reason::TooManyConn, // connection, message and recipient limits
        1500 | 1520 => Reason::Rejected,    // sender address not the signed-in one
        1530 => Reason::MesgTooBig,
        1540 | 1550 => Reason::TooManyConn,
        1560 => Reason::PolicyViolation, // too many invalid recipients
        _ => return None,
    })
}

/// Orange, Wanadoo and La Poste end their replies with `OFR_506`,
/// `OFR004_405`, `LPN007_426` or `OUK_513`: the last three digits name the
/// cause. Only codes whose text does not already say it are listed.
fn orange(text: &str) -> Option<Reason> {
    let b = text.as_bytes();
    let mut start = 0;
    while start + 3 <= b.len() {
        let Some(p) = b[start..].iter().position(|c| matches!(c, b'O' | b'o' | b'L' | b'l')) else { break };
        let at = start + p;
        start = at + 1;
        let Some(prefix) = b.get(at..at + 3) else { break };
        let known = [b"OFR", b"LPN", b"OUK"].iter().any(|k| prefix.eq_ignore_ascii_case(*k));
        if !known || at > 0 && b[at - 1].is_ascii_alphanumeric() {
            continue;
        }
        let mut i = at + 3;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if b.get(i).is_none_or(|c| *c != b'_' && *c != b'-') {
            continue;
        }
        let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n != 3 {
            continue;
        }
        let code = &text[i + 1..i + 4];
        return Some(match code {
            "101" | "102" | "103" | "107" | "108" | "510" | "999" => Reason::Blocked,
            "104" => Reason::TooManyConn,
            "305" | "402" => Reason::SecurityError,
            "403" | "405" | "415" | "421" => Reason::Rejected,
            "416" | "418" => Reason::UserUnknown,
            "417" => Reason::MailboxFull,
            "420" | "426" => Reason::Suspend,
            "506" => Reason::SpamDetected,
            "514" => Reason::MesgTooBig,
            _ => continue,
        });
    }
    None
}

/// Receiving hosts whose words mean something else than elsewhere; their
/// verdict is final. `host` is the remote MTA as reported, `diag` the
/// diagnostic text.
pub(crate) fn by_host(host: &str, diag: &str, status: Option<&str>, command: Option<Command>) -> Option<Reason> {
    let host = host.split_whitespace().next().unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
    let under = |domain: &str| host.strip_suffix(domain).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
    const MICROSOFT: &[&str] = &["outlook.com", "hotmail.com", "live.com", "msn.com"];
    if !["ezweb.ne.jp", "au.com", "auone-net.jp", "docomo.ne.jp", "yahoodns.net", "yahoo.com"]
        .iter()
        .chain(MICROSOFT)
        .any(|d| under(d))
    {
        return None;
    }
    let diag = diag.to_ascii_lowercase();
    // (A permanent refusal only: a 4xx or another status is what it says.)
    if under("auone-net.jp")
        && crate::text::find_reply_code(&diag).is_some_and(|c| c >= 550)
        && status.is_none_or(|s| s.starts_with("5.1.") || s == "5.0.0")
        && diag.split_once(">: recipient address rejected.").is_some_and(|(_, rest)| {
            let rest = rest.trim();
            rest.is_empty() || rest.starts_with("(in reply to")
        })
    {
        // au's mail service (auone-net.jp) refuses an address it does not have so, with no more words.
        return Some(Reason::UserUnknown);
    }
    if under("ezweb.ne.jp") || under("au.com") {
        // au (KDDI) answers "User unknown" for its subscribers' receiving
        // filters too; only a reply that names the address is about the address.
        if diag.contains(">: user unknown") {
            return Some(Reason::UserUnknown);
        }
        if diag.contains(" : user unknown") {
            return Some(Reason::Filtered);
        }
    }
    if under("docomo.ne.jp") {
        // NTT docomo refuses what its subscribers' filters reject with 5.2.0
        // or with "Unknown user" after DATA.
        if status == Some("5.2.0") {
            return Some(Reason::Filtered);
        }
        if command == Some(Command::Data) && diag.contains("unknown user") {
            return Some(Reason::Rejected);
        }
    }
    if (under("yahoodns.net") || under("yahoo.com")) && diag.contains("doesn't have a") && diag.contains("account") {
        // Yahoo refuses unknown addresses only after DATA.
        return Some(Reason::UserUnknown);
    }
    let unknown_status = status.is_none_or(|s| s == "5.5.0" || s.starts_with("5.1."));
    if MICROSOFT.iter().any(|d| under(d))
        && crate::text::find_reply_code(&diag) == Some(550)
        && unknown_status
        && diag.contains("mailbox unavailable")
    {
        // Outlook.com and Microsoft 365 answer "550 5.5.0 Requested action not taken: mailbox
        // unavailable" for an address that does not exist; elsewhere the words are vaguer, and
        // another status (5.2.1 "... due to inactivity", 5.7.x) says something else.
        return Some(Reason::UserUnknown);
    }
    None
}

/// The host a reply names as its own at its end, as Yahoo's do
/// ("... account (a@yahoo.com) [0] - mta1076.mail.mud.yahoo.com"): for a
/// report that names the remote MTA only by its address, or not at all.
pub(crate) fn replying_host(diag: &str) -> Option<&str> {
    let (_, last) = diag.trim_end().rsplit_once(" - ")?;
    let host = last.trim_end_matches(['.', ')', ']']);
    let is_host = host.contains('.')
        && !host.starts_with(['.', '-'])
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && host.bytes().any(|b| b.is_ascii_alphabetic());
    is_host.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_codes() {
        assert_eq!(reason("550 5.1.0 <a@b.example> sender rejected. AUP#CXBL"), Some(Reason::Blocked));
        assert_eq!(reason("554 rejected. AUP#URLBL1001"), Some(Reason::SpamDetected));
        assert_eq!(reason("550 5.1.0 sender rejected. AUP#I-1340"), Some(Reason::TooManyConn));
        assert_eq!(reason("550 5.1.0 sender rejected. AUP#Out-1000"), Some(Reason::Blocked));
        assert_eq!(reason("550 5.2.0 Mail rejete. Mail rejected. OFR_506 [506]"), Some(Reason::SpamDetected));
        assert_eq!(reason("421 Service refused, please try later. LPN006_107"), Some(Reason::Blocked));
        assert_eq!(reason("550 mail rejected ofr004_405"), Some(Reason::Rejected));
        assert_eq!(reason("550 5.1.1 User unknown"), None);
        assert_eq!(reason("see ROFR_506 and AUP#"), None);
        assert_eq!(reason("LPN_"), None);
    }

    #[test]
    fn host_rules() {
        let au = "lsean.ezweb.ne.jp. (192.0.2.1)";
        assert_eq!(by_host(au, "550 <a@ezweb.ne.jp>: User unknown", None, None), Some(Reason::UserUnknown));
        assert_eq!(by_host(au, "550 : User unknown", None, None), Some(Reason::Filtered));
        assert_eq!(by_host("mx.example.net", "550 : User unknown", None, None), None);
        let docomo = "mfsmax.docomo.ne.jp";
        assert_eq!(by_host(docomo, "550 Unknown user a@b", Some("5.0.0"), Some(Command::Data)), Some(Reason::Rejected));
        assert_eq!(by_host(docomo, "550 Unknown user a@b", Some("5.0.0"), Some(Command::RcptTo)), None);
        let yahoo = "mta6.am0.yahoodns.net";
        let text = "554 delivery error: dd This user doesn't have a yahoo.com account (a@yahoo.com) [0]";
        assert_eq!(by_host(yahoo, text, Some("5.0.0"), Some(Command::Data)), Some(Reason::UserUnknown));
        assert_eq!(by_host("mx.example.org", text, Some("5.0.0"), Some(Command::Data)), None);
        let text = "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302).";
        for host in ["eur.olc.protection.outlook.com", "mx1.hotmail.com", "hotmail.com", "live.com"] {
            assert_eq!(by_host(host, text, Some("5.5.0"), None), Some(Reason::UserUnknown), "{host}");
        }
        assert_eq!(by_host("mx.example.org", text, Some("5.5.0"), None), None);
        assert_eq!(by_host("notoutlook.com", text, Some("5.5.0"), None), None);
        assert_eq!(by_host("mx1.hotmail.com", "452 mailbox unavailable, try later", Some("4.2.2"), None), None);
        // Another status, or a 550 that is not the reply code, says something else.
        let inactive = "550 5.2.1 mailbox unavailable due to inactivity";
        assert_eq!(by_host("mx1.hotmail.com", inactive, Some("5.2.1"), None), None);
        let quoted = "451 4.3.0 queue 550ab1 mailbox unavailable";
        assert_eq!(by_host("mx1.hotmail.com", quoted, None, None), None);
    }

    #[test]
    fn host_named_by_the_reply() {
        let yahoo = "Remote host said: 554 delivery error: dd This user doesn't have a yahoo.com account \
                     (a@yahoo.com) [0] - mta1076.mail.mud.yahoo.com";
        assert_eq!(replying_host(yahoo), Some("mta1076.mail.mud.yahoo.com"));
        assert_eq!(replying_host("550 5.1.1 user unknown - see https://example.org/help"), None);
        assert_eq!(replying_host("550 Mailbox unavailable - 192.0.2.7"), None);
        assert_eq!(replying_host("550 rejected - try again later"), None);
        assert_eq!(replying_host("550 rejected - mx.example.org."), Some("mx.example.org"));
    }
}

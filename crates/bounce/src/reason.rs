//! The reason taxonomy (compatible with Sisimai's reason names) and the
//! classifier that maps a diagnostic text and a status code to a reason.

/// Why a message was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    AuthFailure,
    BadReputation,
    Blocked,
    ContentError,
    Delivered,
    ExceedLimit,
    Expired,
    FailedStartTls,
    Feedback,
    Filtered,
    HasMoved,
    HostUnknown,
    MailboxFull,
    MailerError,
    MesgTooBig,
    NetworkError,
    NoRelaying,
    NotAccept,
    NotCompliantRfc,
    OnHold,
    PolicyViolation,
    Rejected,
    RequirePtr,
    SecurityError,
    SpamDetected,
    Speeding,
    Suspend,
    SyntaxError,
    SystemError,
    SystemFull,
    TooManyConn,
    Undefined,
    UserUnknown,
    Vacation,
    VirusDetected,
}

impl Reason {
    /// Every reason, in alphabetical order of its name.
    pub const ALL: [Reason; 35] = [
        Reason::AuthFailure,
        Reason::BadReputation,
        Reason::Blocked,
        Reason::ContentError,
        Reason::Delivered,
        Reason::ExceedLimit,
        Reason::Expired,
        Reason::FailedStartTls,
        Reason::Feedback,
        Reason::Filtered,
        Reason::HasMoved,
        Reason::HostUnknown,
        Reason::MailboxFull,
        Reason::MailerError,
        Reason::MesgTooBig,
        Reason::NetworkError,
        Reason::NoRelaying,
        Reason::NotAccept,
        Reason::NotCompliantRfc,
        Reason::OnHold,
        Reason::PolicyViolation,
        Reason::Rejected,
        Reason::RequirePtr,
        Reason::SecurityError,
        Reason::SpamDetected,
        Reason::Speeding,
        Reason::Suspend,
        Reason::SyntaxError,
        Reason::SystemError,
        Reason::SystemFull,
        Reason::TooManyConn,
        Reason::Undefined,
        Reason::UserUnknown,
        Reason::Vacation,
        Reason::VirusDetected,
    ];

    /// Sisimai's name for the reason (`userunknown`, `mailboxfull`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::AuthFailure => "authfailure",
            Reason::BadReputation => "badreputation",
            Reason::Blocked => "blocked",
            Reason::ContentError => "contenterror",
            Reason::Delivered => "delivered",
            Reason::ExceedLimit => "exceedlimit",
            Reason::Expired => "expired",
            Reason::FailedStartTls => "failedstarttls",
            Reason::Feedback => "feedback",
            Reason::Filtered => "filtered",
            Reason::HasMoved => "hasmoved",
            Reason::HostUnknown => "hostunknown",
            Reason::MailboxFull => "mailboxfull",
            Reason::MailerError => "mailererror",
            Reason::MesgTooBig => "mesgtoobig",
            Reason::NetworkError => "networkerror",
            Reason::NoRelaying => "norelaying",
            Reason::NotAccept => "notaccept",
            Reason::NotCompliantRfc => "notcompliantrfc",
            Reason::OnHold => "onhold",
            Reason::PolicyViolation => "policyviolation",
            Reason::Rejected => "rejected",
            Reason::RequirePtr => "requireptr",
            Reason::SecurityError => "securityerror",
            Reason::SpamDetected => "spamdetected",
            Reason::Speeding => "speeding",
            Reason::Suspend => "suspend",
            Reason::SyntaxError => "syntaxerror",
            Reason::SystemError => "systemerror",
            Reason::SystemFull => "systemfull",
            Reason::TooManyConn => "toomanyconn",
            Reason::Undefined => "undefined",
            Reason::UserUnknown => "userunknown",
            Reason::Vacation => "vacation",
            Reason::VirusDetected => "virusdetected",
        }
    }

    /// The reason with the given Sisimai name.
    pub fn from_name(name: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// True when the failure is caused by the *sender* (its IP, domain,
    /// authentication or content), not by the recipient address: such a
    /// bounce must not suppress the recipient, it is a reputation alert.
    pub fn blames_sender(self) -> bool {
        matches!(
            self,
            Reason::Blocked
                | Reason::SpamDetected
                | Reason::PolicyViolation
                | Reason::AuthFailure
                | Reason::BadReputation
                | Reason::RequirePtr
                | Reason::NotCompliantRfc
                | Reason::Speeding
                | Reason::TooManyConn
                | Reason::ContentError
                | Reason::VirusDetected
                | Reason::SecurityError
                | Reason::FailedStartTls
                | Reason::NoRelaying
        )
    }

    /// Hard or soft, by the corpus rule: only userunknown, hostunknown,
    /// hasmoved and a permanent notaccept are hard.
    pub fn is_hard(self, permanent: bool) -> bool {
        match self {
            Reason::UserUnknown | Reason::HostUnknown | Reason::HasMoved => true,
            Reason::NotAccept => permanent,
            _ => false,
        }
    }

    /// Sisimai's pseudo status (`X.0.9NN`) for a bounce that carries none.
    pub fn pseudo_status(self, permanent: bool) -> String {
        let n = match self {
            Reason::OnHold => 901,
            Reason::RequirePtr if !permanent => 901,
            Reason::SyntaxError => 902,
            Reason::NoRelaying => 909,
            Reason::Filtered => 910,
            Reason::UserUnknown => 911,
            Reason::HostUnknown => 912,
            Reason::HasMoved => 916,
            Reason::Rejected => 918,
            Reason::Suspend => 921,
            Reason::MailboxFull => 922,
            Reason::ExceedLimit => 923,
            Reason::SystemError => 930,
            Reason::SystemFull => 931,
            Reason::NotAccept => 932,
            Reason::MesgTooBig => 934,
            Reason::MailerError => 939,
            Reason::NetworkError => 944,
            Reason::TooManyConn => 945,
            Reason::Speeding => 946,
            Reason::Expired => 947,
            Reason::ContentError => 960,
            Reason::SecurityError => 970,
            Reason::Blocked => 971,
            Reason::RequirePtr => 973,
            Reason::FailedStartTls => 976,
            Reason::SpamDetected | Reason::VirusDetected => 980,
            _ => 900,
        };
        format!("{}.0.{n}", if permanent { 5 } else { 4 })
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lower-case and collapse runs of whitespace to single spaces.
pub(crate) fn normalise(text: &str) -> String {
    normalise_prefix(text, usize::MAX)
}

/// [`normalise`], stopping after `max` characters of output.
pub(crate) fn normalise_prefix(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    let mut space = false;
    let mut count = 0usize;
    if text.is_ascii() {
        let mut bytes = Vec::with_capacity(text.len().min(max));
        for &b in text.as_bytes() {
            if b.is_ascii_whitespace() || b == 0x0b {
                space = true;
                continue;
            }
            if count >= max {
                break;
            }
            if space && !bytes.is_empty() {
                bytes.push(b' ');
                count += 1;
            }
            space = false;
            bytes.push(b.to_ascii_lowercase());
            count += 1;
        }
        bytes.truncate(max.min(bytes.len()));
        return String::from_utf8(bytes).unwrap_or_default();
    }
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        // A typographic apostrophe (a web page's or a word processor's "couldn’t") reads as the
        // plain one the phrases are written with.
        let c = if matches!(c, '\u{2018}' | '\u{2019}') { '\'' } else { c };
        if count >= max {
            break;
        }
        if space && !out.is_empty() {
            out.push(' ');
            count += 1;
        }
        space = false;
        for l in c.to_lowercase() {
            out.push(l);
            count += 1;
        }
    }
    if count > max {
        out = out.chars().take(max).collect();
    }
    out
}

/// A reply that names only a domain and says it does not exist
/// ("553 mx.example.org does not exist"), or a lookup of the recipient's host that found nothing
/// (DragonFly: "DNS lookup failure: host mx.example.org not found"; not a lookup of the sender's
/// PTR record or HELO name, which other words name): the host is unknown.
fn names_missing_domain(text: &str) -> bool {
    let is_domain = |name: &str| {
        name.contains('.')
            && !name.contains('@')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !name.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    };
    const LOOKUP: &str = "dns lookup failure: host ";
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&text.as_bytes()[from..], LOOKUP.as_bytes()) {
        let at = from + p + LOOKUP.len();
        from = at;
        if let Some((name, _)) = text[at..].split_once(' ')
            && is_domain(name)
            && text[at + name.len()..].starts_with(" not found")
        {
            return true;
        }
    }
    let mut from = 0;
    while let Some(p) = text[from..].find(" does not exist") {
        let at = from + p;
        from = at + 1;
        let mut words = text[..at].rsplit(' ');
        let (Some(name), Some(code)) = (words.next(), words.next()) else { continue };
        let is_code = code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit());
        if is_code && is_domain(name) {
            return true;
        }
    }
    false
}

/// German Exchange's "ann wurde in example.org nicht gefunden" (or "... wurde nicht in example.org
/// gefunden"), its version of "ann wasn't found at example.org": a phrase with the recipient's
/// domain in its middle.
fn names_missing_user_de(text: &str) -> bool {
    let mut from = 0;
    while let Some(p) = text[from..].find(" wurde ") {
        let at = from + p + " wurde ".len();
        from = at;
        let rest = text[at..].strip_prefix("nicht ").unwrap_or(&text[at..]);
        let Some(rest) = rest.strip_prefix("in ") else { continue };
        let mut words = rest.splitn(3, ' ');
        let (Some(domain), Some(next)) = (words.next(), words.next()) else { continue };
        let then = words.next().unwrap_or("");
        let found = next.starts_with("gefunden") || next == "nicht" && then.starts_with("gefunden");
        if found && domain.contains('.') && !domain.contains('@') {
            return true;
        }
    }
    false
}

/// Classify a diagnostic text by its phrases. `None` when nothing matches.
pub fn classify_text(text: &str) -> Option<Reason> {
    classify_normalised(&normalise(text))
}

/// [`classify_text`] for a text already [`normalise`]d.
pub(crate) fn classify_normalised(text: &str) -> Option<Reason> {
    if text.is_empty() {
        return None;
    }
    if names_missing_domain(text) {
        return Some(Reason::HostUnknown);
    }
    if names_missing_user_de(text) {
        return Some(Reason::UserUnknown);
    }
    let phrase = crate::phrases::first_reason(text);
    // Greylisting decides only where no phrase names a cause more specific than a refusal's ("451
    // 4.7.1 Recipient address rejected: Greylisted": a filter's words; not "... listed on a
    // blocklist; greylisting applied", nor "Too many connections; greylisting in effect").
    let catch_all = |r: Reason| {
        matches!(r, Reason::Filtered | Reason::PolicyViolation | Reason::SystemError | Reason::SecurityError)
    };
    // (Postfix's restriction stages name no cause: "Client host rejected: Greylisted", "Sender
    // address rejected: Greylisted".)
    let without_stage = || {
        let text = text.replace("client host rejected:", " ").replace("sender address rejected:", " ");
        crate::phrases::first_reason(&text)
    };
    if says_greylisted(text) && (phrase.is_none_or(catch_all) || without_stage().is_none_or(catch_all)) {
        return Some(Reason::Expired);
    }
    phrase
        .or_else(|| names_user_unknown(text).then_some(Reason::UserUnknown))
        .or_else(|| names_new_address(text).then_some(Reason::HasMoved))
}

/// A server that greylists defers a first attempt ("451 4.7.1 <a@b>: Recipient address rejected:
/// Greylisted, see http://postgrey..."; "422 4.2.2 Greylisted, please try again"): the message is
/// not delivered yet, not refused by a filter. Only where the text's reply and status are
/// temporary: a permanent refusal that mentions greylisting ("554 5.7.1 ... greylisted on our
/// blocklist", a final "550 5.1.1 User unknown" after earlier greylisted attempts) says why itself.
fn says_greylisted(text: &str) -> bool {
    // (All four words have "ylist" in them: one search for most texts, which have none.)
    text.contains("ylist")
        && ["greylisted", "greylisting", "graylisted", "graylisting"].iter().any(|w| text.contains(w))
        && crate::text::find_reply_code(text).is_none_or(|c| (400..500).contains(&c))
        && crate::text::find_status(text).is_none_or(|s| s.starts_with('4'))
}

/// RFC 5321's reply 551 with the recipient's new address: "551 User not local; please try
/// <ann@new.example.org>" (not the RFC's own "<forward-path>" that some servers send back, nor
/// "please try again after SMTP AUTH").
fn names_new_address(text: &str) -> bool {
    const WORDS: &str = "user not local; please try <";
    text.match_indices(WORDS).any(|(at, _)| {
        text[at + WORDS.len()..].split_once('>').is_some_and(|(address, _)| {
            address.contains('@') && !address.contains(char::is_whitespace) && !address.contains('<')
        })
    })
}

/// A reply that names the user between its words, as no phrase can: "550 User <abuse> unknown",
/// "user \"ann\" unknown". The user is an address, or written in angle brackets or quotation marks;
/// not the sender ("553 Sender user <a@b> unknown"), and not in a reply that says it is temporary
/// ("451 4.3.0 User \"ann\" unknown, directory server temporarily unavailable").
fn names_user_unknown(text: &str) -> bool {
    let named = text.match_indices("user ").any(|(at, _)| {
        if text[..at].ends_with("sender ") {
            return false;
        }
        let rest = &text[at + "user ".len()..];
        let Some((user, after)) = rest.split_once(' ') else { return false };
        (at == 0 || !text.as_bytes()[at - 1].is_ascii_alphanumeric())
            && (user.starts_with(['<', '"']) || user.contains('@'))
            && after.strip_prefix("unknown").is_some_and(|a| !a.starts_with(|c: char| c.is_ascii_alphanumeric()))
    });
    named
        && !text.contains("temporarily")
        && crate::text::find_reply_code(text).is_none_or(|c| c >= 500)
        && !crate::text::find_status(text).is_some_and(|s| s.starts_with('4'))
}

/// The (normalised) text says delivery was given up after a number of attempts (IMail: "Delivery
/// failed 20 attempts: a@b"; "failed after 5 attempts"). The last resort of a reason: a status or
/// a cause named with the count decides ("535 5.7.8 Login failed after 3 attempts").
pub(crate) fn gave_up_after_attempts(text: &str) -> bool {
    text.match_indices(" attempts").any(|(at, _)| {
        let before = text[..at].trim_end_matches(|c: char| c.is_ascii_digit());
        before.len() < at && (before.ends_with("failed ") || before.ends_with("after "))
    })
}

/// The reason an RFC 3463 status implies, when it is specific enough.
pub fn from_status(status: &str) -> Option<Reason> {
    let mut it = status.splitn(3, '.');
    let class = it.next()?;
    let subject = it.next()?;
    let detail = it.next()?;
    let permanent = class == "5";
    Some(match (subject, detail) {
        ("1", "1") | ("1", "0") | ("1", "3") | ("1", "6") if permanent => {
            if detail == "6" {
                Reason::HasMoved
            } else {
                Reason::UserUnknown
            }
        }
        ("1", "2") => Reason::HostUnknown,
        ("1", "8") | ("1", "7") => Reason::Rejected,
        ("1", "10") => Reason::UserUnknown,
        ("2", "1") => Reason::Suspend,
        ("2", "2") => Reason::MailboxFull,
        ("2", "3") => Reason::ExceedLimit,
        ("2", "4") => Reason::SystemError,
        ("3", "1") => Reason::SystemFull,
        ("3", "4") => Reason::MesgTooBig,
        ("3", "5") => Reason::SystemError,
        ("4", "1") if !permanent => Reason::Expired,
        ("4", "1") | ("4", "2") => Reason::NetworkError,
        ("4", "3") => Reason::SystemError,
        ("4", "4") => Reason::HostUnknown,
        ("4", "6") => Reason::NetworkError,
        ("4", "7") => Reason::Expired,
        ("5", _) => Reason::SyntaxError,
        ("6", _) => Reason::ContentError,
        ("7", "1") => Reason::SecurityError,
        ("7", "7") | ("7", "5") | ("7", "6") => Reason::SecurityError,
        ("7", "0") => Reason::PolicyViolation,
        ("7", "13") => Reason::Suspend,
        ("7", "9") => Reason::PolicyViolation,
        ("7", "27") => Reason::NotAccept,
        ("7", "509") => Reason::AuthFailure,
        ("7", "23") | ("7", "24") | ("7", "25") | ("7", "26") => Reason::AuthFailure,
        ("7", "8") => Reason::SecurityError,
        ("7", "606") => Reason::Blocked,
        _ => return None,
    })
}

/// Status codes specific enough to win over the diagnostic text.
pub(crate) fn strong_status(status: &str) -> Option<Reason> {
    const STRONG: &[&str] = &[
        "5.1.8", "5.2.2", "5.2.3", "5.7.13", "5.7.26", "5.7.9", "5.1.6", "5.1.2", "5.3.4", "5.7.606", "5.7.509",
        "5.7.27", "5.1.10",
    ];
    if STRONG.contains(&status) { from_status(status) } else { None }
}

/// Status codes too general to win over what the rest of the report says: 5.7.1 says only
/// "refused by policy", and a Diagnostic-Code may hold just the first line of a multi-line reply
/// whose rest is in the report's text. X.4.3 ("directory server failure") is what Sendmail gives
/// a DNS timeout and others a failed lookup of any kind: the transcript says which.
pub(crate) fn weak_status(status: &str) -> bool {
    status == "5.7.1" || status == "4.4.3" || status == "5.4.3"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Reason::ALL {
            assert_eq!(Reason::from_name(r.as_str()), Some(r));
        }
    }

    #[test]
    fn phrases_that_must_map() {
        let cases = [
            ("550 5.1.1 <a@b.example>: Recipient address rejected: User unknown", Reason::UserUnknown),
            ("550 No such user here", Reason::UserUnknown),
            ("552 5.2.2 Mailbox full", Reason::MailboxFull),
            ("452 4.2.2 Quota exceeded for this user", Reason::MailboxFull),
            ("554 5.7.1 <x@y.example>: Relay access denied", Reason::NoRelaying),
            ("550 5.7.1 Message rejected as spam by Content Filtering", Reason::SpamDetected),
            ("554 Your IP 192.0.2.1 is blocked, listed at zen.spamhaus.org", Reason::Blocked),
            ("550 5.7.1 Unauthenticated email is not accepted due to DMARC policy", Reason::AuthFailure),
            ("Host or domain name not found. Name service error", Reason::HostUnknown),
            ("421 Too many connections from your host", Reason::TooManyConn),
            ("552 Message size exceeds fixed maximum message size", Reason::MesgTooBig),
            ("Retry timeout exceeded", Reason::Expired),
            ("550 5.2.1 This account has been disabled", Reason::Suspend),
            ("Client host rejected: cannot find your reverse hostname", Reason::RequirePtr),
        ];
        for (text, want) in cases {
            assert_eq!(classify_text(text), Some(want), "{text}");
        }
    }

    #[test]
    fn look_alikes_that_must_not_map() {
        // Short phrases must not match inside longer words.
        assert_ne!(classify_text("we reduce the herblock"), Some(Reason::SpamDetected));
        assert_ne!(classify_text("herblock"), Some(Reason::Blocked));
        assert_eq!(classify_text("the weather is fine"), None);
        assert_eq!(classify_text(""), None);
        assert_ne!(classify_text("the environment is clean"), Some(Reason::VirusDetected));
        // A rejected *sender* is not an unknown recipient.
        assert_eq!(classify_text("553 5.1.8 Sender address rejected: Domain not found"), Some(Reason::Rejected));
        // A per-hour recipient limit is speeding, not too many connections.
        assert_eq!(classify_text("550 sent to too many recipients this hour"), Some(Reason::Speeding));
        // A blocked *account* is suspended, not a blocked sender.
        assert_eq!(classify_text("550 5.5.0 The recipient account is blocked"), Some(Reason::Suspend));
        // DMARC is an authentication failure, even though it names a "policy".
        assert_eq!(classify_text("rejected due to DMARC policy"), Some(Reason::AuthFailure));
        // A full mailbox is not an unknown user.
        assert_eq!(classify_text("mailbox is full"), Some(Reason::MailboxFull));
    }

    #[test]
    fn specific_wordings_and_boilerplate() {
        // A reply that names only a domain that does not exist.
        assert_eq!(classify_text("553 mx.example.org does not exist"), Some(Reason::HostUnknown));
        assert_eq!(classify_text("550 mailbox does not exist"), Some(Reason::UserUnknown));
        // Boilerplate around the remote reply does not classify.
        assert_eq!(classify_text("5.1.0 - Unknown address error 550-'5.7.1 Access denied'"), None);
        assert_eq!(classify_text("it was rejected by the recipient domain. 554 Header error"), None);
        // A blacklisted *address* is a rejected sender, a blacklisted IP is blocked.
        assert_eq!(
            classify_text("Sorry, you are sending to/from an address that has been blacklisted"),
            Some(Reason::Rejected)
        );
        assert_eq!(classify_text("your IP is blacklisted"), Some(Reason::Blocked));
        assert_eq!(
            classify_text("The account or domain may not exist, they may be blacklisted"),
            Some(Reason::HostUnknown)
        );
        assert_eq!(classify_text("500 Remote server does not support TLS"), Some(Reason::FailedStartTls));
        assert_eq!(classify_text("service permits 2 unverifyable sending IPs"), Some(Reason::RequirePtr));
        assert_eq!(classify_text("Message rejected: Email address is not verified."), Some(Reason::NoRelaying));
    }

    #[test]
    fn status_mapping() {
        assert_eq!(from_status("5.1.1"), Some(Reason::UserUnknown));
        assert_eq!(from_status("5.2.2"), Some(Reason::MailboxFull));
        assert_eq!(from_status("5.0.0"), None);
        assert_eq!(from_status("garbage"), None);
    }

    #[test]
    fn hard_rule() {
        assert!(Reason::UserUnknown.is_hard(true));
        assert!(Reason::NotAccept.is_hard(true));
        assert!(!Reason::NotAccept.is_hard(false));
        assert!(!Reason::MailboxFull.is_hard(true));
        assert!(Reason::Blocked.blames_sender());
        assert!(!Reason::UserUnknown.blames_sender());
        assert_eq!(Reason::UserUnknown.pseudo_status(true), "5.0.911");
    }
}

//! From what a bounce says about one recipient to a classified
//! [`Recipient`]: status, reply code, reason and the hard/soft verdict.
//!
//! The reason comes from the most specific evidence first: a provider's
//! error code, a status code that names the cause unambiguously, the
//! status comment and the diagnostic text, the status code in general,
//! then the rest of the human-readable report. The SMTP command the remote
//! server refused then corrects it: an unknown user that is refused only
//! after the message was sent (or at an unknown point) is a content filter
//! speaking, a refusal of MAIL FROM is about the sender, one at the
//! greeting is about the sending host.

use std::cell::{LazyCell, OnceCell};

use crate::reason::{self, Reason, classify_normalised, from_status};
use crate::text::{self, Command};
use crate::{Recipient, provider};

/// The human-readable part of a report. What a recipient's classification may ask of it (its
/// normalised form, its first reply code, whether it says the failure is temporary or delayed,
/// the reason its phrases give) is worked out once, for all its recipients: a report listing
/// thousands of recipients must not be read again for each.
pub(crate) struct Body<'a> {
    raw: &'a str,
    normal: OnceCell<String>,
    reply_code: OnceCell<Option<u16>>,
    temporary: OnceCell<bool>,
    delayed: OnceCell<bool>,
    reason: OnceCell<Option<Reason>>,
}

impl<'a> Body<'a> {
    pub(crate) fn new(raw: &'a str) -> Self {
        Body {
            raw,
            normal: OnceCell::new(),
            reply_code: OnceCell::new(),
            temporary: OnceCell::new(),
            delayed: OnceCell::new(),
            reason: OnceCell::new(),
        }
    }

    fn normal(&self) -> &str {
        self.normal.get_or_init(|| reason::normalise(self.raw))
    }

    fn reply_code(&self) -> Option<u16> {
        *self.reply_code.get_or_init(|| text::find_reply_code(self.raw))
    }

    fn says_temporary(&self) -> bool {
        *self.temporary.get_or_init(|| says_temporary(self.normal()))
    }

    pub(crate) fn says_delayed(&self) -> bool {
        *self.delayed.get_or_init(|| says_delayed(self.normal()))
    }

    pub(crate) fn reason(&self) -> Option<Reason> {
        *self.reason.get_or_init(|| classify_normalised(self.normal()))
    }
}

/// What a bounce says about one recipient.
pub(crate) struct Evidence<'a> {
    pub address: Option<String>,
    pub status: Option<String>,
    /// The words after the status in a DSN `Status` field.
    pub status_comment: Option<String>,
    pub diagnostic: Option<String>,
    /// `smtp`, `x-unix`, `x-postfix` (the DSN `Diagnostic-Code` type).
    pub diagnostic_type: Option<String>,
    pub remote_mta: Option<String>,
    pub action: Option<String>,
    /// What the human-readable part says about this recipient.
    pub extra: &'a str,
    /// The whole human-readable part.
    pub body: &'a Body<'a>,
}

impl<'a> Evidence<'a> {
    /// Only the address and the report it comes from; the rest empty.
    pub(crate) fn new(address: Option<String>, body: &'a Body<'a>) -> Self {
        Evidence {
            address,
            status: None,
            status_comment: None,
            diagnostic: None,
            diagnostic_type: None,
            remote_mta: None,
            action: None,
            extra: "",
            body,
        }
    }
}

/// The hosts that Postfix names where it could not connect ("connect to
/// mx.example.org[192.0.2.9]:25: ..."): the byte range of each in `normalised`.
fn connect_hosts(normalised: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    normalised.match_indices("connect to ").filter_map(|(at, words)| {
        let start = at + words.len();
        let end = normalised[start..].find(' ').map_or(normalised.len(), |p| start + p);
        normalised[start..end].contains("]:").then_some(start..end)
    })
}

/// Postfix's words for a TCP connection the remote host refused: "connect to
/// mx.example.org[192.0.2.9]:25: connection refused" (not a server's "421 Connection refused - your
/// IP is blocked" that mentions connecting elsewhere).
fn says_connect_refused(normalised: &str) -> bool {
    connect_hosts(normalised)
        .any(|host| normalised[..host.end].ends_with(':') && normalised[host.end..].starts_with(" connection refused"))
}

/// `normalised` without the hosts that Postfix names after "connect to " ("connect to
/// mx.example.org[192.0.2.9]:25: ..." becomes "connect to  ...").
fn without_connect_hosts(normalised: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::new();
    let mut from = 0;
    for host in connect_hosts(normalised) {
        out.push_str(&normalised[from..host.start]);
        from = host.end;
    }
    if from == 0 {
        return std::borrow::Cow::Borrowed(normalised);
    }
    out.push_str(&normalised[from..]);
    std::borrow::Cow::Owned(out)
}

/// `normalised` contains one of `phrases`.
fn says_any(normalised: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| normalised.contains(p))
}

/// `normalised` says the failure was temporary.
fn says_temporary(normalised: &str) -> bool {
    says_any(
        normalised,
        &[
            "temporary failure",
            "will be retried",
            "temporary error",
            "delayed",
            "deferred",
            "will keep trying",
            "retry timeout exceeded",
        ],
    )
}

/// `normalised` is a warning that delivery is delayed and will be retried, not a failure.
fn says_delayed(normalised: &str) -> bool {
    says_any(
        normalised,
        &[
            "has not yet been delivered",
            "delivery attempts will continue",
            "this is a warning message only",
            // Exchange: "Delivery is delayed to these recipients or groups ... Delivery will
            // continue to be attempted."
            "delivery is delayed to these recipients",
            "delivery will continue to be attempted",
            // Exim's warning, also where a provider rewrote the rest: "this warning may be
            // repeated at intervals if the message remains undelivered", "we will continue to
            // attempt delivery for some days".
            "if the message remains undelivered",
            "continue to attempt delivery",
            // Gmail: "There was a temporary problem delivering your message to a@b. Gmail will
            // retry for 46 more hours."
            "will retry for",
        ],
    )
}

/// `normalised` says that the mailbox does not exist, and nothing about access or policy.
fn says_no_such_mailbox(normalised: &str) -> bool {
    says_any(
        normalised,
        &[
            "no such user",
            "user unknown",
            "unknown user",
            "no such mailbox",
            "no such recipient",
            "unknown recipient",
            // Tutanota: "550 5.7.1 <a@b>: Recipient address rejected: Recipient not found".
            "recipient not found",
            "user not found",
        ],
    ) && !says_any(normalised, &["access denied", "policy", "blocked"])
}

/// True when `text` says something beyond the recipient's address.
fn has_words(text: &str) -> bool {
    // The text with its addresses cut out, in one pass (a line may hold thousands of them).
    let mut rest = String::with_capacity(text.len());
    let mut from = 0;
    for (at, a) in text::addresses(text) {
        if at >= from && text.get(at..at + a.len()) == Some(a.as_str()) {
            rest.push_str(&text[from..at]);
            rest.push(' ');
            from = at + a.len();
        }
    }
    rest.push_str(&text[from..]);
    rest.split(|c: char| !c.is_alphabetic()).any(|w| w.chars().count() >= 2)
}

/// The reason behind an exit status of a local delivery program
/// (`Diagnostic-Code: X-Unix; 77`), by the codes of `sysexits.h`.
fn sysexits(code: u8) -> Reason {
    match code {
        67 => Reason::UserUnknown, // EX_NOUSER
        68 => Reason::HostUnknown, // EX_NOHOST
        77 => Reason::SystemError, // EX_NOPERM: the delivery system may not write there
        _ => Reason::MailerError,  // the program failed
    }
}

/// Classify one recipient and fill in the derived fields.
pub(crate) fn finish(e: Evidence<'_>) -> Recipient {
    let diagnostic = e.diagnostic.map(|d| text::clean_diagnostic(&d)).filter(|d| !d.is_empty());
    let diag = diagnostic.as_deref().unwrap_or("");
    let extra = e.extra;
    let comment = e.status_comment.as_deref().unwrap_or("");
    // (The diagnostic's own code is asked again below: a temporary one keeps the report's hard
    // reasons away.)
    let own_code = text::find_reply_code(diag);
    let reply_code = own_code.or_else(|| text::find_reply_code(extra));
    // A generic DSN status (X.0.0, or X.4.7 "expired") gives way to a more
    // specific one quoted in the diagnostic.
    let status = match e.status.filter(|s| !s.is_empty()) {
        Some(s) if s.ends_with(".0.0") || s.ends_with(".4.7") => Some(
            text::find_status(diag)
                .into_iter()
                .chain(text::all_statuses(diag).into_iter().map(|(_, d)| d))
                .find(|d| *d != s && !d.ends_with(".0.0") && !d.starts_with('2'))
                .unwrap_or(s),
        ),
        // The remote server's own status, when it differs from the one the
        // reporting MTA chose, is the more precise.
        Some(s) => match text::replied_status(diag) {
            Some(d) if d != s && d.as_bytes().first() == s.as_bytes().first() && !d.ends_with(".0.0") => Some(d),
            _ => Some(s),
        },
        None => None,
    };
    let status = status.or_else(|| text::find_status(diag)).or_else(|| text::find_status(extra));
    // A DSN's "Action: delayed", or a plain-text warning that delivery goes on (Exim: "has not yet
    // been delivered to one or more of its recipients after more than 24 hours on the queue").
    // (Lazy: most reports never need the whole body read for it.)
    let delayed = LazyCell::new(|| match e.action.as_deref() {
        Some(a) => a.starts_with("delay"),
        None => e.body.says_delayed(),
    });
    // Without a status or a reply code for this recipient, the report as a
    // whole tells whether the failure was temporary.
    let diag_n = reason::normalise(diag);
    let extra_n = LazyCell::new(|| reason::normalise(extra));
    let permanent = match (&status, reply_code.or_else(|| e.body.reply_code())) {
        (Some(s), _) => s.starts_with('5'),
        (None, Some(c)) => c >= 500,
        _ => {
            !(*delayed
                || [diag_n.as_str(), extra_n.as_str()].into_iter().any(says_temporary)
                || e.body.says_temporary())
        }
    };
    let by_status = status.as_deref().and_then(from_status);
    let strong = status.as_deref().and_then(reason::strong_status);
    let tls_elsewhere = |r: Reason| r == Reason::FailedStartTls && own_code.is_some() && !diag_n.contains("tls");
    let by_text = provider::reason(diag)
        .or_else(|| provider::reason(extra))
        .or_else(|| (!comment.is_empty()).then(|| classify_normalised(&reason::normalise(comment))).flatten())
        .or_else(|| classify_normalised(&diag_n))
        // (A STARTTLS failure elsewhere in the report does not explain a recipient's own reply that
        // does not speak of TLS: Sendmail's transcript goes on without it after "454 4.7.0 TLS not
        // available".)
        .or_else(|| classify_normalised(&extra_n).filter(|r| !tls_elsewhere(*r)))
        // A comment whose words are joined by underscores ("Status: 5.0.0 522_mailbox_full;"), when
        // nothing else names a cause.
        .or_else(|| {
            comment.contains('_').then(|| classify_normalised(&reason::normalise(&comment.replace('_', " ")))).flatten()
        });
    let weak = status.as_deref().is_some_and(reason::weak_status);
    // The rest of the report speaks for a recipient whose own words name no cause, but not with
    // a hard failure when the recipient's own reply is temporary ("451 <a@b>... Temporary lookup
    // failure" beside another recipient's "550 b@c... User unknown"), nor with a delay when it is
    // permanent (another recipient's greylisting or "retry timeout exceeded" beside "550 5.7.1
    // Access denied").
    let own_temporary = own_code.is_some_and(|c| (400..500).contains(&c));
    let own_permanent = own_code.is_some_and(|c| c >= 500);
    let by_body = LazyCell::new(|| {
        e.body.reason().filter(|r| {
            let hard_for_a_temporary = own_temporary && r.is_hard(true);
            let delay_for_a_permanent = own_permanent && *r == Reason::Expired;
            !(hard_for_a_temporary || delay_for_a_permanent || tls_elsewhere(*r))
        })
    });
    // RFC 7505's X.1.10 is a null MX ("556 5.1.10 Recipient address has null MX"); Microsoft writes
    // 5.1.10 for a recipient it cannot find. The words say which (a domain's, not "This mailbox does
    // not accept mail any more").
    let strong = strong.filter(|_| {
        !(status.as_deref() == Some("5.1.10")
            && by_text == Some(Reason::NotAccept)
            && says_any(&diag_n, &["null mx", "nullmx", "domain"]))
    });
    let mut reason = strong
        .or(by_text)
        .or_else(|| if weak { *by_body } else { None })
        .or(by_status)
        .or_else(|| *by_body)
        .unwrap_or_else(|| {
            if *delayed || [diag_n.as_str(), extra_n.as_str()].into_iter().any(reason::gave_up_after_attempts) {
                Reason::Expired
            } else if has_words(diag) || has_words(comment) || has_words(extra) {
                Reason::OnHold
            } else {
                Reason::Undefined
            }
        });
    // A local delivery program (pipe, procmail) failed: unless the text
    // names a specific cause, the mailer is to blame.
    if e.diagnostic_type.as_deref() == Some("x-unix") {
        if let Ok(code) = diag.trim().parse::<u8>() {
            reason = sysexits(code);
        } else if matches!(reason, Reason::SystemError | Reason::SyntaxError | Reason::Undefined | Reason::OnHold) {
            reason = Reason::MailerError;
        }
    }
    // A delay whose cause is a connection that failed ("connect to mx.example.org[192.0.2.9]:25:
    // Network is unreachable", "Connection timed out") is a message not yet delivered: expired, as
    // the corpus has it (rfc3464-07, lhost-opensmtpd-15). A failed DNS lookup ("host name lookup
    // failure", rfc3464-35) or a mail loop stays a network error.
    const CONNECTION: &[&str] =
        &["network is unreachable", "no route to host", "timed out", "connection reset", "lost connection"];
    const DNS_OR_LOOP: &[&str] = &["lookup", "name server", "dns", "loop", "too many hops", "hop count"];
    // (Postfix's "connect to mx.example.org[192.0.2.9]:25: Connection refused" too, where the
    // words are a block's at the SMTP level.)
    let refused = reason == Reason::Blocked && says_connect_refused(&diag_n);
    let network = reason == Reason::NetworkError && says_any(&diag_n, CONNECTION) || refused;
    // Postfix's final report when the queue lifetime ran out keeps the last attempt's temporary
    // status ("Action: failed", "Status: 4.4.1", "connect to ...: Connection refused"): given up
    // on, not refused.
    let gave_up = e.action.as_deref() == Some("failed") && status.as_deref().is_some_and(|s| s.starts_with('4'));
    // (The words of a lookup or a loop, not a host's name: "connect to mx.dnshosting.example[...]".)
    if network && (*delayed || gave_up) && !says_any(&without_connect_hosts(&diag_n), DNS_OR_LOOP) {
        reason = Reason::Expired;
    }
    let command = text::command_in(&diag_n)
        .or_else(|| text::command_in(&extra_n))
        .or_else(|| text::quotes_sendmail_recipient_line(diag).then_some(Command::RcptTo));
    let unknown_by_status = status.as_deref().is_some_and(|s| s.starts_with("5.1.") || s.starts_with("4.1."));
    // The remote server's reply is quoted: it refused the message, at a point the bounce does not name.
    // (Not a local delivery agent's code: InterMail's "Diagnostic-Code: X-LOCAL; 500
    // (err.nosuchuser)" is the mailbox store's answer, not a filter's after DATA.)
    let local = matches!(e.diagnostic_type.as_deref(), Some("x-local" | "x-unix"));
    let quoted_reply = command == Some(Command::Data)
        || reply_code.is_some() && !local
        || by_text.is_none() && e.body.reply_code().is_some();
    match (command, reason) {
        // (Also a malformed address: Exim's "malformed address: ... may not follow" is about a
        // recipient; in reply to MAIL FROM it is the sender's; so is a disabled account.)
        (
            Some(Command::MailFrom),
            Reason::UserUnknown
            | Reason::HostUnknown
            | Reason::Undefined
            | Reason::OnHold
            | Reason::SyntaxError
            | Reason::Suspend,
        ) => reason = Reason::Rejected,
        (Some(Command::Connect), Reason::Undefined | Reason::OnHold) => reason = Reason::Blocked,
        (_, Reason::HostUnknown) if !permanent => reason = Reason::NetworkError,
        // A security status with "user unknown" is a filter speaking, unless it answered RCPT TO
        // and says only that the mailbox does not exist ("550 5.7.1 No such user!"); Postfix's
        // "554 5.7.1 Recipient address rejected: Access denied" is an access list's refusal.
        (c, Reason::UserUnknown)
            if status.as_deref().is_some_and(|s| s.contains(".7."))
                && !(c == Some(Command::RcptTo) && says_no_such_mailbox(&diag_n)) =>
        {
            reason = Reason::Filtered
        }
        // "User unknown" that was not the answer to RCPT TO, and not backed
        // by a 5.1.x status: a filter rejected the message.
        (c, Reason::UserUnknown) if c != Some(Command::RcptTo) && !unknown_by_status && quoted_reply => {
            reason = Reason::Filtered
        }
        _ => {}
    }
    let remote_mta = e.remote_mta.or_else(|| text::find_remote_host(diag)).or_else(|| text::find_remote_host(extra));
    // The host's rules apply when the report names it, or when the reply names the host that wrote
    // it. A report that names no remote host by name was written where the recipient's domain is
    // served (Outlook.com's own reports).
    let verdict = |h: &str| provider::by_host(h, diag, status.as_deref(), command);
    let replying = provider::replying_host(diag);
    let by_host = remote_mta.as_deref().and_then(verdict).or_else(|| replying.and_then(verdict)).or_else(|| {
        let named = remote_mta.as_deref().is_some_and(|h| !text::is_ip_literal(h)) || replying.is_some();
        let domain = e.address.as_deref().and_then(|a| a.rsplit_once('@')).map(|(_, d)| d);
        domain.filter(|_| !named).and_then(verdict)
    });
    // "551 User not local; please try <a@b>" that names the recipient itself names no new address
    // (simta's refusal to relay).
    if reason == Reason::HasMoved
        && let Some(a) = e.address.as_deref()
        && diag_n.contains(&format!("please try <{}>", a.to_ascii_lowercase()))
    {
        reason = Reason::OnHold;
    }
    if let Some(r) = by_host {
        reason = r;
    }
    // A report of success (Postfix's "Successful Mail Delivery Report" when the sender asked for
    // one: "Action: expanded", "Status: 2.0.0"): delivered, as Sisimai says.
    if e.action.as_deref().is_some_and(|a| ["delivered", "expanded", "relayed"].contains(&a))
        && status.as_deref().is_none_or(|s| s.starts_with('2'))
    {
        reason = Reason::Delivered;
    }
    let status = status.or_else(|| Some(reason.pseudo_status(permanent)));
    Recipient {
        address: e.address,
        hard: reason.is_hard(permanent),
        status,
        reply_code,
        reason,
        diagnostic,
        remote_mta,
        action: e.action,
    }
}

//! The phrase tables of the reason classifier. Order matters: the first
//! reason with a matching phrase wins, so specific phrases come before
//! general ones (a sender rejection before "address rejected", a rate limit
//! before "blocked").

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::reason::Reason;

/// Boilerplate that wraps what the remote server said without explaining
/// it: Amazon SES writes "5.1.0 - Unknown address error" before every
/// remote reply, Gmail "it was rejected by the recipient domain". Phrases
/// inside them do not count.
const MASKS: &[&str] = &["unknown address error", "rejected by the recipient domain"];

/// Every phrase of every table (and the masks) in one automaton, so a text
/// is read once whatever the number of phrases.
struct Matcher {
    automaton: AhoCorasick,
    /// Per pattern: the index of its table in [`PHRASES`] (`None` for a
    /// mask), and whether it must stand as a word of its own.
    patterns: Vec<(Option<usize>, bool)>,
}

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| {
    let mut words: Vec<&str> = MASKS.to_vec();
    let mut patterns: Vec<(Option<usize>, bool)> = MASKS.iter().map(|_| (None, false)).collect();
    for (table, (_, phrases)) in PHRASES.iter().enumerate() {
        for p in *phrases {
            words.push(p);
            // Short phrases must not match inside a longer word
            // ("rbl" in "herblock", "uce" in "reduce").
            patterns.push((Some(table), p.len() <= 6));
        }
    }
    // An NFA: a DFA would search faster but take milliseconds to build,
    // which a one-shot command line run pays; the texts are short.
    let automaton = AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .match_kind(MatchKind::Standard)
        .build(&words)
        .expect("the phrase tables build an automaton");
    Matcher { automaton, patterns }
});

/// The reason of the first table with a phrase in `text` (lower-cased,
/// whitespace collapsed), outside the masks.
pub(crate) fn first_reason(text: &str) -> Option<Reason> {
    let m = &*MATCHER;
    let bytes = text.as_bytes();
    let mut masks: Vec<(usize, usize)> = Vec::new();
    let mut hits: Vec<(usize, usize, usize)> = Vec::new();
    for found in m.automaton.find_overlapping_iter(text) {
        let (start, end) = (found.start(), found.end());
        match m.patterns[found.pattern().as_usize()] {
            (None, _) => masks.push((start, end)),
            (Some(table), word) => {
                let alone = !word
                    || (start == 0 || !bytes[start - 1].is_ascii_alphanumeric())
                        && (end >= bytes.len() || !bytes[end].is_ascii_alphanumeric());
                if alone {
                    hits.push((start, end, table));
                }
            }
        }
    }
    hits.iter()
        .filter(|(s, e, _)| !masks.iter().any(|(ms, me)| ms <= s && e <= me))
        .map(|(_, _, table)| *table)
        .min()
        .map(|table| PHRASES[table].0)
}

/// Phrase tables, checked in this order; the first reason with a phrase
/// contained in the (lower-cased, whitespace-collapsed) text wins.
pub(crate) const PHRASES: &[(Reason, &[&str])] = &[
    // Specific wordings that contain a more general phrase of another reason.
    (Reason::HostUnknown, &["account or domain may not exist", "dns error: domain name not found"]),
    (
        Reason::Rejected,
        &[
            "purported responsible address",
            "address that has been blacklisted",
            "sender address has been blacklisted",
            "is not a registered gateway user",
            "'send mail as'",
        ],
    ),
    (Reason::NoRelaying, &["email address is not verified"]),
    (Reason::RequirePtr, &["unverifyable sending ip", "unverifiable sending ip"]),
    (Reason::FailedStartTls, &["does not support tls", "does not support starttls", "tls negotiation failed"]),
    (Reason::SystemError, &["duplicated message-id"]),
    (
        Reason::Filtered,
        &[
            "recipient preferences",
            "user refuses to receive",
            "only accepting mail from specific",
            "due to the recipient's policy",
            "message filtered",
        ],
    ),
    (Reason::SpamDetected, &["rejected due to spam", "spam classification"]),
    (Reason::SecurityError, &["turn on smtp authentication"]),
    (Reason::Speeding, &["too many recipients this hour", "sent to too many recipients"]),
    (Reason::TooManyConn, &["frequency limited"]),
    (Reason::RequirePtr, &["mismatches client ip"]),
    (Reason::NotAccept, &["no mx record", "no smtp service", "null mx", "does not accept mail", "accepts no mail"]),
    (Reason::Suspend, &["account is blocked", "account has been blocked"]),
    (Reason::SystemFull, &["insufficient disk space", "insufficient system storage"]),
    (Reason::SystemError, &["service currently unavailable", "transaction failed"]),
    (
        Reason::RequirePtr,
        &[
            "no ptr record",
            "reverse dns",
            "no reverse",
            "ptr record",
            "cannot resolve your address",
            "cannot find your hostname",
            "cannot find your reverse hostname",
            "reverse lookup",
            "client host rejected: cannot find your",
            "ip name lookup failed",
            "not have ptr",
            "does not resolve",
            "unresolvable",
        ],
    ),
    (
        Reason::AuthFailure,
        &[
            "dmarc",
            "spf check",
            "spf fail",
            "spf record",
            "spf validation",
            "sender policy framework",
            "dkim",
            "authentication failed; no valid",
            "is not allowed to send mail from",
            "not designated as permitted sender",
            "sender id",
            "unauthenticated email",
            "authentication information",
            "fails to pass authentication",
            "5.7.26",
        ],
    ),
    (Reason::VirusDetected, &["virus", "malware", "infected", "dangerous attachment"]),
    (
        Reason::SpamDetected,
        &[
            "spam",
            "junk mail",
            "unsolicited",
            "bulk mail",
            "message content rejected",
            "considered as spam",
            "classified as spam",
            "content filter",
            "scored too high",
            "spam score",
            "uce",
        ],
    ),
    (
        Reason::BadReputation,
        &[
            "unexpected volume",
            "user complaints",
            "bad reputation",
            "poor reputation",
            "low reputation",
            "ip reputation",
            "sender reputation",
            "temporarily rate limited due to ip reputation",
        ],
    ),
    (
        Reason::NotCompliantRfc,
        &[
            "rfc 5322",
            "rfc5322",
            "rfc 2822",
            "rfc2822",
            "not rfc compliant",
            "multiple addresses in from",
            "duplicate header",
            "missing a required header",
        ],
    ),
    (Reason::TooManyConn, &["connection rate limit", "too many recipients"]),
    (Reason::PolicyViolation, &["content presents a potential", "protocol violation"]),
    (Reason::Blocked, &["smtp server of your isp"]),
    (
        Reason::SystemError,
        &["queue file write error", "internal system error", "unable to contact ldap", "local error in processing"],
    ),
    (
        Reason::Speeding,
        &[
            "receiving mail too quickly",
            "receiving mail at a rate",
            "at a rate that prevents",
            "rate limit",
            "rate-limit",
            "sending too fast",
            "too many messages",
            "too many emails",
        ],
    ),
    (
        Reason::TooManyConn,
        &[
            "too many connections",
            "too many concurrent",
            "too many smtp sessions",
            "too many simultaneous",
            "connection limit",
        ],
    ),
    (
        Reason::MesgTooBig,
        &[
            "message too big",
            "message is too big",
            "message too large",
            "message is too large",
            "message size exceeds",
            "exceeds size limit",
            "size limit",
            "message length exceeds",
            "exceeded maximum message size",
            "maximum message size",
        ],
    ),
    (Reason::MailerError, &["procmail", "command output", "pipe to |", "mailer error", "exit code", "command failed"]),
    (
        Reason::NetworkError,
        &[
            "wasn't able to establish",
            "host name lookup failure",
            "dns error",
            "malformed or unexpected name server reply",
        ],
    ),
    (
        Reason::Rejected,
        &[
            "sender rejected",
            "sender address rejected",
            "domain of sender address",
            "sender verify failed",
            "sender unknown",
            "unknown sender",
            "groups.google.com",
            "sender was rejected",
            "provide a valid from",
        ],
    ),
    (Reason::SecurityError, &["unauthenticated sender", "delivery not authorized"]),
    (
        Reason::MailboxFull,
        &[
            "mailbox full",
            "mailbox exceeded",
            "mailbox is full",
            "mailbox size limit exceeded",
            "mailbox has exceeded",
            "mailbox exceeds",
            "mail box full",
            "quota exceeded",
            "over quota",
            "overquota",
            "over the allowed quota",
            "exceeded storage allocation",
            "exceeded its quota",
            "exceeding their quota",
            "exceeding its quota",
            "exceeding the quota",
            "exceeding quota",
            "exceeds quota",
            "quota exceed",
            "disk quota",
            "not enough storage",
            "mailbox would exceed",
            "user is over",
            "is over quota",
            "full mailbox",
            "postfach voll",
            "postfach ist voll",
            "speicherplatz",
            "out of storage space",
            "inbox is full",
            "mailfolder is full",
            "account is full",
            "storage full",
        ],
    ),
    (Reason::HasMoved, &["has been moved", "has moved", "address changed", "new address is"]),
    (
        Reason::Suspend,
        &[
            "account disabled",
            "account has been disabled",
            "account is disabled",
            "mailbox disabled",
            "mailbox is disabled",
            "account suspended",
            "account has been suspended",
            "account is suspended",
            "account is inactive",
            "mailbox inactive",
            "is inactive",
            "inactive account",
            "account expired",
            "account has expired",
            "temporarily disabled",
            "not active",
            "mailbox is frozen",
            "deactivated",
            "currently suspended",
            "has been suspended",
            "mailbox unavailable due to inactivity",
            "is disabled",
            "temporary locked",
            "temporarily locked",
            "disabled recipient",
        ],
    ),
    (
        Reason::NoRelaying,
        &[
            "relay access denied",
            "relaying denied",
            "relay denied",
            "relaying not permitted",
            "relay not permitted",
            "not permitted to relay",
            "we do not relay",
            "unable to relay",
            "no relaying",
            "relay not allowed",
            "relaying mail to",
            "not a gateway",
            "not allowed to relay",
        ],
    ),
    (
        Reason::HostUnknown,
        &[
            "host unknown",
            "unknown host",
            "host not found",
            "domain not found",
            "no such domain",
            "domain does not exist",
            "unrouteable address",
            "unroutable address",
            "name or service not known",
            "name service error",
            "host or domain name not found",
            "domain name not found",
            "unknown domain",
            "domain is not",
            "recipient address rejected: unknown domain",
            "all relevant mx records point to non-existent hosts",
            "nxdomain",
            "couldn't find any host",
        ],
    ),
    (
        Reason::UserUnknown,
        &[
            "user unknown",
            "unknown user",
            "no such user",
            "no such recipient",
            "no such mailbox",
            "no such account",
            "no such address",
            "no mailbox here",
            "unknown recipient",
            "unknown address",
            "unknown local part",
            "unknown mailbox",
            "user not found",
            "recipient not found",
            "address not found",
            "mailbox not found",
            "account not found",
            "invalid recipient",
            "invalid mailbox",
            "invalid address",
            "user doesn't exist",
            "user does not exist",
            "does not exist",
            "doesn't exist",
            "doesn't have a",
            "recipient rejected",
            "not a valid mailbox",
            "mailbox unavailable",
            "mailbox not available",
            "mailbox is unavailable",
            "no mailbox",
            "not our customer",
            "unknown or illegal alias",
            "is not a known user",
            "addressee unknown",
            "undeliverable address",
            "bad recipient",
            "no valid recipients",
            "user invalid",
            "recipient unknown",
            "nicht bekannt",
            "existiert nicht",
            "gibt es nicht",
            "unbekannt",
            "mailbox unknown",
            "no such person",
            "destination addresses were unknown",
            "unknown to address",
            "not listed in",
            "user is unknown",
            "user not exist",
            "invalid final delivery userid",
            "wasn't found at",
            "wasn\u{2019}t found at",
        ],
    ),
    (
        Reason::Blocked,
        &[
            "blocked",
            "blacklist",
            "blocklist",
            "block list",
            "black list",
            "denylist",
            "listed at",
            "listed in",
            "spamhaus",
            "spamcop",
            "barracuda",
            "dnsbl",
            "rbl",
            "client host rejected",
            "connection refused",
            "connection reset by peer",
            "no access from mail server",
            "refused to talk",
            "not allowed to send",
            "your ip",
            "banned",
            "poor reputation",
        ],
    ),
    (Reason::PolicyViolation, &["policy", "not permitted by", "prohibited", "not authorized to send", "not allowed"]),
    (
        Reason::Expired,
        &[
            "retry timeout exceeded",
            "connection timed out",
            "will be retried",
            "did not accept our requests to connect",
            "still undelivered after",
            "undeliverable for",
            "unable to deliver this message after",
            "host not reachable",
            "retry time",
            "delivery time expired",
            "message expired",
            "has been delayed",
            "could not be delivered for",
            "giving up",
            "gave up",
            "queue too long",
            "timeout exceeded",
            "too long in queue",
            "time limit",
            "expired",
            "was not delivered within",
        ],
    ),
    (
        Reason::NetworkError,
        &[
            "connection reset",
            "timed out",
            "network error",
            "network is unreachable",
            "no route to host",
            "mail loop",
            "loops back to myself",
            "too many hops",
            "hop count exceeded",
            "loop detected",
            "routing loop",
            "lost connection",
        ],
    ),
    (Reason::SystemFull, &["system full", "insufficient system storage", "out of disk space", "mail system full"]),
    (Reason::ContentError, &["content error", "illegal attachment", "improper use of 8-bit", "8bitmime"]),
    (
        Reason::SecurityError,
        &[
            "authentication required",
            "authentication failed",
            "tls required",
            "encryption required",
            "must issue a starttls",
            "certificate",
        ],
    ),
    (
        Reason::SyntaxError,
        &[
            "syntax error",
            "not implemented",
            "command parameter",
            "command unrecognized",
            "unrecognized command",
            "bad sequence",
        ],
    ),
    (Reason::Filtered, &["filtered", "refused by", "message rejected", "not accepting", "rejected by", "filter"]),
    (Reason::Rejected, &["envelope blocked", "address verification", "sender not"]),
    (
        Reason::SystemError,
        &[
            "system error",
            "local error",
            "internal error",
            "server error",
            "service unavailable",
            "system config error",
            "resources temporarily unavailable",
            "mail delivery to this user is not allowed",
        ],
    ),
    (
        Reason::NotAccept,
        &[
            "does not accept mail",
            "doesn't accept mail",
            "null mx",
            "not accept any mail",
            "accepts no mail",
            "couldn't find a mail exchanger",
            "no mail exchanger",
        ],
    ),
    (Reason::OnHold, &["on hold"]),
];

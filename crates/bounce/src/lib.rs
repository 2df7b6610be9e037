//! # kurier-bounce
//!
//! Parse and classify bounces, complaints and auto-replies. Pure: no I/O,
//! no async, no files; hand it the raw bytes of one message and get a
//! [`Report`] back. It never panics on malformed input.
//!
//! What it understands:
//! - RFC 3464 delivery status notifications (`multipart/report;
//!   report-type=delivery-status`): one [`Recipient`] per
//!   `Final-Recipient` block, with status, SMTP reply code, remote MTA and
//!   diagnostic text;
//! - RFC 5965 complaint reports (`report-type=feedback-report`) →
//!   [`Kind::Complaint`] with the `Feedback-Type`;
//! - RFC 3834 auto-replies and vacation / out-of-office notices in English
//!   and German → [`Kind::AutoReply`] (not a bounce);
//! - plain-text bounces of MTAs that write no DSN (Postfix, Exim, Sendmail,
//!   qmail, Exchange, ...): the failed recipients and their diagnostics are
//!   recovered from the human-readable text, also when the bounce itself is
//!   forwarded as an attachment;
//! - Amazon SES notifications sent as JSON in a mail body (bounce,
//!   complaint, and delivery, the latter reported as a [`Kind::Bounce`] with
//!   reason [`Reason::Delivered`], as Sisimai does).
//!
//! Modules: `mime` (the header block and the MIME parts, split and decoded
//! only as far as they are read), `dsn` (RFC 3464 fields), `arf` (RFC 5965),
//! `autoreply` (RFC 3834 and vacation texts), `ses`, `text` (status codes,
//! reply codes, SMTP commands, addresses, recipients in prose and in
//! Sendmail transcripts), `reason` + `phrases` (the taxonomy and the phrase
//! classifier), `provider` (error codes and host rules of large mailbox
//! providers), `classify` (from the evidence about one recipient to its
//! reason, status and verdict).
//!
//! Speed: `examples/classify_bench.rs` measures messages per second over a
//! folder (`--bench`), or classifies it once for a whole-process comparison.
//! The phrase tables are one aho-corasick automaton, built once per process.
//! `fuzz/` holds a cargo-fuzz target for [`parse`].
//!
//! Each recipient gets a [`Reason`] from Sisimai's taxonomy (same names),
//! classified from the diagnostic text, the status code and the SMTP
//! command the remote server refused (a "user unknown" that was not the
//! answer to `RCPT TO` is a filter speaking), and a hard/soft
//! verdict (only `userunknown`, `hostunknown`, `hasmoved` and a permanent
//! `notaccept` are hard). [`Reason::blames_sender`] tells reasons that are
//! the sender's fault (blocked, spam, DMARC ...): they must not suppress
//! the recipient.
//!
//! ```
//! let raw = b"From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail\r\n\r\n<a@b.example>: host mx.b.example said: 550 5.1.1 User unknown\r\n";
//! let report = kurier_bounce::parse(raw);
//! assert_eq!(report.kind, kurier_bounce::Kind::Bounce);
//! assert_eq!(report.recipients[0].reason.as_str(), "userunknown");
//! assert!(report.recipients[0].hard);
//! ```

mod arf;
mod autoreply;
mod classify;
mod dsn;
mod mime;
mod phrases;
mod provider;
mod reason;
mod ses;
mod text;

use classify::{Body, Evidence, finish};
use mime::Head;

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

pub use reason::{Reason, classify_text, from_status};

/// What kind of message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A delivery failure (or delay) report.
    Bounce,
    /// A complaint (ARF feedback report).
    Complaint,
    /// An auto-reply (vacation, out of office); not a bounce.
    AutoReply,
    /// Anything else, including messages that could not be read.
    NotBounce,
}

impl Kind {
    /// `bounce`, `complaint`, `auto_reply` or `not_bounce`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bounce => "bounce",
            Kind::Complaint => "complaint",
            Kind::AutoReply => "auto_reply",
            Kind::NotBounce => "not_bounce",
        }
    }
}

/// One failed (or complaining, or auto-replying) recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The recipient address, when it could be established.
    pub address: Option<String>,
    /// RFC 3463 status (`5.1.1`); Sisimai's `X.0.9NN` when the bounce has none.
    pub status: Option<String>,
    /// SMTP reply code (`550`).
    pub reply_code: Option<u16>,
    pub reason: Reason,
    /// Hard bounce: the address will not work again.
    pub hard: bool,
    /// The diagnostic text, whitespace collapsed.
    pub diagnostic: Option<String>,
    /// The MTA that refused the message.
    pub remote_mta: Option<String>,
    /// The DSN `Action` (failed, delayed, ...), lower case.
    pub action: Option<String>,
}

impl Recipient {
    /// A recipient with only an address and a reason: complaints and auto-replies carry no status,
    /// reply code or remote MTA.
    fn bare(address: Option<String>, reason: Reason) -> Self {
        Self {
            address,
            status: None,
            reply_code: None,
            reason,
            hard: false,
            diagnostic: None,
            remote_mta: None,
            action: None,
        }
    }

    /// Gives the recipient another reason, found after the first from what the whole report says:
    /// the pseudo status of the old reason, if it had one, becomes the new one's, and hard/soft
    /// follows the new reason.
    fn reclassify(&mut self, reason: Reason) {
        if self.status.as_deref() == Some(self.reason.pseudo_status(true).as_str()) {
            self.status = Some(reason.pseudo_status(true));
        }
        self.reason = reason;
        self.hard = reason.is_hard(self.status.as_deref().is_none_or(|s| s.starts_with('5')));
    }
}

/// The result of parsing one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub kind: Kind,
    /// In the order they appear in the message.
    pub recipients: Vec<Recipient>,
    /// Message-ID of the original (bounced or complained-about) message.
    pub original_message_id: Option<String>,
    /// ARF `Feedback-Type` (abuse, opt-out, auth-failure, ...).
    pub feedback_type: Option<String>,
}

impl Report {
    fn not_bounce() -> Report {
        Report { kind: Kind::NotBounce, recipients: Vec::new(), original_message_id: None, feedback_type: None }
    }
}

/// Everything of interest collected from the MIME tree.
#[derive(Default)]
struct Parts {
    report_type: Option<String>,
    dsn: String,
    feedback: String,
    body: String,
    original_headers: String,
    original_message_id: Option<String>,
    original_to: Option<String>,
    /// The first attached message, raw (a forwarded bounce may be inside).
    nested: Option<Vec<u8>>,
}

fn collect(head: &Head<'_>, leaves: &[mime::Part<'_>]) -> Parts {
    let mut p = Parts { report_type: head.report_type.clone(), ..Parts::default() };
    let mut html: Vec<&mime::Part<'_>> = Vec::new();
    for part in leaves {
        match (part.ctype.as_str(), part.subtype.as_str()) {
            ("message", "rfc822" | "global") => {
                let bytes = part.bytes();
                let Some((m, at)) = Head::parse(&bytes, mime::ORIGINAL) else {
                    p.original_headers.push_str(&text::lossy(&bytes));
                    continue;
                };
                if p.original_message_id.is_none() {
                    p.original_message_id = m.message_id;
                }
                if p.original_to.is_none() {
                    p.original_to = m.to;
                }
                p.original_headers.push_str(&text::lossy(&bytes[..at]));
                if p.nested.is_none() {
                    p.nested = Some(bytes.into_owned());
                }
            }
            ("message", "delivery-status" | "global-delivery-status") => {
                let text = part.text();
                // A part labelled so that holds no field of one is the report's text when the
                // report has no other (InterMail sends its "<a@b> has restricted SMS e-mail" as a
                // first delivery-status part); after a text part it is a footer or a copy of the
                // original's headers, and left out.
                if text.lines().any(|l| mime::begins_with_report_field(l.trim_start())) {
                    p.dsn.push_str(&text);
                    p.dsn.push('\n');
                } else if p.body.trim().is_empty() {
                    p.body.push_str(&text);
                    p.body.push('\n');
                }
            }
            ("message", "feedback-report") => p.feedback.push_str(&part.text()),
            ("text" | "message", "rfc822-headers") => p.original_headers.push_str(&part.text()),
            ("text", "html") => html.push(part),
            ("text", _) => {
                p.body.push_str(&part.text());
                p.body.push('\n');
            }
            _ => {}
        }
    }
    if p.body.trim().is_empty() {
        // Only an HTML part: its text, decoded now that it is needed.
        p.body = html.iter().map(|h| strip_html(&h.text())).collect();
    }
    if p.original_message_id.is_none() || p.original_to.is_none() {
        for (name, value) in dsn::fields(&p.original_headers) {
            if name == "message-id" && p.original_message_id.is_none() {
                p.original_message_id = Some(value.trim_matches(['<', '>', ' ']).to_string());
            } else if name == "to" && p.original_to.is_none() {
                p.original_to = dsn::clean_address(&value);
            }
        }
    }
    p
}

/// The text of an HTML document: tags become spaces, the common entities their characters.
fn strip_html(html: &str) -> String {
    html_text(html, false)
}

/// The text of HTML that holds a plain-text report: a line break, paragraph or block ends a line,
/// other tags go (a link keeps its text: "&lt;<a href=...>ann@example.org</a>&gt;" is
/// "<ann@example.org>").
fn html_lines(html: &str) -> String {
    html_text(html, true)
}

/// The text of `html`: each tag a space, or with `lines` a line break for a block's tags and
/// nothing for the others (and a '<' that starts no tag kept); a tag cut off at the end is dropped.
fn html_text(html: &str, lines: bool) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(['<', '&']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix('<') {
            // ('<' before something that is not a tag's name is itself: "<<a href=...>".)
            if lines && !after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!') {
                out.push('<');
                rest = after;
                continue;
            }
            let Some(end) = tail.find('>') else {
                rest = "";
                break;
            };
            let name = tail[1..end].trim_start_matches('/').split([' ', '/', '\t', '\n']).next().unwrap_or("");
            if !lines {
                out.push(' ');
            } else if ["br", "p", "div", "tr", "li"].iter().any(|t| name.eq_ignore_ascii_case(t)) {
                out.push('\n');
            }
            rest = &tail[end + 1..];
            continue;
        }
        let (entity, len) =
            [("&lt;", '<'), ("&gt;", '>'), ("&amp;", '&'), ("&quot;", '"'), ("&#39;", '\''), ("&nbsp;", ' ')]
                .iter()
                .find(|(e, _)| tail.starts_with(e))
                .map_or(('&', 1), |(e, c)| (*c, e.len()));
        out.push(entity);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// Exchange's subjects in other languages, as they begin the subject ("Onbestelbaar: Offerte 12"):
/// a courier's "Su paquete no se puede entregar: ..." or a colleague's "Re: Onbestelbaar: ..." is no
/// report. Lower case (ASCII).
const EXCHANGE_SUBJECTS: &[&str] = &[
    "onbestelbaar:",
    "non recapitabile:",
    "no se puede entregar:",
    "não é possível entregar:",
    "niedostarczalne:",
    "olevererbart:",
    "kan ikke leveres:",
    "nedoručitelné:",
    "kézbesíthetetlen:",
    "ei voitu toimittaa:",
    "配信不能:",
];

const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliver",
    "undelivered",
    "delivery status",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "failure notice",
    "returned mail",
    "mail delivery",
    "delivery notification",
    "non remis",
    "unzustellbar",
    "nicht zustellbar",
    "could not be delivered",
    "warning: could not send",
    "nondeliverable",
    "non-deliverable",
    "loop alert",
    // What mail systems put in the subject with the words that people's mail uses too ("Transaction
    // failed", "Payment rejected", "Order delayed", "Error in your invoice"): only so.
    "failed:",
    "failed to deliver",
    "failed delivery",
    "failed mail",
    "mail failed",
    "sending failed",
    "message rejected",
    "message was rejected",
    "mail rejected",
    "rejected:",
    "delayed mail",
    "mail delayed",
    "message delayed",
    "delivery delayed",
    "mail system error",
    "mail delivery error",
    "delivery error",
    "error sending",
    "failure delivery",
    // Exim's delay warning: "Warning: message 1tKx9A-0003Ab-2Q delayed 24 hours".
    "warning: message",
];

/// Content-filtering gateways (named in the bounce's headers or text),
/// looked for in lower-cased copies.
static FILTER_GATEWAYS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::NoncontiguousNFA))
        .build(["mcafee", "mxlogic", "surfcontrol", "mailfoundry", "m-filter"])
        .expect("the gateway names build an automaton")
});

/// Phrases that mark a body as a delivery failure report.
const BOUNCE_BODY: &[&str] = &[
    "could not be delivered to",
    "delivery to the following recipient",
    "following addresses had",
    "undeliverable to",
    "was not delivered to",
    "no such user here",
    "invalid user address",
    "permanent fatal errors",
    "delivery has failed",
    "message could not be delivered",
    "unable to deliver",
    "copy of your message is being returned",
    "konnte nicht zugestellt werden",
    "nicht zugestellt werden",
    // Gmail's older reports: "Technical details of permanent failure: Google tried to deliver your
    // message, but ...".
    "technical details of permanent failure",
    "technical details of temporary failure",
    // Dovecot's LDA: "Your message was automatically rejected by Dovecot Mail Delivery Agent."
    "rejected by dovecot mail delivery agent",
];

/// How a mail system's report names its writer: qmail, Postfix, Exim, Gmail.
const MTA_SELF_NAMES: &[&str] = &[
    "this is the qmail-send program",
    "google tried to deliver your message",
    "this is the mail system at host",
    "this message was created automatically by mail delivery software",
];

/// What the From of a mailer daemon's report says (in its address or its name), lower case.
const DAEMONS: &[&str] = &["mailer-daemon", "postmaster", "post_master", "mail-daemon", "mailerdaemon"];

/// Phrases of reports that people also write about parcels and servers ("the package couldn't be
/// delivered", "the remote server returned an error"): they mark only text pasted without its
/// header block as a report. A complete report says so in its sender or subject.
const PASTED_BODY: &[&str] = &[
    "couldn't be delivered",
    "wasn't delivered to",
    "wasn't able to deliver",
    "was undeliverable",
    "delivery incomplete",
    "temporary problem delivering",
    "remote server returned",
    // Postfix: "host mx.example.org[192.0.2.9] refused to talk to me: 554 ...".
    "refused to talk to me",
    // qmail: "192.0.2.9 failed after I sent the message. / Remote host said: 554 ...".
    "remote host said:",
    // Google Groups: "We're writing to let you know that the group you tried to contact (news) may
    // not exist, or you may not have permission to post messages to the group."
    "the group you tried to contact",
    // Exchange 5.5 to 2003: "Your message did not reach some or all of the intended recipients.",
    // "The following recipient(s) could not be reached:" (a customer may quote these; a complete
    // report says so in its sender and subject).
    "did not reach some or all of the intended recipients",
    "following recipient(s) could not be reached",
    // Exim's delay warning: "has not yet been delivered to one or more of its recipients" (the
    // whole phrase: a customer writing that an order "has not yet been delivered" is no report).
    "has not yet been delivered to one or more",
    // NHN Dooray: "Your message sent to a@b has failed to be delivered".
    "has failed to be delivered",
    // Chinese providers: "您发送的邮件被退回" (the mail you sent was returned), "退信原因" (why).
    "邮件被退回",
    "退信原因",
    // "出错原因" (the cause of the error), as NetEase (163.com) writes it.
    "出错原因",
];

/// Wordings of reports that people also quote when they ask about them ("our tool keeps logging
/// \"SMTP error from remote server after RCPT command\" ... Could you check?"): they mark pasted
/// text as a report when they are not in quotation marks and the text asks no question
/// (`is_unquoted_statement`), however long it is.
const PASTED_STATEMENT: &[&str] = &[
    // Exim: "SMTP error from remote mail server after RCPT TO:<a@b>:" (4.90 and later: "remote
    // server after RCPT command:").
    "smtp error from remote mail server after",
    "smtp error from remote server after",
    // Exchange 2010 and later: "mx.example.org rejected your message to the following email
    // addresses:" ("e-mail addresses" in older ones).
    "rejected your message to the following e",
    // Gmail and Google Groups: "Your message to a@b has been blocked. See technical details below
    // for more information."
    "has been blocked. see technical details below",
    // CommuniGate Pro: "Message delivery to 'a@b' delayed / SMTP module(domain example.org)
    // reports: connection with mx.example.org is broken".
    "smtp module(domain",
    // Gmail in Korean: "... 주소를 찾을 수 없거나 해당 주소에서 메일을 받을 수 없어 ..." (the address could
    // not be found or cannot receive mail; its heading "주소를 찾을 수 없음" is plain Korean).
    "찾을 수 없거나 해당 주소에서 메일을 받을 수 없",
    // Gmail: "The response from the remote server was: / 550 ...", "The recipient server did not
    // accept our requests to connect."
    "the response from the remote server was:",
    "the recipient server did not accept our requests to connect",
    // A gateway's "This is a delivery failure notification message indicating that an email you
    // addressed to email address : -- a@b could not be delivered."
    "this is a delivery failure notification message",
    // Exchange in Spanish: "Algunos de los destinatarios no recibieron su mensaje." / "No se puede
    // localizar a los destinatarios siguientes:" (the second, which lists them).
    "no se puede localizar a los destinatarios siguientes",
    // Microsoft 365: "mx.example.org rejected the message you sent to the following email address:".
    "rejected the message you sent to the following e",
    // Microsoft 365's newer report: "Your message wasn't delivered because the recipient's email
    // provider rejected it. / mx.google.com gave this error: ...".
    "the recipient's email provider rejected it",
    // Gmail in Spanish: "Tu mensaje no se ha entregado a a@b porque ...", "Tu mensaje no se entregó a".
    "tu mensaje no se ha entregado a",
    "tu mensaje no se entregó a",
    // MXLogic's delay warning: "A temporary error occurred while delivering to the following
    // address(es):".
    "error occurred while delivering to the following address",
    // SmarterMail: "Could not deliver message to the following recipient(s): / Failed Recipient:
    // a@b / Reason: ...".
    "could not deliver message to the following recipient",
    // Sun's (Oracle's) Messaging Server, as Virgilio and TIN send it: "These recipients of your
    // message have been processed by the mail server: / a@b; Failed; 5.2.2 (mailbox full)".
    "these recipients of your message have been processed by the mail server",
    // Seznam, in its English half: "You message for <a@b> from 2012/11/19 could not be delivered.
    // / It's attached below. / Důvod / Reason:" (the first two sentences alone are a person's too).
    "could not be delivered. it's attached below. důvod / reason:",
];

/// Pasted text with a mail library's report of the server's refusal, with the reply
/// (`text::has_client_error`), as a statement (`is_unquoted_statement`).
fn quotes_client_error(body: &str, normalised: &str) -> bool {
    text::has_client_error(normalised) && is_unquoted_statement(body, normalised, text::CLIENT_ERRORS)
        // Django's error page: its heading "SMTPRecipientsRefused at /contact/" and the refused
        // recipients on a line of their own.
        || normalised.contains("smtprecipientsrefused at /")
            && body.lines().any(|l| !text::python_refused(l).is_empty())
            && is_unquoted_statement(body, normalised, &["smtprecipientsrefused"])
}

/// Postfix's queue listing (`mailq`, `postqueue -p`) of a message it could not deliver yet: the
/// queue ID, the size, the time it arrived and the sender, and next line why, in parentheses
/// ("A8A161E4F9F77      590 Tue Jun 18 06:36:01  root@example.tv / (delivery temporarily
/// suspended: connect to example.me[192.0.2.9]:25: Connection timed out)").
fn lists_a_deferred_queue_entry(body: &str) -> bool {
    let mut lines = body.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        if text::is_postfix_queue_line(line)
            && lines.peek().is_some_and(|why| why.starts_with('(') && why.ends_with(')'))
        {
            return true;
        }
    }
    false
}

/// Words that ask, in a question written without its question mark.
const ASKING: &[&str] =
    &["any idea", "anyone know", "can someone", "can anyone", "please help", "please advise", "how can i", "how do i"];

/// A remote server's reply pasted without its code: Postfix's restrictions ("Recipient address
/// rejected: User unknown in local recipient table", "Helo command rejected: Host not found"), and
/// the wordings of Gmail, Microsoft 365, QQ and NetEase that only their servers write. People quote
/// them in questions too ("our Outlook shows \"Relay access denied\" whenever Ann sends"): they
/// count only in a short paste (`is_pasted_reply`).
const PASTED_REPLY: &[&str] = &[
    "recipient address rejected:",
    "sender address rejected:",
    "helo command rejected:",
    "client host rejected:",
    "relay access denied",
    // A DNS blocklist's answer: "client [192.0.2.9] blocked using zen.spamhaus.org".
    "] blocked using ",
    // Yahoo: "No mx record found for domain=example.org".
    "no mx record found for domain=",
    "is not accepted due to domain's dmarc policy",
    "doesn't meet the required authentication level",
    "mail content denied",
    "dt:spm ",
    // Outlook.com's blocklist (OU-001): "part of their network is on our block list"; Microsoft 365:
    // "Your message can't be delivered because delivery to this address is restricted."; Gmail:
    // "Google tried to deliver your message, but it was rejected by the server for the recipient
    // domain ...".
    "part of their network is on our block list",
    "message can't be delivered because",
    "google tried to deliver your message, but it was rejected",
    // Postfix: "<a@b>: Host or domain name not found. Name service error for name=example.org
    // type=A: Host not found".
    "name service error for name=",
    // vpopmail: "<a@b>: / The users mailfolder is over the allowed quota (size)."
    "mailfolder is over the allowed quota",
    // "Sorry, your message cannot be delivered as the recipient has exceeded their disk space
    // limit" (cPanel's Exim).
    "cannot be delivered as the recipient has exceeded",
];

/// Pasted text with qmail's line above the returned message and a recipient's "<a@b>:" line before
/// it: qmail's report in another language ("Bardzo nam przykro ... / <a@b>: / maildrop: maildir over
/// quota. / --- Below this line is a copy of the message."), in a text that asks no question; not
/// ezmlm's notice of a moderator's rejection, which lists nobody.
fn lists_before_the_copy(body: &str, normalised: &str) -> bool {
    const COPY: &str = "--- below this line is a copy of the message";
    is_unquoted_statement(body, normalised, &[COPY]) && {
        let lower = body.to_ascii_lowercase();
        lower
            .find(COPY)
            .is_some_and(|at| lower[..at].lines().any(|l| text::is_bracketed_recipient_line(l.trim_start())))
    }
}

/// A paste of a remote server's reply without its code: at most four lines, and a server's
/// wording (`PASTED_REPLY`) as a statement (`is_unquoted_statement`).
fn is_pasted_reply(body: &str, normalised: &str) -> bool {
    body.lines().filter(|l| !l.trim().is_empty()).nth(4).is_none()
        && is_unquoted_statement(body, normalised, PASTED_REPLY)
}

/// Postfix's report pasted from its heading on, as a statement: a line "The mail system" alone,
/// and next (after empty lines) a recipient's "<a@b>: ..." line that says why as a report does
/// (a reply, "said:", a status or a reason's words: "The mail system / <info@example.com>: maildir
/// delivery failed: error writing message: Disk quota exceeded"); not a list of people under that
/// heading.
fn lists_under_the_mail_system(body: &str, normalised: &str) -> bool {
    let mut lines = body.lines().map(str::trim).skip_while(|l| !l.eq_ignore_ascii_case("the mail system"));
    lines.next().is_some()
        && lines.find(|l| !l.is_empty()).and_then(text::bracketed_recipient).is_some_and(|(_, why)| {
            why.contains("said:")
                || text::find_reply_code(why).is_some()
                || text::find_status(why).is_some()
                || classify_text(why).is_some()
        })
        && is_unquoted_statement(body, normalised, &["the mail system"])
}

/// Naver's report, as its line begins: "a@b 님께 보내신 메일 <subject> 이 다음과 같은 이유로 전송
/// 실패했습니다." (the mail you sent to a@b could not be sent, for the following reason); not the
/// sentence quoted inside a person's ("고객(a@b)에게 ... \"a@b 님께 보내신 메일 ...\" 라는 안내가 ...").
fn says_naver_failed(body: &str) -> bool {
    body.contains("이 다음과 같은 이유로 전송 실패했습니다")
        && body.lines().any(|l| {
            let l = l.trim();
            l.contains("이 다음과 같은 이유로 전송 실패했습니다")
                && l.split_once(" 님께 보내신 메일").is_some_and(|(who, _)| who.contains('@') && !who.contains(' '))
        })
}

/// Postfix's refusal of a message larger than the server announced, as a statement, after a
/// recipient: "<a@b>: message size 110309852 exceeds size limit 73400320 of server
/// mx.example.org[192.0.2.9]" (in full: "exceeds size limit" alone is what upload forms and
/// gateways' logs say too).
fn says_postfix_size_limit(body: &str, normalised: &str) -> bool {
    fn digits_then<'a>(s: &'a str, then: &str) -> Option<&'a str> {
        let rest = s.trim_start_matches(|c: char| c.is_ascii_digit());
        if rest.len() < s.len() { rest.strip_prefix(then) } else { None }
    }
    // (In the normalised text: Postfix folds the server's name onto the next line.)
    normalised.match_indices(": message size ").any(|(at, m)| {
        normalised[..at].rsplit(' ').next().is_some_and(|recipient| recipient.contains('@'))
            && digits_then(&normalised[at + m.len()..], " exceeds size limit ")
                .and_then(|rest| digits_then(rest, " of server "))
                .is_some_and(|server| server.split(' ').next().is_some_and(|s| s.contains('[') && s.ends_with(']')))
    }) && is_unquoted_statement(body, normalised, &["exceeds size limit"])
}

/// The (normalised) text has one of `wordings` not right after a quotation mark (a person quoting it).
fn is_unquoted(normalised: &str, wordings: &[&str]) -> bool {
    wordings.iter().any(|p| {
        normalised
            .match_indices(p)
            .any(|(at, _)| !normalised[..at].ends_with(['"', '\u{201c}', '\u{201e}', '\u{ab}', '\'', '\u{2018}']))
    })
}

/// The text asks no question and has one of `wordings` not in quotation marks (a person quoting it).
fn is_unquoted_statement(body: &str, normalised: &str, wordings: &[&str]) -> bool {
    let stated = is_unquoted(normalised, wordings);
    // Asked in the text itself, not in the original message it quotes: a question mark that ends
    // a sentence (not one in a link: "help_spam_16.htm?ip=192.0.2.9"), or the words of a question
    // whose mark was left out ("Any idea what else to check").
    let asks = || {
        let own = text::cut_original(body);
        let own_normalised = &normalised[..normalised.floor_char_boundary(own.len())];
        own.contains('\u{ff1f}')
            || own
                .match_indices('?')
                .any(|(at, _)| own[at + 1..].starts_with(char::is_whitespace) || at + 1 == own.len())
            || ASKING.iter().any(|a| {
                own_normalised.match_indices(a).any(|(at, _)| {
                    let rest = &own_normalised[at + a.len()..];
                    let after = rest.strip_prefix('s').unwrap_or(rest);
                    !own_normalised[..at].ends_with(|c: char| c.is_alphanumeric())
                        && !after.starts_with(|c: char| c.is_alphanumeric())
                })
            })
    };
    stated && !asks()
}

/// Pasted text with the marks a web page or a forum put into it removed; `None` when it has none.
/// A Markdown link keeps its text ("<[ann@example.org](mailto:ann@example.org)>: host
/// [mx.example.org](http://mx.example.org/)[192.0.2.9]" as a blog shows a Postfix report),
/// forum code keeps what it wraps ("[email]ann@example.org[/email]"), and the spaces that end a
/// line in Markdown go, so that a line of them is empty again (it ends a block of a report).
fn unmarked(raw: &[u8]) -> Option<Vec<u8>> {
    let text = text::lossy(raw);
    // A report pasted as a web page's HTML ("... The mail system<br><br>&lt;<a
    // href="mailto:ann@example.org">ann@example.org</a>&gt;: host ..."): its text, line by line.
    let head = &text[..text.floor_char_boundary(4000)];
    if ["<br>", "<br/>", "<br />", "</div>", "</p>"].iter().any(|t| text::contains_ci(head, t)) {
        return Some(html_lines(&text).into_bytes());
    }
    let marked = |l: &str| {
        l.ends_with([' ', '\t'])
            || l.contains("](mailto:")
            || l.contains("](http")
            || text::contains_ci(l, "[email]")
            || text::contains_ci(l, "[/email]")
    };
    if !text.split('\n').any(|l| marked(l.strip_suffix('\r').unwrap_or(l))) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let (line, cr) = line.strip_suffix('\r').map_or((line, ""), |l| (l, "\r"));
        let mut kept = String::with_capacity(line.len());
        let mut rest = line.trim_end_matches([' ', '\t']);
        while let Some(at) = rest.find("](") {
            let target = &rest[at + 2..];
            // The link's target runs to its ')', and holds no space or bracket: what stops the
            // search also bounds it (each character is looked at a fixed number of times).
            let end = target.find(|c: char| c == ')' || c.is_whitespace() || "[]()".contains(c));
            let linked = ["mailto:", "http://", "https://"].iter().any(|p| target.starts_with(p));
            match (rest[..at].rfind('['), end) {
                (Some(o), Some(e)) if linked && target[e..].starts_with(')') => {
                    kept.push_str(&rest[..o]);
                    kept.push_str(&rest[o + 1..at]);
                    rest = &target[e + 1..];
                }
                _ => {
                    kept.push_str(&rest[..at + 2]);
                    rest = target;
                }
            }
        }
        kept.push_str(rest);
        // Forum code: "[email]a@b[/email]", in any case.
        let lower = kept.to_ascii_lowercase();
        let mut from = 0;
        while let Some(at) = lower[from..].find("email]").map(|p| from + p) {
            let open = lower[..at].ends_with('[').then(|| at - 1);
            let close = lower[..at].ends_with("[/").then(|| at - 2);
            match open.or(close) {
                Some(start) => {
                    out.push_str(&kept[from..start]);
                    from = at + "email]".len();
                }
                None => {
                    out.push_str(&kept[from..at + 1]);
                    from = at + 1;
                }
            }
        }
        out.push_str(&kept[from..]);
        out.push_str(cr);
    }
    Some(out.into_bytes())
}

/// The text is one header field, perhaps folded over several lines ("Diagnostic-Code: smtp; 554
/// 5.7.1 <a@b>: Sender address rejected:\n    We don't accept ...").
fn is_one_field(raw: &[u8]) -> bool {
    text::lossy(raw).trim().lines().skip(1).all(|l| l.starts_with([' ', '\t']))
}

/// Pasted text that is or quotes a server's error reply: it begins with a reply (`550-...`), or has
/// a status after a reply code (`550 5.1.1`, `451-4.7.1`) or a reply to a command (`(in reply to
/// RCPT TO command)`), or it is a report as a web mailer shows it, sender first ("Mail Delivery
/// Subsystem mailer-daemon@googlemail.com", "MAILER-DAEMON <bounce@example.com>"). Asked only of
/// text without a header block, where nothing else says whether it is a report.
fn says_smtp_error(body: &str) -> bool {
    let first = body.trim_start().lines().next().unwrap_or("").trim_start_matches(['"', '\'', '`']);
    // A reply as a DSN's Diagnostic-Code gives it ("smtp;550 5.7.133 ..."), or a recipient's line
    // with it: "<a@b>: smtp;550 5.1.1 ...".
    let after_recipient = text::bracketed_recipient(first).map_or(first, |(_, reply)| reply);
    // Or with an enhanced status, as providers' logs give the reply ("5.7.1 Unfortunately, messages
    // from [192.0.2.9] weren't sent ...", "4.7.650 The mail server ... rate limited").
    let begins_with_status = first.starts_with(['4', '5'])
        && first.split(' ').next().is_some_and(text::is_status_word)
        && first.contains(' ');
    // Postfix names the host before its reply: "<a@b>: host mx.example.org[192.0.2.9] said: 550"
    // (the reply may go on on the next line; the brackets hold an address, after "host NAME").
    let host_said = body.match_indices("] said: ").any(|(at, m)| {
        let b = &body.as_bytes()[at + m.len()..];
        let before = &body[..at];
        let named_host = before.rfind('[').is_some_and(|open| {
            let ip = &before[open + 1..];
            let name = before[..open].rsplit([' ', '\t', '\n']).next().unwrap_or("");
            !ip.is_empty()
                && ip.bytes().all(|c| c.is_ascii_hexdigit() || c == b'.' || c == b':')
                && name.contains('.')
                && before[..open - name.len()].trim_end().ends_with("host")
        });
        named_host && text::starts_with_failure_code(b) && b.get(3).is_none_or(|c| b" -\r\n".contains(c))
    });
    text::begins_with_reply(first)
        // (With the type only: "<a@b>: 502 errors again on staging" is a chat's line.)
        || text::after_diagnostic_type(after_recipient).is_some_and(text::begins_with_reply)
        || begins_with_status
        || host_said
        || text::replied_status(body).is_some()
        || text::contains_ci(body, "(in reply to")
        || text::contains_ci(&body[..body.floor_char_boundary(300)], "mailer-daemon")
}

/// Builds the parser's lookup tables now instead of on the first message, and runs it once over a
/// small delivery report, so that a program with an idle thread can have that done while it does
/// something else (`kurier bounce classify` does it while it lists the files).
pub fn warm_up() {
    LazyLock::force(&FILTER_GATEWAYS);
    text::warm_up();
    mime::warm_up();
    let sample = b"From: MAILER-DAEMON@mx.example.net\nSubject: =?utf-8?q?Undelivered_Mail?=\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n\
--b\nContent-Type: text/plain\n\n<a@example.org>: host mx.example.org said: 550 5.1.1 user unknown\n\
    (in reply to RCPT TO command)\n--b\nContent-Type: message/delivery-status\n\n\
Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\n\
Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n--b\nContent-Type: message/rfc822\n\n\
Message-ID: <m@example.com>\nTo: a@example.org\n\nhello\n--b--\n";
    std::hint::black_box(parse(sample));
}

/// Parse one raw message. Never panics. Lines may end in LF, CRLF, or CR
/// alone (old Mac mail clients and some archives).
pub fn parse(raw: &[u8]) -> Report {
    // A byte order mark (a message saved by some Windows programs) is not part of the first field.
    let raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
    let lf = cr_only_to_lf(raw);
    let raw = lf.as_deref().unwrap_or(raw);
    match spaces_as_blank_lines(raw) {
        Some(fixed) => parse_at(&fixed, 0),
        None => parse_at(raw, 0),
    }
}

/// A message without a single empty line whose blank lines hold a space or a tab (Lotus Domino
/// relays reports so), with those lines made empty: read as they are, the header block would go on
/// through the body. `None` for any other message, which is read as it is.
fn spaces_as_blank_lines(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.starts_with(b"\n") || raw.starts_with(b"\r\n") || mime::has_empty_line_in(raw) {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut changed = false;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if !content.is_empty() && content.iter().all(|&b| b == b' ' || b == b'\t') && line.ends_with(b"\n") {
            out.extend_from_slice(&line[content.len()..]);
            changed = true;
        } else {
            out.extend_from_slice(line);
        }
    }
    changed.then_some(out)
}

/// A message whose lines end in a bare CR (no LF anywhere) with every CR made
/// an LF; `None` for any other message, which is read as it is.
fn cr_only_to_lf(raw: &[u8]) -> Option<Vec<u8>> {
    if memchr::memchr(b'\n', raw).is_some() || memchr::memchr(b'\r', raw).is_none() {
        return None;
    }
    Some(raw.iter().map(|&b| if b == b'\r' { b'\n' } else { b }).collect())
}

fn parse_at(raw: &[u8], depth: u8) -> Report {
    // Text that does not begin with a header field, and whose first block holds none of the fields
    // a message has (From, Subject, Received, ...), is a report pasted without its header block
    // (copied from a mail program, a ticket or a forum post): all of it is the body. So is text
    // with a `Subject:` line among its lines of words (an Exchange report as Outlook shows it:
    // "Your message did not reach some or all of the intended recipients. / Subject: Test / Sent:
    // ... / The following recipient(s) could not be reached:"). A message behind an odd first line
    // (">From ...", Outlook's "Microsoft Mail Internet Headers Version 2.0", an .emlx byte count)
    // keeps its header block.
    let lenient = Head::parse(raw, mime::MESSAGE);
    let pasted = depth == 0
        && match &lenient {
            None => true,
            // Text whose first line only looks like a field ("Error: \"421 4.7.0 ...\"") and that
            // names no field of a message or of a report is pasted as well.
            // So are the fields of a delivery-status part copied alone ("Final-Recipient: ... /
            // Action: failed / Status: 5.2.2", or one "Diagnostic-Code:" line): read as text, they
            // are a report's fields in its body. (A feedback report's fields keep their block; a
            // ticket's "Status: open / Action: ..." is no report.)
            Some((head, _)) if mime::starts_with_field(raw) => {
                !head.names_message_fields()
                    && (!head.names_report_fields()
                        || head.raw("Final-Recipient").is_some()
                        || head.raw("Original-Recipient").is_some()
                        || head.raw("Diagnostic-Code").is_some() && is_one_field(raw))
            }
            Some((head, _)) => !head.names_message_fields() || head.prose,
        };
    let clean = if pasted { unmarked(raw) } else { None };
    let raw = clean.as_deref().unwrap_or(raw);
    let parsed = if pasted { Some((Head::empty(), 0)) } else { lenient };
    let Some((msg, body_at)) = parsed else {
        return Report::not_bounce();
    };
    let mut parts = collect(&msg, &mime::parts(&msg, &raw[body_at..]));
    if parts.body.trim().is_empty() && parts.dsn.is_empty() && parts.feedback.is_empty() {
        // A MIME structure that could not be split: read the raw body.
        let body = &raw[body_at..];
        parts.body = text::lossy(body).into_owned();
        if parts.body.contains("\nFinal-Recipient:") || parts.body.contains("\nFinal-recipient:") {
            parts.dsn = parts.body.clone();
        }
    }
    let subject = msg.subject.clone().unwrap_or_default();
    let from = msg.from.as_deref().unwrap_or("").to_ascii_lowercase();
    let raw_from = msg.raw("From").unwrap_or("").to_ascii_lowercase();
    let header = |name: &str| msg.raw(name).map(|s| s.trim().to_string());

    // The first message of a mailbox file that UW-IMAP and Pine keep ("DON'T DELETE THIS MESSAGE --
    // FOLDER INTERNAL DATA", from MAILER-DAEMON, with X-IMAP): the folder's data, not a report.
    // (Dovecot's X-IMAPbase sits in a real message.)
    if msg.raw("X-IMAP").is_some() || subject.contains("FOLDER INTERNAL DATA") {
        return Report::not_bounce();
    }

    // Amazon SES notifications carried in an e-mail body.
    // (`notificationType` also inside an SNS message, where its quotes are escaped.)
    if SES_KEYS.iter().any(|k| k.find(parts.body.as_bytes()).is_some())
        && let Some(notice) = ses::parse(&parts.body)
    {
        return if ses::is_report(&notice.kind) { from_ses(notice, &parts.body) } else { Report::not_bounce() };
    }

    // Apple Mail's unsubscribe button sends a mail to the List-Unsubscribe mailto address ("Apple
    // Mail sent this email to unsubscribe from the message ...", X-Apple-Unsubscribe: true): the
    // sender asks to be taken off, an opt-out as in a feedback report.
    // (Not a report that quotes or carries the header, not mail from a daemon.)
    if header("X-Apple-Unsubscribe").is_some_and(|v| v.eq_ignore_ascii_case("true"))
        && parts.dsn.is_empty()
        && parts.report_type.is_none()
        && msg.from.is_some()
        && !DAEMONS.iter().any(|d| from.contains(d))
    {
        return Report {
            kind: Kind::Complaint,
            recipients: vec![Recipient::bare(msg.from.clone(), Reason::Feedback)],
            original_message_id: None,
            feedback_type: Some("opt-out".into()),
        };
    }

    // Complaints (ARF, and Hotmail's older non-ARF reports).
    // Hotmail's older form is the reported message itself with Hotmail's field added to its header
    // ("x-sender: staff@hotmail.com / X-HmXmrOriginalRecipient: a@b / Received: ..."). Hotmail writes
    // the field into mail it delivers too: only the report's own "x-sender" makes the report, and a
    // delivery report that returns a message with the field is no complaint.
    let hotmail_own = msg
        .raw("X-HmXmrOriginalRecipient")
        .filter(|_| msg.raw("x-sender").is_some_and(|v| text::contains_ci(v, "staff@hotmail.com")))
        .and_then(dsn::clean_address);
    let hotmail_complaint = hotmail_own.is_some()
        || text::contains_ci(&parts.original_headers, "x-hmxmroriginalrecipient:")
            && parts.dsn.is_empty()
            && parts.report_type.as_deref() != Some("delivery-status")
            && !DAEMONS.iter().any(|d| from.contains(d));
    // AOL's feedback loop before ARF ("X-Loop: scomp", "Email Feedback Report for IP ...").
    let aol_complaint = header("X-Loop").is_some_and(|v| v.eq_ignore_ascii_case("scomp"));
    // The feedback-report part alone, its fields read as a header block.
    let feedback_part = depth == 0 && msg.raw("Feedback-Type").is_some() && msg.raw("From").is_none();
    if feedback_part {
        parts.feedback = text::lossy(&raw[..body_at]).into_owned();
    }
    if parts.report_type.as_deref() == Some("feedback-report")
        || !parts.feedback.is_empty()
        || hotmail_complaint
        || aol_complaint
    {
        // A report whose parts could not be told apart (a broken boundary) still carries its
        // feedback fields in the body.
        let f = arf::parse(if parts.feedback.is_empty() { &parts.body } else { &parts.feedback });
        let mut addresses: Vec<Option<String>> = f.original_rcpt_to.iter().cloned().map(Some).collect();
        if addresses.is_empty() {
            // Without Original-Rcpt-To, the reported message's To; but Hotmail's own field names
            // the recipient, and when the To is the sender's own address (spam sent blind), so do
            // the envelope fields the receiving system wrote (X-Original-To, Delivered-To).
            let fields = dsn::fields(&parts.original_headers);
            let field =
                |name: &str| fields.iter().find(|(n, _)| n.as_str() == name).and_then(|(_, v)| dsn::clean_address(v));
            let to_self = parts.original_to.is_none()
                || field("from")
                    .is_some_and(|f| parts.original_to.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(&f)));
            let envelope = || if to_self { field("x-original-to").or_else(|| field("delivered-to")) } else { None };
            addresses.push(
                field("x-hmxmroriginalrecipient")
                    .or_else(|| hotmail_own.clone())
                    .or_else(envelope)
                    .or(parts.original_to.clone()),
            );
        }
        return Report {
            kind: Kind::Complaint,
            recipients: addresses.into_iter().map(|address| Recipient::bare(address, Reason::Feedback)).collect(),
            original_message_id: parts.original_message_id,
            feedback_type: f.feedback_type.or(Some("abuse".into())),
        };
    }

    let mut dsn = dsn::parse(&parts.dsn);
    let mut dsn_in_text = false;
    if dsn.is_empty() && text::contains_ci(&parts.body, "recipient:") {
        let embedded = dsn::parse(&parts.body);
        if embedded.iter().any(|r| r.status.is_some() || r.action.is_some()) {
            dsn = embedded;
            dsn_in_text = true;
        }
    }
    let lower_subject = subject.to_ascii_lowercase();
    let daemon_named = DAEMONS.iter().any(|d| raw_from.contains(d));
    // The daemon's own address, or its name with no address ("MAILER-DAEMON <>"), not a name in
    // front of somebody's address ("Postmaster <news@example.com>").
    let daemon_address = DAEMONS.iter().any(|d| from.contains(d)) || daemon_named && !from.contains('@');
    let from_daemon = daemon_address || daemon_named;
    let failed_header = header("X-Failed-Recipients");
    let strong_bounce = !dsn.is_empty()
        || parts.report_type.as_deref() == Some("delivery-status")
        || failed_header.is_some()
        || from_daemon;
    let by_subject = BOUNCE_SUBJECTS.iter().any(|s| lower_subject.contains(s))
        || EXCHANGE_SUBJECTS.iter().any(|s| lower_subject.starts_with(s));
    let by_reply = pasted && says_smtp_error(&parts.body);
    let by_phrase = !(strong_bounce || by_subject || by_reply) && {
        let head = reason::normalise_prefix(&parts.body, 2000);
        BOUNCE_BODY.iter().chain(if pasted { PASTED_BODY } else { &[] }).any(|p| head.contains(p))
            || pasted
                && (is_pasted_reply(&parts.body, &head)
                    || is_unquoted_statement(&parts.body, &head, PASTED_STATEMENT)
                    || says_naver_failed(&parts.body)
                    // Exchange's delay report: "Delivery is delayed to these recipients or groups:",
                    // also with the poster's question about it; not the wording in quotation marks.
                    || is_unquoted(&head, &["delivery is delayed to these recipients"])
                    // Gmail's details pasted alone: "DNS Error: 2829201 DNS type 'mx' lookup of
                    // example.org responded with code NOERROR" (the text begins so; a ticket that
                    // mentions it does not).
                    || head.starts_with("dns error: ") && head.contains(" lookup of ")
                    || lists_before_the_copy(&parts.body, &head)
                    || says_postfix_size_limit(&parts.body, &head)
                    // Log lines of a returned or deferred message ("... dsn=5.1.1, stat=User unknown").
                    || text::has_failed_log_line(&parts.body)
                    || quotes_client_error(&parts.body, &head)
                    || lists_a_deferred_queue_entry(&parts.body)
                    || lists_under_the_mail_system(&parts.body, &head))
    };
    let bounce_like = strong_bounce || by_subject || by_reply || by_phrase;

    let auto_headers = header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("Precedence").is_some_and(|p| p.eq_ignore_ascii_case("auto_reply"));
    // A daemon's address alone makes no report of an out-of-office reply that says what it is in
    // its headers and its subject: Amazon SES relays those from MAILER-DAEMON@amazonses.com.
    let auto_submitted = header("Auto-Submitted");
    let relayed_auto_reply = from_daemon
        && dsn.is_empty()
        && parts.report_type.is_none()
        && failed_header.is_none()
        && (auto_headers || autoreply::says_auto_replied(auto_submitted.as_deref()))
        && autoreply::subject_says_so(&subject)
        && !says_smtp_error(&parts.body)
        && {
            let head = reason::normalise_prefix(&parts.body, 2000);
            !BOUNCE_BODY.iter().any(|p| head.contains(p))
        };
    if autoreply::is_auto_reply(
        auto_submitted.as_deref(),
        &subject,
        &parts.body,
        auto_headers,
        strong_bounce && !relayed_auto_reply,
        bounce_like,
        pasted,
    ) {
        let address = msg.from.clone();
        return Report {
            kind: Kind::AutoReply,
            recipients: vec![Recipient { diagnostic: Some(subject), ..Recipient::bare(address, Reason::Vacation) }],
            original_message_id: parts.original_message_id,
            feedback_type: None,
        };
    }
    if !bounce_like {
        // Somebody forwarded a report: attached whole, or inline after "---------- Forwarded
        // message ---------".
        return parts
            .nested
            .as_deref()
            .and_then(|m| forwarded_report(m, depth))
            .or_else(|| forwarded(&parts.body).and_then(|f| forwarded_report(f.as_bytes(), depth)))
            .unwrap_or_else(Report::not_bounce);
    }

    // Somebody forwarded a report with its subject ("Fwd: Delivery Status Notification
    // (Failure)"): the report is the forwarded message, not the note above it ("please use
    // alice.new@example.net from now on" names no failed recipient).
    if !strong_bounce && let Some(report) = forwarded(&parts.body).and_then(|f| forwarded_report(f.as_bytes(), depth)) {
        return report;
    }
    let body = text::cut_original(&parts.body);
    let report_text = Body::new(body);
    let sender = msg.to.as_deref();
    let text_recipients = text::recipients(body, std::slice::from_ref(&from), sender);
    // Where each address (lower case) is first named in the text: a report may name thousands.
    let mut named: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, t) in text_recipients.iter().enumerate() {
        named.entry(t.address.to_ascii_lowercase()).or_insert(i);
    }
    let named_at = |a: &str| named.get(&a.to_ascii_lowercase()).map(|&i| &text_recipients[i]);

    let mut recipients = Vec::new();
    if !dsn.is_empty() {
        for (i, d) in dsn.iter().enumerate() {
            // A final recipient on a host name without a dot ("user@sims-ms-daemon") is the
            // receiving system's internal route; the original recipient is the address we sent to.
            let address = match (&d.final_recipient, &d.original_recipient) {
                (Some(f), Some(o)) if !f.rsplit('@').next().is_some_and(|host| host.contains('.')) => Some(o.clone()),
                (f, o) => f.clone().or_else(|| o.clone()),
            }
            .or_else(|| text_recipients.get(i).map(|t| t.address.clone()));
            let from_text = address
                .as_ref()
                .and_then(|a| named_at(a).or_else(|| d.original_recipient.as_ref().and_then(|o| named_at(o))));
            let diagnostic = d
                .diagnostic
                .clone()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| from_text.map(|t| t.diagnostic.clone()));
            let extra = from_text.map(|t| t.diagnostic.as_str()).unwrap_or("");
            recipients.push(finish(Evidence {
                address,
                status: d.status.clone(),
                status_comment: d.status_comment.clone(),
                diagnostic,
                diagnostic_type: d.diagnostic_type.clone(),
                remote_mta: d.remote_mta.clone(),
                action: d.action.clone(),
                extra,
                body: &report_text,
            }));
        }
        // The report's text lists every one of them, in another order (Exim's delivery-status
        // part names them last first): the order the message shows first counts.
        if recipients.len() > 1 {
            let listed_at = |r: &Recipient| {
                r.address
                    .as_deref()
                    .and_then(|a| named.get(&a.to_ascii_lowercase()))
                    .filter(|&&i| text_recipients[i].listed)
            };
            if recipients.iter().all(|r| listed_at(r).is_some()) {
                recipients.sort_by_cached_key(listed_at);
            }
        }
        if dsn_in_text {
            // Delivery-status fields copied into the text (a report flattened or cut short) may
            // cover fewer recipients than the report lists: the others count too.
            let mut known: std::collections::HashSet<String> = dsn
                .iter()
                .flat_map(|d| [&d.final_recipient, &d.original_recipient])
                .chain(recipients.iter().map(|r| &r.address))
                .filter_map(|a| a.as_deref().map(str::to_ascii_lowercase))
                .collect();
            for t in text_recipients.iter().filter(|t| t.listed) {
                if known.insert(t.address.to_ascii_lowercase()) {
                    recipients.push(from_text(t.address.clone(), t.diagnostic.clone(), &report_text));
                }
            }
        }
    } else {
        let mut list: Vec<(String, String)> =
            text_recipients.iter().map(|t| (t.address.clone(), t.diagnostic.clone())).collect();
        if list.is_empty()
            && let Some(h) = &failed_header
        {
            for a in h.split(',').filter_map(dsn::clean_address) {
                let diag = text_recipients
                    .iter()
                    .find(|t| t.address.eq_ignore_ascii_case(&a))
                    .map(|t| t.diagnostic.clone())
                    .unwrap_or_default();
                list.push((a, diag));
            }
        }
        if list.is_empty()
            && depth < 3
            && let Some(nested) = &parts.nested
        {
            // A bounce forwarded as an attachment: read the inner one.
            let inner = parse_at(nested, depth + 1);
            if inner.kind == Kind::Bounce && inner.recipients.iter().any(|r| r.address.is_some()) {
                return inner;
            }
        }
        if list.is_empty()
            && let Some(to) = &parts.original_to
        {
            list.push((to.clone(), String::new()));
        }
        if list.is_empty()
            && let Some(to) = quoted_to(&parts.body[body.len()..])
        {
            // A plain-text bounce that quotes the original message after its report.
            list.push((to, String::new()));
        }
        if list.is_empty() {
            // No recipient can be named (an address redacted or cut off): the remote server's
            // reply, where the report quotes one, still says why.
            let quoted = text::quoted_reply(body);
            let by_quote = quoted.is_some();
            let reply = quoted.or_else(|| text::reason_line(body).map(str::to_string));
            // Known by a phrase such as "unable to deliver", or by its sender's name and subject
            // alone ("Postmaster <news@example.com>", "Undeliverable: Incoming messages failure"):
            // no daemon's address, no delivery status part, no X-Failed-Recipients. For a phrase,
            // only a quoted reply or qmail's reason counts, not a status alone ("our app, version
            // 5.2.1").
            // (A paste that begins as a mail system's report does, naming its writer: "Hi. This is
            // the qmail-send program at example.jp. ... This is a permanent error; I've given up.",
            // cut before its address.)
            let first_line = body.trim_start().lines().next().unwrap_or("");
            let nothing = text::find_reply_code(body).is_none()
                && report_text.reason().is_none()
                && !report_text.says_delayed()
                && !(pasted && MTA_SELF_NAMES.iter().any(|n| text::contains_ci(first_line, n)));
            let by_name = !pasted
                && !daemon_address
                && parts.report_type.as_deref() != Some("delivery-status")
                && failed_header.is_none();
            if nothing
                && (by_phrase && !by_quote && !body.lines().any(text::is_qmail_reason)
                    || by_name && reply.is_none() && text::find_status(body).is_none())
            {
                // No recipient, no reply, no status, no cause, no delay: a courier's notice or a
                // phishing mail that imitates a report, not a report.
                return Report::not_bounce();
            }
            list.push((String::new(), reply.unwrap_or_default()));
        }
        // One recipient whose lines give no status, in a report that gives one status elsewhere as a
        // server's reply stands (Seznam: "Důvod / Reason: / 5.1.1 szn; ..." below the address; a
        // page that folded Postfix's "said: 550 5.1.1" onto the line before the address): the
        // status is its, when its class agrees with the recipient's reply code or delay.
        let single = list.len() == 1;
        for (a, diag) in list {
            let lone_status = |address: &str, diag: &str| {
                if !single || address.is_empty() {
                    return None;
                }
                let status = text::lone_reply_status(body, address)?;
                let class = match text::find_reply_code(diag) {
                    Some(code) => Some(if code >= 500 { '5' } else { '4' }),
                    None => report_text.says_delayed().then_some('4'),
                };
                class.is_none_or(|c| status.starts_with(c)).then_some(status)
            };
            recipients.push(from_text_or(a, diag, &report_text, lone_status));
        }
    }
    // Mail.ru names the cause in a header of its report ("X-Mailer-Daemon-Error: user_not_found"
    // for "550 Message was not accepted -- invalid mailbox. Local mailbox a@b is unavailable"): its
    // own mailbox, not a remote reply that a filter may have written.
    if header("X-Mailer-Daemon-Error").is_some_and(|e| e.eq_ignore_ascii_case("user_not_found")) {
        // (A temporary failure stays what it is.)
        let permanent = |r: &Recipient| r.status.as_deref().is_none_or(|s| s.starts_with('5'));
        for r in recipients
            .iter_mut()
            .filter(|r| permanent(r) && matches!(r.reason, Reason::Filtered | Reason::OnHold | Reason::Undefined))
        {
            r.reclassify(Reason::UserUnknown);
        }
    }
    // Content-filtering gateways answer "user unknown" for what their rules
    // rejected: Sisimai's taxonomy calls that "filtered".
    let exact = |r: &Recipient| r.status.as_deref().is_some_and(|s| s.ends_with(".1.1"));
    let head_end = body_at;
    if recipients.iter().any(|r| r.reason == Reason::UserUnknown && !exact(r))
        && (FILTER_GATEWAYS.is_match(&raw[..head_end].to_ascii_lowercase())
            || FILTER_GATEWAYS.is_match(&body.to_ascii_lowercase()))
    {
        for r in &mut recipients {
            if r.reason == Reason::UserUnknown && !exact(r) {
                r.reclassify(Reason::Filtered);
            }
        }
    }
    // A warning that says so in its subject (Sendmail's "Warning: could not send message for past 4
    // hours", Exim's "Warning: message 1abc-000 delayed 24 hours"), often without a delivery-status
    // part: its recipients without an action of their own and without a permanent status are
    // delayed, not failed. (A mixed report, "Undeliverable: ..." with a delayed section, is no such
    // warning.)
    if says_delay_warning(&lower_subject) {
        let temporary = |r: &Recipient| r.status.as_deref().is_none_or(|s| !s.starts_with('5'));
        for r in recipients.iter_mut().filter(|r| r.action.is_none() && temporary(r)) {
            r.action = Some("delayed".into());
        }
    }
    Report { kind: Kind::Bounce, recipients, original_message_id: parts.original_message_id, feedback_type: None }
}

/// The keys of an Amazon SES notification's JSON, searched for in every body (built once).
static SES_KEYS: LazyLock<[memchr::memmem::Finder<'static>; 2]> =
    LazyLock::new(|| ["notificationType", "eventType"].map(memchr::memmem::Finder::new));

/// The subject (lower case) of a warning that delivery is delayed and still being tried.
fn says_delay_warning(subject: &str) -> bool {
    [
        "warning: could not send message for past",
        "delayed mail (still being retried)",
        "delivery status notification (delay)",
        "(mail delivery delayed)",
        "delivery has been delayed",
        "delivery status notification: delayed",
        "delivery delayed:",
    ]
    .iter()
    .any(|p| text::contains_ci(subject, p))
        || subject.starts_with("warning: message ") && subject.contains(" delayed ")
}

/// The report somebody forwarded (`message`, attached or cut out of the text), read when it is one
/// beyond doubt and names a recipient.
fn forwarded_report(message: &[u8], depth: u8) -> Option<Report> {
    if depth >= 3 || !is_report(message) {
        return None;
    }
    Some(parse_at(message, depth + 1))
        .filter(|r| r.kind == Kind::Bounce && r.recipients.iter().any(|x| x.address.is_some()))
}

/// A forwarded message is a report beyond doubt: it has a delivery-status part or an
/// X-Failed-Recipients field, or it comes from a mailer daemon's address and quotes a status or
/// an SMTP reply. Its subject and wording alone may be anybody's ("Your login failed", "Order
/// rejected", a phishing mail's "Your mailbox does not exist").
fn is_report(message: &[u8]) -> bool {
    let Some((head, at)) = Head::parse(message, mime::MESSAGE) else { return false };
    if head.report_type.as_deref() == Some("delivery-status")
        || head.raw("X-Failed-Recipients").is_some()
        || text::contains_ci(&text::lossy(message), "content-type: message/delivery-status")
    {
        return true;
    }
    let from = head.from.as_deref().unwrap_or("").to_ascii_lowercase();
    let body = text::lossy(&message[at..]);
    // Exchange and Microsoft 365 send their reports as "MicrosoftExchange329e71ec88ae...@domain".
    let daemon = DAEMONS.iter().chain(&["microsoftexchange"]).any(|d| from.contains(d));
    // A reply with its status ("550 5.1.1 ..."), or a report's subject and a failure's status
    // ("Undeliverable: ..." and "This is an 5.1.2 Error"); not a number in an IT notice from
    // postmaster@ ("if Outlook shows error 550", "412 messages in your quarantine").
    let subject = head.subject.as_deref().unwrap_or("").to_ascii_lowercase();
    let failed_status = || text::find_status(&body).is_some_and(|s| s.starts_with(['4', '5']));
    daemon
        && (text::replied_status(&body).is_some()
            || BOUNCE_SUBJECTS.iter().any(|b| subject.contains(b)) && failed_status())
}

/// The message forwarded inline in `body`: what follows the line a mail program writes before it
/// ("---------- Forwarded message ---------", "-------- Original Message --------", "Begin
/// forwarded message:"), from its header block to the next such line (where a forwarded report
/// quotes the message it returns).
fn forwarded(body: &str) -> Option<&str> {
    let marker = |line: &str| {
        let words = line.trim().trim_matches('-').trim();
        ["forwarded message", "original message", "begin forwarded message:"]
            .iter()
            .any(|m| words.eq_ignore_ascii_case(m))
    };
    let mut at = 0;
    let mut start = None;
    for line in body.split_inclusive('\n') {
        if start.is_some() && marker(line) {
            break;
        }
        at += line.len();
        if start.is_none() && marker(line) {
            start = Some(at);
        }
    }
    let inner = body[start?..at].trim_start();
    mime::starts_with_field(inner.as_bytes()).then_some(inner)
}

/// A recipient known only from the report's text: its address (empty if none could be named) and
/// the lines that explain it, which give the status when they quote one.
fn from_text(address: String, diagnostic: String, body: &Body) -> Recipient {
    from_text_or(address, diagnostic, body, |_, _| None)
}

/// `from_text`, with the status `fallback` gives (from the address and the diagnostic) for a
/// diagnostic that has none of its own.
fn from_text_or(
    address: String,
    diagnostic: String,
    body: &Body,
    fallback: impl FnOnce(&str, &str) -> Option<String>,
) -> Recipient {
    let diagnostic = Some(diagnostic).filter(|d| !d.trim().is_empty());
    let status = diagnostic.as_deref().and_then(|d| text::find_status(d).or_else(|| fallback(&address, d)));
    let address = Some(address).filter(|a| !a.is_empty());
    finish(Evidence { status, diagnostic, ..Evidence::new(address, body) })
}

/// The `To` of an original message quoted as text.
fn quoted_to(quoted: &str) -> Option<String> {
    dsn::fields(quoted).into_iter().find(|(name, _)| name.as_str() == "to").and_then(|(_, v)| dsn::clean_address(&v))
}

fn from_ses(notice: ses::SesNotice, body: &str) -> Report {
    let body = Body::new(body);
    let kind = if notice.kind == "Complaint" { Kind::Complaint } else { Kind::Bounce };
    let mut recipients = Vec::new();
    for r in notice.recipients {
        let address = Some(r.address);
        let rec = match notice.kind.as_str() {
            "Complaint" => Recipient::bare(address, Reason::Feedback),
            "Delivery" => Recipient {
                address,
                status: r.diagnostic.as_deref().and_then(text::find_status),
                reply_code: r.diagnostic.as_deref().and_then(|d| d.get(..3)?.parse().ok()),
                reason: Reason::Delivered,
                hard: false,
                diagnostic: r.diagnostic,
                remote_mta: r.remote_mta,
                action: Some("delivered".into()),
            },
            _ => finish(Evidence {
                // Only a status code counts, not whatever the field holds.
                status: r.status.as_deref().and_then(text::find_status),
                diagnostic: r.diagnostic,
                remote_mta: r.remote_mta,
                action: Some(if notice.kind == "DeliveryDelay" { "delayed" } else { "failed" }.into()),
                ..Evidence::new(address, &body)
            }),
        };
        recipients.push(rec);
    }
    Report {
        kind,
        recipients,
        original_message_id: notice.message_id,
        feedback_type: if kind == Kind::Complaint { notice.feedback_type.or(Some("abuse".into())) } else { None },
    }
}

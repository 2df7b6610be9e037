//! RFC 3834 auto-replies, vacation and out-of-office notices (English, German and
//! Russian, and the subject lines of the neighbouring languages). They are not
//! bounces.

use crate::reason::{normalise, normalise_prefix};

const SUBJECT_PHRASES: &[&str] = &[
    "out of office",
    "out of the office",
    "out-of-office",
    "auto reply",
    "autoreply",
    "auto-reply",
    "automatic reply",
    "automatische antwort",
    "abwesenheitsnotiz",
    "abwesenheit",
    "vacation",
    "on holiday",
    "im urlaub",
    "nicht im büro",
    "autoresponse",
    "auto response",
    "thank you for your e-mail",
    "thank you for your email",
    "thank you for your message",
    "vielen dank für ihre nachricht",
    "vielen dank für ihre e-mail",
    "danke für ihre nachricht",
    "eingangsbestätigung",
    // French, Spanish, Italian, Portuguese, Dutch, Polish, Czech, Scandinavian.
    "réponse automatique",
    "reponse automatique",
    "respuesta automática",
    "respuesta automatica",
    "risposta automatica",
    "resposta automática",
    "automatisch antwoord",
    "afwezigheidsbericht",
    "automatyczna odpowied",
    "automatická odpověď",
    "autosvar",
    "automatisk svar",
    // Russian: "Автоматический ответ" (Outlook's), "Автоответ".
    "автоматический ответ",
    "автоответ",
];

const BODY_PHRASES: &[&str] = &[
    "i am out of the office",
    "i'm out of the office",
    // (Of the office, the country or town: "I'm currently out of budget for new tools" is no
    // auto-reply.)
    "currently out of the office",
    "currently out of office",
    "currently out of the country",
    "currently out of town",
    "i am on vacation",
    "i am away",
    "i will be back",
    "i will return",
    "limited access to email",
    "i will endeavour to reply",
    "i will endeavor to reply",
    "i will reply as soon as",
    "i will respond as soon as",
    "i will get back to you as soon as",
    "ich melde mich schnellstmöglich",
    "ich melde mich so bald wie möglich",
    "bin ich nicht im büro",
    "ich bin bis",
    "bin ich im urlaub",
    "ich bin im urlaub",
    "ich bin derzeit nicht",
    "ich bin zurzeit nicht",
    "wieder erreichbar",
    "out of office until",
    "out of the office until",
    "will be out of office",
    "will be out of the office",
    "i am currently unavailable",
    "i'm currently unavailable",
    "as soon as i return",
    "upon my return",
    "i'll write back as soon as",
    "i will write back as soon as",
    "bin ich abwesend",
    "bin ich außer haus",
    // Russian: "доступ к почте может быть ограничен" (access to mail may be limited), as "limited
    // access to email" above. (Not "я нахожусь в отпуске", I am on leave, or "буду в отпуске": people
    // write those in ordinary mail and replies.)
    "доступ к почте может быть ограничен",
    "доступ к почте ограничен",
    "ограниченный доступ к почте",
    // "Ваше письмо будет прочитано после моего возвращения" (your mail will be read after my return).
    "будет прочитано после",
];

/// A help desk's acknowledgement: "This is an automatic email just to let you know that we've
/// received your request and your ticket reference is #681", "Your support request has been
/// submitted to our team". Only in a mail that is not a report otherwise (a bounce may quote such
/// a mail).
const ACKNOWLEDGEMENT_PHRASES: &[&str] = &[
    "this is an automatic email just to let you know",
    "this is an automated email just to let you know",
    "your support request has been submitted",
    "your ticket reference is",
];

/// Out-of-office sentences that people also write in ordinary mail ("Thanks! I'll be back with
/// feedback"): they count only for text pasted without its header block, where no subject or
/// header can say what it is.
const PASTED_BODY_PHRASES: &[&str] = &["i'll be back", "wieder im büro", "nach meiner rückkehr"];

/// Chinese and Japanese mail services name their automatic replies so ("QQ Mail's automatic
/// reply"); acknowledgements say the mail arrived. Delivery reports in these languages can say
/// "automatic reply, do not answer" too, so these count only for a message that does not look
/// like a bounce.
const CJK_BODY_PHRASES: &[&str] = &[
    "自动回复",
    "感谢您的来信",
    "邮件我已收到",
    "来信我已收到",
    "邮件已收到",
    "来信已收到",
    "自動回復",
    "自動返信",
    "自動応答",
];

/// An `Auto-Submitted` value that marks an auto-reply (RFC 3834 `auto-replied`, with or without
/// parameters).
pub(crate) fn says_auto_replied(auto_submitted: Option<&str>) -> bool {
    auto_submitted.is_some_and(|a| a.trim().to_ascii_lowercase().starts_with("auto-replied"))
}

/// The subject says it is an auto-reply ("Out of Office", "Abwesenheitsnotiz", "Auto-Reply"), and
/// is not a person's reply to one or forward of one (`answers_an_auto_reply`).
pub(crate) fn subject_says_so(subject: &str) -> bool {
    let subject = normalise(subject);
    names_an_auto_reply(&subject) && !answers_an_auto_reply(&subject)
}

/// `subject` (normalised) has an auto-reply's words.
fn names_an_auto_reply(subject: &str) -> bool {
    SUBJECT_PHRASES.iter().any(|p| subject.contains(p))
}

/// A person's reply to an auto-reply or forward of one: the subject's reply or forward mark stands
/// right before the auto-reply's words ("RE: Out of office", "AW: Abwesenheitsnotiz: Angebot",
/// "Fwd: Automatic reply: ..."), not after them ("Automatic reply: Re: your order") or apart from
/// them ("Re: Your order 5521 [Auto-Reply]", an autoresponder's tag). `subject` is normalised.
fn answers_an_auto_reply(subject: &str) -> bool {
    // (Every mark ends in a colon: most subjects are done with at once.)
    subject.contains(':')
        && SUBJECT_PHRASES.iter().any(|p| {
            subject.match_indices(p).any(|(at, _)| {
                let before = subject[..at].trim_end();
                REPLY_PREFIXES
                    .iter()
                    .any(|r| before.strip_suffix(r).is_some_and(|rest| !rest.ends_with(|c: char| c.is_alphanumeric())))
            })
        })
}

/// How mail programs mark a reply or a forward in the subject (English, German, French, Dutch,
/// Scandinavian, Russian), lower case.
const REPLY_PREFIXES: &[&str] =
    &["re:", "re :", "fwd:", "fw:", "aw:", "wg:", "tr:", "antw:", "sv:", "vs:", "vb:", "отв:", "пересл:"];

/// Is this message an auto-reply? `auto_submitted` is the header value,
/// `headers_say_autoreply` tells whether other headers (`X-Autoreply`,
/// `Precedence: auto_reply`) mark it. `strong_bounce` says the message is
/// surely a delivery report; `weak_bounce` that its subject or text look like
/// one (bounces often carry `Auto-Submitted: auto-replied` too); `pasted` that the text came
/// without a header block.
pub(crate) fn is_auto_reply(
    auto_submitted: Option<&str>,
    subject: &str,
    body: &str,
    headers_say_autoreply: bool,
    strong_bounce: bool,
    weak_bounce: bool,
    pasted: bool,
) -> bool {
    if strong_bounce {
        return false;
    }
    let subject = normalise(subject);
    if names_an_auto_reply(&subject) {
        if !answers_an_auto_reply(&subject) {
            return true;
        }
        // A person's answer to an auto-reply, whose text it may quote, unless its headers say
        // otherwise.
        if !says_auto_replied(auto_submitted) && !headers_say_autoreply {
            return false;
        }
    }
    let head = normalise_prefix(body, 600);
    if BODY_PHRASES.iter().chain(if pasted { PASTED_BODY_PHRASES } else { &[] }).any(|p| head.contains(p)) {
        return true;
    }
    if !weak_bounce && CJK_BODY_PHRASES.iter().chain(ACKNOWLEDGEMENT_PHRASES).any(|p| head.contains(p)) {
        return true;
    }
    (says_auto_replied(auto_submitted) || headers_say_autoreply) && !weak_bounce
}

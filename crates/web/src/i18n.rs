//! The public pages' texts, in German and English; the list's language picks one.

use std::collections::BTreeMap;

use kurier_core::Language;

/// Text keys and their wording. `{list}` is replaced by the list's name in the template.
const TEXTS: &[(&str, &str, &str)] = &[
    // (key, English, German)
    ("subscribe_title", "Subscribe to {list}", "{list} abonnieren"),
    ("email_label", "Email address", "E-Mail-Adresse"),
    ("name_label", "Name (optional)", "Name (optional)"),
    ("subscribe_button", "Subscribe", "Anmelden"),
    (
        "privacy_note",
        "You can unsubscribe at any time with the link in every email.",
        "Sie können sich jederzeit über den Link in jeder E-Mail abmelden.",
    ),
    (
        "consent_missing",
        "Please tick the box to give your consent.",
        "Bitte setzen Sie das Häkchen, um Ihre Einwilligung zu geben.",
    ),
    ("email_invalid", "This is not a valid email address", "Das ist keine gültige E-Mail-Adresse"),
    (
        "name_invalid",
        "Please enter your name on one line, with at most 100 characters.",
        "Bitte geben Sie Ihren Namen in einer Zeile mit höchstens 100 Zeichen ein.",
    ),
    ("check_inbox_title", "Please check your inbox", "Bitte prüfen Sie Ihr Postfach"),
    (
        "check_inbox_text",
        "If the address can receive our emails, we have just sent a message to it. Please click the link in it to confirm your subscription to {list}. The link works for {days} days.",
        "Wenn die Adresse unsere E-Mails empfangen kann, haben wir gerade eine Nachricht dorthin geschickt. Bitte klicken Sie auf den Link darin, um Ihre Anmeldung zu {list} zu bestätigen. Der Link ist {days} Tage gültig.",
    ),
    ("subscribed_title", "Thank you", "Vielen Dank"),
    ("subscribed_text", "Your subscription to {list} is recorded.", "Ihre Anmeldung zu {list} ist gespeichert."),
    ("confirm_title", "Confirm your subscription", "Anmeldung bestätigen"),
    (
        "confirm_text",
        "Please confirm that you want to receive {list}.",
        "Bitte bestätigen Sie, dass Sie {list} erhalten möchten.",
    ),
    ("confirm_button", "Yes, confirm my subscription", "Ja, Anmeldung bestätigen"),
    ("confirmed_title", "Subscription confirmed", "Anmeldung bestätigt"),
    (
        "confirmed_text",
        "Thank you! You will now receive {list}. You can unsubscribe at any time with the link in every email.",
        "Vielen Dank! Sie erhalten ab jetzt {list}. Sie können sich jederzeit über den Link in jeder E-Mail abmelden.",
    ),
    (
        "not_pending_text",
        "There is no pending subscription for this link. If you unsubscribed in the meantime, please subscribe again.",
        "Zu diesem Link gibt es keine offene Anmeldung. Falls Sie sich zwischenzeitlich abgemeldet haben, melden Sie sich bitte neu an.",
    ),
    ("unsubscribe_title", "Unsubscribe", "Abmelden"),
    ("unsubscribe_text", "Do you want to stop receiving {list}?", "Möchten Sie {list} nicht mehr erhalten?"),
    ("unsubscribe_all_label", "Unsubscribe from all our lists", "Von allen unseren Listen abmelden"),
    ("unsubscribe_button", "Unsubscribe", "Abmelden"),
    ("unsubscribed_title", "You are unsubscribed", "Sie sind abgemeldet"),
    (
        "unsubscribed_text",
        "You will receive no more emails from {list}. We are sorry to see you go.",
        "Sie erhalten keine E-Mails von {list} mehr. Schade, dass Sie gehen.",
    ),
    (
        "unsubscribed_all_text",
        "You will receive no more emails from any of our lists.",
        "Sie erhalten von keiner unserer Listen mehr E-Mails.",
    ),
    ("link_invalid_title", "This link does not work", "Dieser Link funktioniert nicht"),
    (
        "link_invalid_text",
        "The link is incomplete or damaged. Please copy it from the email completely.",
        "Der Link ist unvollständig oder beschädigt. Bitte kopieren Sie ihn vollständig aus der E-Mail.",
    ),
    ("link_expired_title", "This link has expired", "Dieser Link ist abgelaufen"),
    (
        "link_expired_text",
        "Confirmation links work for {days} days. Please subscribe again to receive a new one.",
        "Bestätigungslinks sind {days} Tage gültig. Bitte melden Sie sich erneut an, um einen neuen zu erhalten.",
    ),
    ("subscribe_again", "Subscribe again", "Erneut anmelden"),
    ("not_found_title", "Page not found", "Seite nicht gefunden"),
    ("not_found_text", "There is no list with this name.", "Es gibt keine Liste mit diesem Namen."),
    ("too_many_title", "Too many requests", "Zu viele Anfragen"),
    (
        "too_many_text",
        "Please wait a few minutes and try again.",
        "Bitte warten Sie einige Minuten und versuchen Sie es dann erneut.",
    ),
    ("bad_request_title", "The form could not be read", "Das Formular konnte nicht gelesen werden"),
    (
        "bad_request_text",
        "Please go back and send the form again.",
        "Bitte gehen Sie zurück und senden Sie das Formular erneut.",
    ),
    ("error_title", "Something went wrong", "Etwas ist schiefgelaufen"),
    ("error_text", "Please try again in a few minutes.", "Bitte versuchen Sie es in einigen Minuten erneut."),
    ("sent_by", "Sent by", "Versand durch"),
    ("home_title", "Emails from {sender}", "E-Mails von {sender}"),
    (
        "home_text",
        "This server sends the newsletters and other emails of {sender}.",
        "Dieser Server versendet die Newsletter und weiteren E-Mails von {sender}.",
    ),
    (
        "unsubscribe_hint",
        "To stop receiving them, use the unsubscribe link at the end of any of our emails; it works with one click.",
        "Wenn Sie keine mehr erhalten möchten, nutzen Sie den Abmeldelink am Ende jeder unserer E-Mails; ein Klick genügt.",
    ),
    ("home_contact", "Contact", "Kontakt"),
];

/// All texts of one language, as the templates' `t` variable.
pub(crate) fn texts(lang: Language) -> BTreeMap<&'static str, &'static str> {
    TEXTS.iter().map(|(k, en, de)| (*k, if lang == Language::De { *de } else { *en })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_once_and_both_languages_filled() {
        let mut keys: Vec<_> = TEXTS.iter().map(|t| t.0).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), TEXTS.len(), "a key is defined twice");
        for (k, en, de) in TEXTS {
            assert!(!en.is_empty() && !de.is_empty(), "{k} lacks a translation");
            assert_eq!(en.contains("{list}"), de.contains("{list}"), "{k}: placeholders differ");
            assert_eq!(en.contains("{days}"), de.contains("{days}"), "{k}: placeholders differ");
            assert_eq!(en.contains("{sender}"), de.contains("{sender}"), "{k}: placeholders differ");
        }
        assert_eq!(texts(Language::De)["unsubscribe_button"], "Abmelden");
    }
}

//! Behaviour on small hand-written messages: formats, kinds, robustness.

use kurier_bounce::{Kind, Reason, parse};

const DSN: &str = "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r
To: bounces+abc@news.example.com\r
Subject: Undelivered Mail Returned to Sender\r
Auto-Submitted: auto-replied\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r
\r
--B\r
Content-Type: text/plain\r
\r
I'm sorry to have to inform you that your message could not be delivered.\r
--B\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.net\r
\r
Final-Recipient: rfc822; anna@example.org\r
Original-Recipient: rfc822;anna@example.org\r
Action: failed\r
Status: 5.1.1\r
Remote-MTA: dns; mx.example.org\r
Diagnostic-Code: smtp; 550 5.1.1 <anna@example.org>: Recipient address\r
    rejected: User unknown in local recipient table\r
\r
Final-Recipient: rfc822; bob@example.org\r
Action: failed\r
Status: 5.2.2\r
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r
\r
Final-Recipient: rfc822; carl@example.org\r
Action: delayed\r
Status: 4.7.1\r
Diagnostic-Code: smtp; 450 4.7.1 Client host rejected: cannot find your\r
    reverse hostname, [192.0.2.1]\r
--B\r
Content-Type: text/rfc822-headers\r
\r
Message-ID: <m1@news.example.com>\r
To: anna@example.org\r
--B--\r
";

#[test]
fn dsn_with_three_recipients() {
    let r = parse(DSN.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    assert_eq!(r.original_message_id.as_deref(), Some("m1@news.example.com"));
    assert_eq!(r.recipients.len(), 3);
    let a = &r.recipients[0];
    assert_eq!(a.address.as_deref(), Some("anna@example.org"));
    assert_eq!(a.status.as_deref(), Some("5.1.1"));
    assert_eq!(a.reply_code, Some(550));
    assert_eq!(a.reason, Reason::UserUnknown);
    assert!(a.hard);
    assert_eq!(a.remote_mta.as_deref(), Some("mx.example.org"));
    let b = &r.recipients[1];
    assert_eq!(b.reason, Reason::MailboxFull);
    assert!(!b.hard);
    let c = &r.recipients[2];
    assert_eq!(c.reason, Reason::RequirePtr);
    assert!(c.reason.blames_sender());
    assert!(!c.hard);
}

#[test]
fn dsn_with_lf_endings_is_the_same() {
    let lf = DSN.replace("\r\n", "\n");
    assert_eq!(parse(lf.as_bytes()), parse(DSN.as_bytes()));
}

#[test]
fn dsn_with_bare_cr_endings_is_the_same() {
    let cr = DSN.replace("\r\n", "\r");
    assert_eq!(parse(cr.as_bytes()), parse(DSN.as_bytes()));
    // A stray CR inside a message with LF line ends is not a line end.
    let stray = DSN
        .replace("\r\n", "\n")
        .replace("Final-Recipient: rfc822; anna@example.org", "Final-Recipient: rfc822; anna@example.org\r");
    assert_eq!(parse(stray.as_bytes()).recipients[0].address.as_deref(), Some("anna@example.org"));
}

#[test]
fn arf_complaint() {
    let msg = "From: feedback@isp.example\n\
Subject: complaint\n\
MIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"X\"\n\
\n\
--X\n\
Content-Type: text/plain\n\
\n\
This is an abuse report.\n\
--X\n\
Content-Type: message/feedback-report\n\
\n\
Feedback-Type: abuse\n\
User-Agent: Example-FBL/1.0\n\
Version: 1\n\
Original-Rcpt-To: <dora@isp.example>\n\
Source-IP: 192.0.2.1\n\
--X\n\
Content-Type: message/rfc822\n\
\n\
Message-ID: <c1@news.example.com>\n\
From: news@news.example.com\n\
To: dora@isp.example\n\
Subject: Our news\n\
\n\
Hello\n\
--X--\n";
    let r = parse(msg.as_bytes());
    assert_eq!(r.kind, Kind::Complaint);
    assert_eq!(r.feedback_type.as_deref(), Some("abuse"));
    assert_eq!(r.original_message_id.as_deref(), Some("c1@news.example.com"));
    assert_eq!(r.recipients[0].address.as_deref(), Some("dora@isp.example"));
    assert_eq!(r.recipients[0].reason, Reason::Feedback);
}

#[test]
fn german_out_of_office_is_an_auto_reply() {
    let msg = "From: Erika Muster <erika@firma.example>\n\
To: news@news.example.com\n\
Subject: Abwesenheitsnotiz: Unser Newsletter\n\
Auto-Submitted: auto-replied\n\
\n\
Vielen Dank für Ihre Nachricht. Ich bin bis zum 3. Mai nicht im Büro.\n";
    let r = parse(msg.as_bytes());
    assert_eq!(r.kind, Kind::AutoReply);
    assert_eq!(r.recipients[0].reason, Reason::Vacation);
    assert!(!r.recipients[0].hard);
}

#[test]
fn english_out_of_office_without_header() {
    let msg = "From: john@corp.example\nTo: news@news.example.com\nSubject: Out of Office: Weekly news\n\nI am out of the office until Monday.\n";
    assert_eq!(parse(msg.as_bytes()).kind, Kind::AutoReply);
}

#[test]
fn plain_text_postfix_bounce() {
    let msg = "From: MAILER-DAEMON@mx.example.net\n\
Subject: Undelivered Mail Returned to Sender\n\
\n\
This is the mail system at host mx.example.net.\n\
\n\
<eve@example.org>: host mx.example.org[192.0.2.9] said: 554 5.7.1\n\
    Service unavailable; Client host [192.0.2.1] blocked using\n\
    zen.spamhaus.org (in reply to RCPT TO command)\n";
    let r = parse(msg.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    let e = &r.recipients[0];
    assert_eq!(e.address.as_deref(), Some("eve@example.org"));
    assert_eq!(e.status.as_deref(), Some("5.7.1"));
    assert_eq!(e.reply_code, Some(554));
    assert_eq!(e.reason, Reason::Blocked);
    assert!(e.reason.blames_sender());
    assert!(!e.hard);
}

#[test]
fn ordinary_mail_is_not_a_bounce() {
    let msg = "From: friend@example.org\nTo: me@example.com\nSubject: Lunch?\n\nShall we meet at noon?\n";
    let r = parse(msg.as_bytes());
    assert_eq!(r.kind, Kind::NotBounce);
    assert!(r.recipients.is_empty());
}

#[test]
fn garbage_never_panics() {
    let inputs: [&[u8]; 6] = [
        b"",
        b"\0\0\0\xff\xfe",
        b"Content-Type: multipart/report; boundary=\"\n\n--",
        b"From: MAILER-DAEMON@x\n\nFinal-Recipient: rfc822;\nStatus: 5.\nDiagnostic-Code: smtp; 5",
        b"From: a@b\nSubject: \xc3\x28 undeliverable\n\n\xe2\x82 <@> @@ a@ @b. 550 5.1.",
        b"Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; x@y.z\n",
    ];
    for raw in inputs {
        let _ = parse(raw);
    }
    // Every prefix of a real-looking DSN.
    for end in 0..DSN.len() {
        if DSN.is_char_boundary(end) {
            let _ = parse(&DSN.as_bytes()[..end]);
        }
    }
}

#[test]
fn german_exim_style_bounce() {
    let msg = "From: Mail Delivery System <mailer-daemon@gmx.example>\n\
Subject: Mail delivery failed: returning message to sender\n\
\n\
This message was created automatically by mail delivery software.\n\
\n\
A message that you sent could not be delivered to one or more of its\n\
recipients. This is a permanent error. The following address(es) failed:\n\
\n\
  max@example.de\n\
    SMTP error from remote server for RCPT TO command, host: mx.example.de\n\
    (192.0.2.5) reason: 550 5.1.1 Empfaenger unbekannt\n\
\n\
--- The header of the original message is following. ---\n\
Message-ID: <o1@news.example.com>\n\
From: news@news.example.com\n\
To: max@example.de\n";
    let r = parse(msg.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    assert_eq!(r.recipients.len(), 1);
    let m = &r.recipients[0];
    assert_eq!(m.address.as_deref(), Some("max@example.de"));
    assert_eq!(m.status.as_deref(), Some("5.1.1"));
    assert_eq!(m.reply_code, Some(550));
    assert_eq!(m.reason, Reason::UserUnknown);
    assert!(m.hard);
}

#[test]
fn bounce_with_auto_submitted_is_still_a_bounce() {
    let msg = "From: mailer-daemon\nSubject: There was an error sending your mail\nAuto-Submitted: auto-replied\n\n\
The following recipients returned permanent errors: ann@example.org. Reason: 554 5.4.6 Hop count exceeded - possible mail loop\n";
    let r = parse(msg.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    assert_eq!(r.recipients[0].address.as_deref(), Some("ann@example.org"));
    assert_eq!(r.recipients[0].reason, Reason::NetworkError);
}

/// Found by the fuzzer: an SES notification whose `status` starts with a
/// multi-byte character, and a diagnostic with a status of its own, made
/// the status comparison slice inside that character.
#[test]
fn ses_status_that_is_not_a_status() {
    let msg = "From: no-reply@sns.example\nSubject: AWS Notification Message\n\n\
{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bouncedRecipients\":[\
{\"emailAddress\":\"ann@example.org\",\"status\":\"\u{e9}5.1.1\",\
\"diagnosticCode\":\"smtp; 550 5.7.1 rejected\"}]}}\n";
    let r = parse(msg.as_bytes());
    assert_eq!(r.kind, Kind::Bounce);
    assert_eq!(r.recipients[0].address.as_deref(), Some("ann@example.org"));
    let status = r.recipients[0].status.as_deref().unwrap_or("");
    assert!(status.is_ascii(), "{status}");
}

// Wordings seen in bounces from outside the labelled corpus (a held-out check against fixtures of
// other projects); the messages here are written for these tests.

/// A plain-text bounce from `MAILER-DAEMON@mx.example.net` whose report says `text`.
fn plain_bounce(text: &str) -> kurier_bounce::Report {
    let msg = format!(
        "From: MAILER-DAEMON@mx.example.net\nTo: bounces+x@news.example.com\nSubject: failure notice\n\n{text}\n"
    );
    parse(msg.as_bytes())
}

#[test]
fn qmail_host_not_found_is_a_hard_host_unknown() {
    let r = plain_bounce(
        "Hi. This is the qmail-send program at mx.example.net.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\
This is a permanent error; I've given up. Sorry it didn't work out.\n\n\
<fay@nowhere.example>:\nSorry, I couldn't find any host by that name.\n",
    );
    assert_eq!(r.recipients[0].address.as_deref(), Some("fay@nowhere.example"));
    assert_eq!(r.recipients[0].reason, Reason::HostUnknown);
    assert!(r.recipients[0].hard);
}

#[test]
fn dns_error_domain_not_found_is_host_unknown_not_a_network_error() {
    let r = plain_bounce(
        "Delivery to the following recipient failed permanently:\n\n     gus@example.comm\n\n\
Technical details of permanent failure:\nDNS Error: Domain name not found\n",
    );
    assert_eq!(r.recipients[0].reason, Reason::HostUnknown);
    assert!(r.recipients[0].hard);
    // Other DNS errors stay network errors.
    let r = plain_bounce(
        "Delivery to the following recipient failed permanently:\n\n     gus@example.com\n\n\
Technical details of permanent failure:\nDNS Error: DNS server returned answer with no data\n",
    );
    assert_eq!(r.recipients[0].reason, Reason::NetworkError);
}

#[test]
fn quota_wordings_are_mailbox_full() {
    for text in [
        "User mailbox exceeds allowed size: hal@example.org\n",
        "<hal@example.org>:\nThis person's account is exceeding their quota.\n",
    ] {
        let r = plain_bounce(text);
        assert_eq!(r.recipients[0].address.as_deref(), Some("hal@example.org"), "{text}");
        assert_eq!(r.recipients[0].reason, Reason::MailboxFull, "{text}");
        assert!(!r.recipients[0].hard, "{text}");
    }
}

#[test]
fn a_contact_address_in_the_report_is_not_a_recipient() {
    let r = plain_bounce(
        "Undeliverable Address: ida@example.org\n\n\
Reason: the recipient is over disk quota.\n\nSystem Contact: postmaster@mx.example.net\n",
    );
    let found: Vec<_> = r.recipients.iter().map(|x| x.address.as_deref()).collect();
    assert_eq!(found, [Some("ida@example.org")]);
    assert_eq!(r.recipients[0].reason, Reason::MailboxFull);
}

#[test]
fn an_internal_final_recipient_gives_way_to_the_original_one() {
    let msg = DSN
        .replace("Final-Recipient: rfc822; anna@example.org", "Final-Recipient: rfc822; anna@store-daemon")
        .replace("Final-Recipient: rfc822; bob@example.org", "Final-Recipient: rfc822; bob@localhost");
    let r = parse(msg.as_bytes());
    // Anna's original recipient is known; Bob's is not, so his internal address is all there is.
    assert_eq!(r.recipients[0].address.as_deref(), Some("anna@example.org"));
    assert_eq!(r.recipients[1].address.as_deref(), Some("bob@localhost"));
}

#[test]
fn a_feedback_report_with_a_broken_boundary_still_names_the_recipient() {
    // The boundary parameter's line lost its indentation, so the parts cannot be told apart.
    let msg = "From: fbl@isp.example\nSubject: FW: offer\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=feedback-report;\nboundary=\"P\"\n\n\
--P\nContent-Type: text/plain\n\nThis is an abuse report.\n\n\
--P\nContent-Type: message/feedback-report\n\n\
Feedback-Type: abuse\nVersion: 1\nOriginal-Rcpt-To: <jo@isp.example>\n\n\
--P\nContent-Type: message/rfc822\n\nFrom: news@news.example.com\nSubject: offer\n\nHello\n--P--\n";
    let r = parse(msg.as_bytes());
    assert_eq!(r.kind, Kind::Complaint);
    assert_eq!(r.feedback_type.as_deref(), Some("abuse"));
    assert_eq!(r.recipients[0].address.as_deref(), Some("jo@isp.example"));
}

#[test]
fn auto_replies_in_other_languages_and_acknowledgements() {
    for (subject, body) in [
        ("[Automatyczna odpowiedź] Nasz newsletter", "Dziękuję za wiadomość."),
        ("Réponse automatique : Notre lettre", "Je suis absent jusqu'au 3 mai."),
        ("Respuesta automática: Boletín", "Estoy fuera de la oficina."),
        ("Automatisch antwoord: Nieuwsbrief", "Ik ben afwezig."),
        ("Thank you for your e-mail", "I will endeavour to reply as soon as possible."),
        ("Re: Our news", "Thanks! I will get back to you as soon as I can. I will reply as soon as possible."),
    ] {
        let msg = format!(
            "From: kim@corp.example\nTo: news@news.example.com\nSubject: {subject}\nPrecedence: bulk\n\n{body}\n"
        );
        let r = parse(msg.as_bytes());
        assert_eq!(r.kind, Kind::AutoReply, "{subject}");
        assert_eq!(r.recipients[0].address.as_deref(), Some("kim@corp.example"), "{subject}");
    }
    // A person answering in their own words is not an auto-reply.
    let msg = "From: kim@corp.example\nTo: shop@news.example.com\nSubject: Re: Your order\n\n\
Thank you for your email, the parcel arrived today.\n";
    assert_eq!(parse(msg.as_bytes()).kind, Kind::NotBounce);
}

#[test]
fn an_ambiguous_directory_name_is_a_system_error() {
    // Lotus Domino, when the name matches several people in its directory.
    let r = plain_bounce(
        "Your message\n\n  Subject: Our news\n\nwas not delivered to:\n\n  info@example.org\n\n\
because:\n\n  Recipient user name info (info@example.org) not unique.  Several matches found in Domino Directory.\n",
    );
    assert_eq!(r.recipients[0].address.as_deref(), Some("info@example.org"));
    assert_eq!(r.recipients[0].reason, Reason::SystemError);
}

#[test]
fn a_cut_off_diagnostic_is_completed_from_the_report() {
    // Sendmail keeps only the first line of a multi-line reply in Diagnostic-Code; the transcript
    // in the text part has the rest.
    let dsn = |transcript: &str| {
        format!(
            "From: MAILER-DAEMON@mx.example.net\nSubject: Returned mail: see transcript for details\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"S\"\n\n\
--S\nContent-Type: text/plain\n\n   ----- The following addresses had permanent fatal errors -----\n\
kai@mail.example.org\n    (reason: 550-5.7.1 [192.0.2.1] Our system has detected that this message is)\n\
    (expanded from: <kai@example.org>)\n\n\
   ----- Transcript of session follows -----\n... while talking to mx.example.org.:\n>>> DATA\n{transcript}\n\
--S\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n\
Final-Recipient: RFC822; kai@example.org\nX-Actual-Recipient: RFC822; kai@mail.example.org\n\
Action: failed\nStatus: 5.7.1\n\
Remote-MTA: DNS; mx.example.org\n\
Diagnostic-Code: SMTP; 550-5.7.1 [192.0.2.1] Our system has detected that this message is\n--S--\n"
        )
    };
    let r = parse(
        dsn("<<< 550-5.7.1 [192.0.2.1] Our system has detected that this message is\n\
<<< 550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to us,\n\
<<< 550 5.7.1 this message has been blocked.")
        .as_bytes(),
    );
    assert_eq!(r.recipients[0].reason, Reason::SpamDetected);
    assert!(!r.recipients[0].hard);
    // With nothing more telling in the report, 5.7.1 keeps its own meaning.
    let r = parse(dsn("<<< 550 5.7.1 Message refused").as_bytes());
    assert_eq!(r.recipients[0].reason, Reason::SecurityError);
}

#[test]
fn unknown_recipients_in_other_words() {
    for text in [
        // Microsoft 365 when the domain's directory has no such recipient.
        "<lee@example.org>: host example-org.mail.protection.outlook.com said: 550 5.4.1 Recipient\n    \
address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors (in reply to\n    \
RCPT TO command)\n",
        // Old MTAs' error tokens.
        "Processing your mail message caused the following errors:\n\nerror: err.nosuchuser: lee@example.org\n",
    ] {
        let r = plain_bounce(text);
        assert_eq!(r.recipients[0].address.as_deref(), Some("lee@example.org"), "{text}");
        assert_eq!(r.recipients[0].reason, Reason::UserUnknown, "{text}");
        assert!(r.recipients[0].hard, "{text}");
    }
    // A relay that refuses is not an unknown recipient.
    let r = plain_bounce("<lee@example.org>: host mx.example.org said: 554 5.7.1 Relay access denied\n");
    assert_eq!(r.recipients[0].reason, Reason::NoRelaying);
}

#[test]
fn yahoo_names_itself_at_the_end_of_its_reply() {
    // qmail names the remote MTA only by its address; Yahoo's reply names the host that wrote it.
    // Yahoo refuses unknown addresses after DATA, so the usual "user unknown after DATA is a filter"
    // reading does not hold for it.
    let qmail = "Hi. This is the qmail-send program at mx.example.net.\n\
I'm afraid I wasn't able to deliver your message to the following addresses.\n\
This is a permanent error; I've given up. Sorry it didn't work out.\n\n\
<lee@yahoo.com>:\n\
192.0.2.25 failed after I sent the message.\n\
Remote host said: 554 delivery error: dd This user doesn't have a yahoo.com account (lee@yahoo.com) [0] - \
mta1076.mail.mud.yahoo.com\n\
--- Enclosed are the original headers of the message.\n";
    let r = plain_bounce(qmail);
    assert_eq!(r.recipients[0].address.as_deref(), Some("lee@yahoo.com"));
    assert_eq!(r.recipients[0].reason, Reason::UserUnknown);
    assert!(r.recipients[0].hard);
    // The same words from a host that is not Yahoo's keep the usual reading.
    let other = qmail.replace("mta1076.mail.mud.yahoo.com", "mx.example.org");
    assert_eq!(plain_bounce(&other).recipients[0].reason, Reason::Filtered);
}

#[test]
fn a_spam_score_refusal() {
    let r = plain_bounce(
        "  lee@example.org\n    host mx.example.org [192.0.2.6]\n    SMTP error from remote mail server after end of data:\n    \
550 This message scored 11.4 points. Congratulations!\n",
    );
    assert_eq!(r.recipients[0].reason, Reason::SpamDetected);
    assert!(!r.recipients[0].hard);
}

#[test]
fn unknown_recipients_in_european_languages() {
    for reply in [
        "550 5.1.1 Utilisateur inconnu",
        "550 Destinataire inconnu / unknown recipient",
        "550 Usuario desconocido",
        "550 Utente sconosciuto",
        "550 Onbekende gebruiker",
        "550 No such local user",
        "550 lee@example.org is not a valid recipient",
    ] {
        let text = format!("<lee@example.org>: host mx.example.org said: {reply} (in reply to RCPT TO command)\n");
        let r = plain_bounce(&text);
        assert_eq!(r.recipients[0].reason, Reason::UserUnknown, "{reply}");
        assert!(r.recipients[0].hard, "{reply}");
    }
    // A full mailbox in French stays a full mailbox.
    let r = plain_bounce(
        "<lee@example.org>: host mx.example.org said: 552 5.2.2 Boite aux lettres pleine / mailbox full (in reply \
to RCPT TO command)\n",
    );
    assert_eq!(r.recipients[0].reason, Reason::MailboxFull);
}

#[test]
fn a_recipient_whose_name_begins_with_bounce_is_still_a_recipient() {
    // Exim splits the remote reply over lines; the failed address only looks like a return path.
    let r = plain_bounce(
        "A message that you sent could not be delivered to one or more of its\n\
recipients. This is a permanent error. The following address(es) failed:\n\n  \
bouncer.jones@example.org\n    SMTP error from remote mail server after RCPT TO:<bouncer.jones@example.org>:\n    \
host mx.example.org [192.0.2.7]:\n    550-5.1.1 The email account that you tried to reach does not exist.\n    \
550 5.1.1 Please check the address.\n",
    );
    let found: Vec<_> = r.recipients.iter().map(|x| x.address.as_deref()).collect();
    assert_eq!(found, [Some("bouncer.jones@example.org")]);
    assert_eq!(r.recipients[0].reason, Reason::UserUnknown);
    assert_eq!(r.recipients[0].status.as_deref(), Some("5.1.1"));
    assert!(r.recipients[0].hard);
    // Return paths are not recipients, whatever their tag.
    for path in ["bounce@news.example.com", "bounces+k=example.org@news.example.com", "bounce-77-1@news.example.com"] {
        let r = plain_bounce(&format!(
            "The following address(es) failed:\n\n  {path}\n  kim@example.org\n    550 5.1.1 unknown user\n"
        ));
        let found: Vec<_> = r.recipients.iter().map(|x| x.address.as_deref()).collect();
        assert_eq!(found, [Some("kim@example.org")], "{path}");
    }
}

#[test]
fn the_sender_named_in_the_explanation_is_not_a_recipient() {
    let r = plain_bounce(
        "Your mail to the following recipients could not be delivered because they are not \
accepting mail from news@news.example.com:\n\tlou\n",
    );
    assert!(r.recipients.iter().all(|x| x.address.as_deref() != Some("news@news.example.com")), "{r:?}");
    // A recipient listed after the same words is found.
    let r = plain_bounce(
        "Your mail to the following recipients could not be delivered because they are not \
accepting mail from news@news.example.com:\n\tlou@example.org\n",
    );
    let found: Vec<_> = r.recipients.iter().map(|x| x.address.as_deref()).collect();
    assert_eq!(found, [Some("lou@example.org")]);
}

#[test]
fn recipient_address_rejected_is_the_answer_to_rcpt_to() {
    // Microsoft 365's directory-based edge blocking: the organisation has no such recipient. The
    // report names no SMTP command, but this answer is only ever given to RCPT TO.
    let r = plain_bounce(
        "Delivery has failed to these recipients or groups:\n\n  mo@example.org\n    \
550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [AM0EUR02FT011.eop-EUR02.prod.protection.outlook.com]\n",
    );
    assert_eq!(r.recipients[0].address.as_deref(), Some("mo@example.org"));
    assert_eq!(r.recipients[0].reason, Reason::UserUnknown);
    assert!(r.recipients[0].hard);
    // "User unknown" after DATA is still a filter's answer.
    let r = plain_bounce(
        "Delivery has failed to these recipients or groups:\n\n  mo@example.org\n    \
550 User unknown (in reply to end of DATA command)\n",
    );
    assert_eq!(r.recipients[0].reason, Reason::Filtered);
}

#[test]
fn blank_lines_that_hold_a_space_separate_headers_from_bodies() {
    // As relayed by Lotus Domino: no line of the report is empty, the blank ones hold a space.
    let msg = "From: dmarc@mx.example.org\nTo: reports@news.example.com\nSubject: DMARC failure\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report;\n    boundary=\"F\"\n \n\
--F\nContent-Type: text/plain\n \nThe message below did not meet the sending domain's DMARC policy.\n \n\
--F\nContent-Type: message/feedback-report\n \nFeedback-Type: auth-failure\nVersion: 1\n\
Original-Rcpt-To: pia@example.org\nAuth-Failure: dmarc\n \n\
--F\nContent-Type: message/rfc822\n \nMessage-ID: <d1@news.example.com>\nFrom: news@news.example.com\n\
To: pia@example.org\n \nHello\n \n--F--\n";
    for m in [msg.to_string(), msg.replace('\n', "\r\n")] {
        let r = parse(m.as_bytes());
        assert_eq!(r.kind, Kind::Complaint);
        assert_eq!(r.feedback_type.as_deref(), Some("auth-failure"));
        assert_eq!(r.recipients[0].address.as_deref(), Some("pia@example.org"));
        assert_eq!(r.original_message_id.as_deref(), Some("d1@news.example.com"));
    }
}

#[test]
fn a_complaint_about_mail_sent_blind_names_the_envelope_recipient() {
    let report = |to: &str| {
        format!(
            "From: fbl@isp.example\nSubject: complaint\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=\"X\"\n\n\
--X\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n\
--X\nContent-Type: message/rfc822\n\nDelivered-To: quinn@isp.example\n\
From: \"Deals\" <deals@spam.example>\nTo: {to}\nSubject: deals\n\nHello\n--X--\n"
        )
    };
    // The To names the sender itself: the mailbox it was delivered to is the recipient.
    let r = parse(report("\"Deals\" <deals@spam.example>").as_bytes());
    assert_eq!(r.recipients[0].address.as_deref(), Some("quinn@isp.example"));
    // Otherwise the To stands (a list's envelope address is not the subscriber).
    let r = parse(report("<ria@isp.example>").as_bytes());
    assert_eq!(r.recipients[0].address.as_deref(), Some("ria@isp.example"));
}

#[test]
fn mailbox_unavailable_from_microsoft_is_an_unknown_user() {
    // Outlook.com's own report names no remote host; the recipient's domain tells who answered.
    let report = |to: &str| {
        DSN.replace(
            "550 5.1.1 <anna@example.org>: Recipient address\r\n    rejected: User unknown in local recipient table",
            "550 Requested action not taken: mailbox unavailable",
        )
        .replace("anna@example.org", to)
        .replace("Remote-MTA: dns; mx.example.org\r\n", "")
        .replace("Status: 5.1.1", "Status: 5.5.0")
    };
    let r = parse(report("anna@outlook.com").as_bytes());
    assert_eq!(r.recipients[0].address.as_deref(), Some("anna@outlook.com"));
    assert_eq!(r.recipients[0].reason, Reason::UserUnknown, "{:?}", r.recipients[0]);
    assert!(r.recipients[0].hard);
    // Elsewhere the same words stay vague.
    let r = parse(report("anna@example.org").as_bytes());
    assert_ne!(r.recipients[0].reason, Reason::UserUnknown, "{:?}", r.recipients[0]);
}

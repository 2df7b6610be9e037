// The phrase tables of the reason classifier, read by `phrases.rs` and by the build script, which
// compiles them into an automaton (see `build.rs`): a table per reason, checked in this order; the
// first reason with a phrase contained in the (lower-cased, whitespace-collapsed) text wins.
// Boilerplate that wraps what the remote server said without explaining it (the masks: Amazon SES
// writes "5.1.0 - Unknown address error" before every remote reply, Gmail "it was rejected by the
// recipient domain") does not count: phrases inside it are not matches.
phrase_tables! {
masks: [
    "unknown address error",
    "rejected by the recipient domain",
    // Gmail's older wording: "Google tried to deliver your message, but it was rejected by the
    // server for the recipient domain example.org by mx.example.org."
    "rejected by the server for the recipient domain",
    // Gmail's "** Message blocked ** Your message to a@b has been blocked. See technical details
    // below for more information." before the reply that says why.
    "has been blocked. see technical details below",
    "the address couldn't be found. check for typos",
    // A quoted original's signature field, where no marker cut the original off ("Original
    // Message Here ........... / DKIM-Signature: v=1; ..."): its name is no DKIM failure (a
    // refusal that names the field, "DKIM-Signature: body hash did not verify", is).
    // An authentication check that passed (a quoted original's "Authentication-Results: ...;
    // dkim=pass (signature verified) header.i=@example.com"): no failure.
    // PHPMailer's "SMTP ERROR: RCPT TO command failed: 550 5.1.1 ..." before the server's reply
    // (no local program's failure).
    "rcpt to command failed",
    "mail from command failed",
    "data command failed",
    "data end command failed",
    "dkim=pass",
    "spf=pass",
    "dmarc=pass",
    // (The tag that comes first varies: v= as RFC 6376 writes it, a= as Mailchimp does.)
    "dkim-signature: v=",
    "dkim-signature:v=",
    "dkim-signature: a=",
    "dkim-signature:a=",
    "dkim-signature: d=",
    "dkim-signature:d=",
    // Courier's transcript of a command that got no reply: ">>> RSET / <<< <command failed>" (not a
    // delivery program's failure; the reply that follows says why).
    "<command failed>",
    // A sender check that names the From field's address ("Sender not authorized: invalid header
    // From <a@b> does not match authenticated sender"): no malformed header.
    "invalid header from <",
],
tables: [
    // Specific wordings that contain a more general phrase of another reason.
    // The receiving server could not verify our sender address (Exim's callout: "Verification
    // failed for <sender> ... The account or domain may not exist ... Sender verify failed").
    (
        Reason::Rejected,
        &[
            "sender verify failed",
            "sender verification failed",
            "sender address verification failed",
            // Postfix's reject_unverified_sender: "450 4.1.7 <a@b>: Sender address rejected:
            // unverified address: host ... said: 550 ..." (the reply quoted is about our sender).
            "sender address rejected: unverified address",
            // Yahoo: "451 Message temporarily deferred due to unresolvable RFC.5321 from domain" (the
            // sender's domain, not the sending host's name: not a PTR record).
            "unresolvable rfc.5321 from domain",
            // Exchange's sender filter: "554 5.7.105 SenderFilterAgent; Sender denied as sender's
            // email address is on SenderFilterConfig list".
            "sender denied",
            // SparkPost's relay, for a sender domain not set up: "550 5.7.1 Unconfigured Sending
            // Domain <app.example.com>".
            "unconfigured sending domain",
            // QQ checks the sender's domain: "550 Domain may not exist or DNS check failed".
            "domain may not exist or dns check failed",
            // groups.io refuses posts from non-members: "510 5.1.1 Your email address, a@b, is
            // not subscribed to that group" (the group exists; the sender may not post).
            "is not subscribed to that group",
        ],
    ),
    // The sending IP is on a blocklist, whatever else the greeting says (GMX: "554-No SMTP service
    // 554-IP address is black listed"; ZMailer: "Mail from 192.0.2.9 refused by blackhole site").
    (
        Reason::Blocked,
        &[
            "ip address is black listed",
            // GMX: "554-IP address is block listed."
            "ip address is block listed",
            // Gmail: "550-5.7.1 The IP you're using to send mail is not authorized to send email
            // directly to our servers. Please use the SMTP relay at your service provider instead."
            "the ip you're using to send mail is not authorized",
            "ip address is blacklisted",
            "refused by blackhole",
            // Gmail: "Our system has detected an unusual rate of unsolicited mail originating from
            // your IP address. To protect our users from spam, mail sent from your IP address has
            // been blocked." (the address is blocked, not this message judged spam); "... from your
            // DKIM domain" (421-4.7.28) likewise.
            "unusual rate of unsolicited mail originating from your",
            // EarthLink: "550 Dynamic/zombied/spam IPs blocked" (the sending address's kind, as
            // Sisimai's Blocked has it; not this message judged spam).
            "dynamic/zombied/spam ips blocked",
            // Postfix's reject_rbl_client: "Client host [192.0.2.9] blocked using zen.spamhaus.org"
            // (whatever hint follows, a PTR record's too).
            "blocked using",
            // Outlook.com: "550 SC-004 ... Unfortunately, messages from 192.0.2.9 weren't sent. We
            // recommend that you contact your Internet service provider. The problem is that too many
            // unwanted messages have been sent from the following IP address above."
            "too many unwanted messages have been sent from",
            // Yahoo: "554 INVALID IP FOR SENDING MAIL OF DOMAIN example.com [RCPT_TO]".
            "invalid ip for sending mail",
            // Postfix's HELO restriction: the name the sending host gave does not resolve ("450
            // <mx.example.net>: Helo command rejected: Host not found").
            "helo command rejected: host not found",
            // iCloud turns the sending host away at the greeting: "554 ... ESMTP not accepting
            // connections" (not "not accepting mail from you", a recipient's filter).
            "not accepting connections",
            // Exim's DNS blocklist answers naming Spamhaus's lists ("550 zen... Listed by CSS").
            "listed by css",
            "listed by sbl",
            "listed by xbl",
            "listed by pbl",
            "listed by cbl",
            // MagicSpam: "Your server hostname [mx.example.net] for IP [192.0.2.9] matches a pattern
            // which was abusive in the past."
            "was abusive in the past",
        ],
    ),
    // ZMailer (vger.kernel.org): "unresolvable address: <a@b>; nosuchuser; a@b"; Gmail's replies
    // link "?p=NoSuchUser" (not the word inside an address: "nosuchuser@example.org").
    (Reason::UserUnknown, &["; nosuchuser;", "?p=nosuchuser"]),
    // A filter names itself: "550 5.7.1 Blocked by SpamAssassin" (not a scanner's footer).
    // Mimecast names the signature that matched: "554 email rejected due to security policies -
    // MCSpamSignature.sa.2.2".
    (Reason::SpamDetected, &["blocked by spamassassin", "rejected by spamassassin", "mcspamsignature"]),
    // A local delivery program that names its cause: procmail's "Quota exceeded while writing
    // \"/var/mail/a\"" (the report blames the mailer: "Can't create output").
    (Reason::MailboxFull, &["quota exceeded while writing", "mailbox full or quota exceeded"]),
    // Amazon SES gives up: "5.4.7 - Delivery expired (message too old) 'Connection refused'" (the
    // last attempt's error, not a block).
    (Reason::Expired, &["delivery expired (message too old)"]),
    // Gmail: "Our system has detected that this message is likely suspicious due to the very low
    // reputation of the sending IP address. To best protect our users from spam, ..." (the word
    // "spam" is about its users, the cause the sender's reputation).
    (Reason::BadReputation, &["low reputation of the sending"]),
    // Amazon SES refuses a message that breaks RFC 5322: "554 Transaction failed: Duplicate header
    // 'DKIM-Signature'."
    (Reason::NotCompliantRfc, &["duplicate header"]),
    // Sendmail's header limits: "552 5.6.0 Headers too large (32768 max)".
    (Reason::ContentError, &["headers too large"]),
    // Gmail: "DNS Error: DNS type 'mx' lookup of example.org responded with code SERVFAIL" (the
    // domain's name servers failed to answer; before Gmail's "couldn't be found. Check for typos"
    // above it, which it writes whatever the lookup's answer).
    (Reason::NetworkError, &["responded with code servfail"]),
    (
        Reason::HostUnknown,
        &[
            "account or domain may not exist",
            "dns error: domain name not found",
            "failed: domain name not found",
            // Purelymail: "Diagnostic-Code: error; NoMxHostFoundException".
            "nomxhostfound",
            // Microsoft 365: "550 5.4.310 DNS domain example.org does not exist
            // [Message=InfoDomainNonexistent]".
            "infodomainnonexistent",
            // Gmail: "DNS Error: DNS type 'mx' lookup of example.org responded with code NXDOMAIN"
            // (before the general "dns error", which is a network error).
            "responded with code nxdomain",
            // Gmail: "... because the domain example.org couldn't be found. Check for typos ..."
            // (the address's version of the sentence is a mask).
            "couldn't be found. check for typos",
        ],
    ),
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
    // The recipient's server takes mail only over TLS: RFC 3207's "530 5.7.0 Must issue a STARTTLS
    // command first", "STARTTLS is required to send mail" (Sisimai's failedstarttls).
    (
        Reason::FailedStartTls,
        &[
            "must issue a starttls",
            "starttls is required",
            // RFC 3207's reply when the server cannot start TLS: "454 4.7.0 TLS not available due to
            // local problem".
            "tls not available",
            // Exim's: "454 TLS currently unavailable".
            "tls currently unavailable",
            "tls required but not supported",
            "does not support tls",
            "does not support starttls",
            "tls negotiation failed",
            "cannot start tls",
            "could not start tls",
            "starttls failed",
            "tls handshake failed",
        ],
    ),
    // Zimbra's MTA cannot read its domain data: "451 Could not load DRD for domain (example.com)".
    // Sendmail: "554 a@b... Local configuration error" (the mail looped back); hMailServer: "Could not
    // connect to 192.0.2.9 on port 25 since this would mean connecting to myself".
    (
        Reason::SystemError,
        &[
            "duplicated message-id",
            "several matches found",
            "could not load drd",
            "local configuration error",
            "connecting to myself",
        ],
    ),
    // Microsoft 365: "A custom mail flow rule created by an admin at example.onmicrosoft.com has
    // blocked your message" (the recipient's organisation, not the sender's address or IP).
    (Reason::PolicyViolation, &["custom mail flow rule"]),
    (
        Reason::Filtered,
        &[
            "recipient preferences",
            "user refuses to receive",
            // Naver: "받는 사람이 회원님의 메일을 수신차단 하였습니다" (the recipient blocks your mail;
            // the word alone is also a provider's block of a spamming IP).
            "회원님의 메일을 수신차단",
            "only accepting mail from specific",
            "due to the recipient's policy",
            "message filtered",
            // InterMail at a mobile carrier: "<a@b> has restricted SMS e-mail" (the subscriber
            // turned mail to the phone off).
            "has restricted sms e-mail",
            // Microsoft 365 (5.7.1): "delivery to this address is restricted" (the recipient takes
            // mail only from some senders).
            "delivery to this address is restricted",
        ],
    ),
    (Reason::SpamDetected, &["rejected due to spam", "spam classification"]),
    // POP before SMTP: "553 5.3.0 <a@b>... Please receive your mail before sending" (the server
    // relays for a client that has just read its mailbox).
    (Reason::SecurityError, &["turn on smtp authentication", "receive your mail before sending"]),
    (
        Reason::Speeding,
        &[
            "too many recipients this hour",
            "sent to too many recipients",
            // cPanel's Exim: "Domain example.org has exceeded the max emails per hour (125/100 (125%))".
            "max emails per hour",
        ],
    ),
    (Reason::TooManyConn, &["frequency limited"]),
    // (Before "no smtp service": WEB.DE's and GMX's "554-No SMTP service 554 invalid DNS PTR resource
    // record", "554-Bad DNS PTR resource record".)
    (Reason::RequirePtr, &["mismatches client ip", "dns ptr resource record"]),
    // RFC 3463's X.3.2 in words: "521 5.3.2 <a@b>: Recipient address rejected: System not accepting
    // network messages" (before the filters' "not accepting").
    // Postfix's access table for one recipient: "550 5.7.1 <a@b>: Recipient address rejected: This
    // recipient does not accept mail from your address" (after the spam phrases that may come
    // first; before the words of a domain that accepts no mail at all).
    (
        Reason::Filtered,
        &["recipient does not accept mail from", "user does not accept mail from", "address does not accept mail from"],
    ),
    (
        Reason::NotAccept,
        &[
            "no mx record",
            // Exim: "no valid MX hosts found" (the domain's MX records name nothing usable).
            "no valid mx hosts",
            "no smtp service",
            "null mx",
            "does not accept mail",
            "accepts no mail",
            "not accepting network messages",
        ],
    ),
    // Free: "550 5.2.1 This mailbox has been blocked due to inactivity" (closed by its provider,
    // not a block of the sender).
    (
        Reason::Suspend,
        &[
            "account is blocked",
            "account has been blocked",
            "mailbox has been blocked due to inactivity",
            // Infomaniak: "550 5.1.1 a@b recipient rejected, account administratively disabled".
            "account administratively disabled",
        ],
    ),
    (Reason::SystemFull, &["insufficient disk space", "insufficient system storage"]),
    (Reason::SystemError, &["service currently unavailable"]),
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
            // Zoho: "550 5.7.23 Sender's SPF Policy Failure" (not "see our SPF policy").
            "spf policy failure",
            // MailChannels: "550 5.7.1 [BFD] Sender prohibited by SPF" (before the policies'
            // "prohibited").
            "prohibited by spf",
            "dkim",
            "authentication failed; no valid",
            "is not allowed to send mail from",
            "not designated as permitted sender",
            "sender id",
            "unauthenticated email",
            // Gmail (2024): "Your email has been blocked because the sender is unauthenticated." (not
            // a relay's "Relaying denied, sender is unauthenticated").
            "because the sender is unauthenticated",
            "authentication information",
            "fails to pass authentication",
            "5.7.26",
            // Microsoft 365 (5.7.515): "Access denied, sending domain example.org doesn't meet
            // the required authentication level".
            "required authentication level",
            // Outlook.com's DMARC reject: "messages from (192.0.2.9) on behalf of (example.com)
            // could not be delivered due to domain owner policy restrictions".
            "due to domain owner policy restrictions",
        ],
    ),
    (Reason::VirusDetected, &["virus", "malware", "infected", "dangerous attachment"]),
    // Blocklists of sending IPs, whose replies also say "spam"; refusals of the sending IP itself
    // (Yahoo's TS03/TSS06 "All messages from <ip> will be permanently deferred", Microsoft's 5.7.708
    // "traffic not accepted from this IP").
    (
        Reason::Blocked,
        &[
            "spam source",
            "spamcop.net",
            "blocked using zen.spamhaus",
            "blocked using sbl.spamhaus",
            "will be permanently deferred",
            "not accepted from this ip",
            "host is not allowed to connect",
            // T-Online: "554 IP=192.0.2.9 - A problem occurred. (Ask your postmaster for help or to
            // contact tosa@rx.t-online.de to clarify.) (BL)": the address is on its blocklist.
            "to clarify.) (bl)",
        ],
    ),
    (
        Reason::SpamDetected,
        &[
            "spam",
            "junk mail",
            "unsolicited",
            "bulk mail",
            "message content rejected",
            // QQ (Tencent Exmail): "550 Mail content denied", "550 Error: content rejected".
            "mail content denied",
            "error: content rejected",
            "considered as spam",
            "classified as spam",
            "content filter",
            "scored too high",
            "spam score",
            "message scored",
            "uce",
            // Chinese providers: "被多数用户投诉为垃圾邮件" (reported as spam by many users).
            "垃圾邮件",
            // NetEase (163.com): "550 DT:SPM 163 smtp ..." (the content was judged spam).
            "dt:spm",
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
            // Gmail: "550-5.7.1 Messages missing a valid Message-ID header are not accepted. For more
            // information, go to https://support.google.com/mail/?p=RfcMessageNonCompliant".
            "missing a valid message-id",
            "missing a valid messageid",
            "rfcmessagenoncompliant",
        ],
    ),
    (Reason::TooManyConn, &["connection rate limit", "too many recipients"]),
    // (Before the blocks' "banned": "554 rejecting banned content" is about the attachment's type.)
    // (Google Workspace: "Message bounced due to organizational settings", the recipient's
    // administrator's rule.)
    (
        Reason::PolicyViolation,
        &["content presents a potential", "protocol violation", "banned content", "due to organizational settings"],
    ),
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
            // Ziggo: "421 4.1.1 MXIN503 Hourly ratelimit for your IP exceeded".
            "ratelimit",
            // The sending address is throttled: SendGrid's "Email was deferred due to the following
            // reason(s): [IPs were throttled by recipient server]", "421 4.7.0 Deferred: your IP has
            // been throttled" (not a connection throttled for too many unknown recipients).
            "were throttled",
            "been throttled",
            "throttled by",
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
            // "500 Line limit exceeded" (a line longer than the server takes).
            "line limit exceeded",
            "message is too big",
            "message too large",
            "message is too large",
            "message size exceeds",
            "exceeds size limit",
            "size limit",
            "message length exceeds",
            "exceeded maximum message size",
            "maximum message size",
            // Exim, for a message too big to take in ("Mail failure - message too big"): "A message
            // that you sent was longer than the maximum size allowed on this system."
            "longer than the maximum size allowed",
        ],
    ),
    (
        Reason::NetworkError,
        &[
            "wasn't able to establish",
            "host name lookup failure",
            "dns error",
            "malformed or unexpected name server reply",
            // Postfix: "Name service error for domain example.com: Host not found, try again" (a
            // DNS lookup that failed for now, not a name that does not exist).
            "host not found, try again",
            // Sendmail's deferral: "451 a@b... example.com: Name server timeout".
            "name server timeout",
        ],
    ),
    (
        Reason::Rejected,
        &[
            "sender rejected",
            "sender address rejected",
            "domain of sender address",
            "sender unknown",
            "unknown sender",
            "groups.google.com",
            "sender was rejected",
            "provide a valid from",
            // "550 we do not accept mail from this address." (the sender's; not "this address
            // range", an IP block).
            "do not accept mail from this address.",
        ],
    ),
    (Reason::SecurityError, &["unauthenticated sender", "delivery not authorized"]),
    (
        Reason::MailboxFull,
        &[
            // cPanel: "the recipient has exceeded their disk space limit for email" (the recipient's,
            // not the server's "has reached its disk space limit").
            "exceeded their disk space limit",
            "mailbox full",
            "mailbox exceeded",
            "mailbox is full",
            "mailbox size limit exceeded",
            "mailbox has exceeded",
            "mailbox exceeds",
            "mail box full",
            "quota exceeded",
            "over quota",
            // vpopmail: "The users mailfolder is over the allowed quota (size)."
            "over the allowed quota",
            "overquota",
            "exceeded storage allocation",
            // b1gMail: "(reason: The user exceeded his storage limit. ...)".
            "exceeded his storage limit",
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
            "postfach des empfängers ist voll",
            // French, Spanish, Italian, Dutch, Polish.
            "boîte aux lettres est pleine",
            "boite aux lettres est pleine",
            "buzón está lleno",
            "buzon esta lleno",
            "casella di posta è piena",
            "casella postale è piena",
            "postvak is vol",
            "mailbox is vol",
            "skrzynka pocztowa jest pełna",
            "speicherplatz",
            "out of storage space",
            "inbox is full",
            "mailfolder is full",
            "folder is full",
            "account is full",
            "storage full",
        ],
    ),
    // A local delivery program failed (after the reasons a program can name: "Command output:
    // Mail quota exceeded" is a full mailbox).
    (Reason::MailerError, &["procmail", "command output", "pipe to |", "mailer error", "exit code", "command failed"]),
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
            // chello: "550 5.1.1 <a@b> inactive recipient rejected" (the mailbox exists, closed).
            "inactive recipient",
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
            "user disabled",
            "user is disabled",
        ],
    ),
    (
        Reason::NoRelaying,
        &[
            "relay access denied",
            // Exim set up for local mail only: "Mailing to remote domains not supported".
            "mailing to remote domains not supported",
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
            // Exim: "501 This system is not configured to relay mail to <a@b> from 192.0.2.9".
            "not configured to relay",
            "not an open relay",
            "insecure mail relay",
            // qmail: "that domain isn't in my list of allowed rcpthosts".
            "list of allowed rcpthosts",
            "we don't handle mail for",
        ],
    ),
    // "No unauthenticated relaying permitted": the client should have logged in (after the
    // relaying phrases: "Relay access denied" with it is a relay's refusal).
    (Reason::SecurityError, &["unauthenticated relaying"]),
    (
        Reason::HostUnknown,
        &[
            "host unknown",
            "unknown host",
            "host not found",
            // SendGrid: "Unable to resolve MX host example.ne".
            "unable to resolve mx",
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
            // MDaemon: "Name server reports domain name unknown".
            "domain name unknown",
        ],
    ),
    (
        Reason::UserUnknown,
        &[
            "user unknown",
            // Exchange: "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found" (and "ExRecipNotFound").
            "recipnotfound",
            "unknown user",
            "no such user",
            "nosuchuser",
            // Exchange 4.0 to 5.5: "The recipient name is not recognized".
            "recipient name is not recognized",
            // Exchange Online's own report: "The email address you entered couldn't be found."
            "email address you entered couldn't be found",
            // (Exchange 2007 and 2010 write "e-mail".)
            "e-mail address you entered couldn't be found",
            // Gmail in Korean: "... 주소를 찾을 수 없거나 해당 주소에서 메일을 받을 수 없어 ..." (the
            // address could not be found or cannot receive mail).
            "찾을 수 없거나 해당 주소에서 메일을 받을 수 없",
            // Microsoft 365 (5.4.1): the domain's directory has no such recipient.
            "recipient address rejected: access denied",
            // Its text in the report: "the recipient's email address is not listed in the
            // domain's directory".
            "not listed in the domain's directory",
            "no such recipient",
            "no such mailbox",
            "no such account",
            // Lotus Notes and Domino in Japanese: "ディレクトリのリストにありません" (not in the
            // directory's list), "ユーザー ann (ann@example.co.jp) は Domino ディレクトリ には
            // 見つかりません" (not found in the Domino directory).
            "ディレクトリのリストにありません",
            "ディレクトリ には見つかりません",
            "ディレクトリには見つかりません",
            "no such address",
            "no mailbox here",
            // "550 no mailbox by that name is currently available".
            "no mailbox by that name",
            "unknown recipient",
            "unknown address",
            "unknown local part",
            "unknown mailbox",
            "user not found",
            "recipient not found",
            // Proton's API: "[2511] Recipient could not be found".
            "recipient could not be found",
            // (And as an MTA at datainfosys.net spells it: "550 Receipient Not Found".)
            "receipient not found",
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
            // Older Postfix: "The following recipients are unknown:" above the list (not "the status
            // of the following recipients are unknown at this time" in a relay's notice).
            "following recipients are unknown:",
            // RFC 3463's name of X.1.1, which some reports print ("Permanent Failure - Bad
            // destination mailbox address").
            "bad destination mailbox address",
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
            // German Exchange: "Die E-Mail-Adresse, die Sie eingegeben haben, wurde nicht gefunden."
            "die sie eingegeben haben, wurde nicht gefunden",
            "no such local user",
            "not a valid recipient",
            // French, Spanish, Italian and Dutch servers.
            "utilisateur inconnu",
            "destinataire inconnu",
            "adresse inconnue",
            "usuario desconocido",
            "destinatario desconocido",
            "utente sconosciuto",
            "destinatario sconosciuto",
            "onbekende gebruiker",
            "ontvanger onbekend",
        ],
    ),
    // A delivery that ended for want of time, with the last error named after it: Microsoft 365's
    // "550 5.4.316 Message expired, connection refused"; CommuniGate Pro's warning "Message
    // delivery to 'a@b' delayed / SMTP module(domain example.org) reports: connection with
    // mx.example.org is broken" (after the recipient's own reasons: a final "550 5.1.1 User unknown"
    // that follows such a line is an unknown user; before the blocks' "connection refused").
    (Reason::Expired, &["message expired, ", "delayed smtp module("]),
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
            // The sending IP is a dial-up or dynamic address (T-Online: "554 IP=192.0.2.9 -
            // Dialup/transient IP not allowed"; "hosts with dynamic ip").
            "dialup/",
            "dialup ip",
            "dial-up ip",
            "dynamic ip",
            "transient ip",
        ],
    ),
    (
        Reason::PolicyViolation,
        &["policy", "not permitted by", "prohibited", "not authorized to send", "not allowed", "illegal attachment"],
    ),
    (
        Reason::Expired,
        &[
            "retry timeout exceeded",
            "retried the maximum",
            // Microsoft 365 (4.4.7): "Despite repeated attempts to contact the recipient's email
            // system it didn't respond."
            "despite repeated attempts",
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
            // InterScan VirusWall: "Reason: Exceeded Maximum Delivery Attempts."
            "maximum delivery attempts",
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
    // (MXLogic: "452 Validating Sender: 4.3.1 Insufficient system resources".)
    (
        Reason::SystemFull,
        &["system full", "insufficient system storage", "insufficient system resources", "out of disk space", "mail system full"],
    ),
    // Servers that refuse a line ending in LF alone (against SMTP smuggling): Free's "550 mail
    // dropped, bare LF found".
    // A header the server cannot parse: "554 5.6.0 Message rejected: invalid header syntax" (after
    // the causes that a header may show: DMARC's "invalid header From domain", a spam score's or a
    // virus scanner's; before the refusal's words).
    (
        Reason::ContentError,
        &[
            "content error",
            "improper use of 8-bit",
            "8bitmime",
            "bare lf found",
            "bare linefeed",
            "invalid header",
            "malformed header",
        ],
    ),
    (
        Reason::SecurityError,
        &[
            "authentication required",
            "authentication failed",
            "tls required",
            "encryption required",
            "certificate",
        ],
    ),
    (
        Reason::SyntaxError,
        &[
            "syntax error",
            // Exim: "<b@example.net>: malformed address: <b@example.net> may not follow a@example.com".
            "malformed address:",
            "not implemented",
            "command parameter",
            "command unrecognized",
            "unrecognized command",
            "bad sequence",
        ],
    ),
    // (21cn.com: "550 the recipient refuses to accept this letter", after the causes a refusal may
    // name.)
    (
        Reason::Filtered,
        &[
            "filtered",
            "refused by",
            "message rejected",
            "not accepting",
            "rejected by",
            "filter",
            "recipient refuses to accept",
            // Interia: "550 5.7.1 Recipient doesn't want your mail".
            "doesn't want your mail",
            "does not want your mail",
        ],
    ),
    (
        Reason::Rejected,
        &[
            "envelope blocked",
            "address verification",
            "sender not",
            // Google Groups refuses a sender who may not post: "the group you tried to contact
            // (news) may not exist, or you may not have permission to post messages to the group".
            "not have permission to post",
        ],
    ),
    (
        Reason::SystemError,
        &[
            // Postfix's "Error: transaction failed, blame it on the weather: ..." wraps what went
            // wrong; only when nothing after it names a cause.
            "transaction failed",
            "system error",
            "local error",
            "internal error",
            "server error",
            "service unavailable",
            "system config error",
            "resources temporarily unavailable",
            "mail delivery to this user is not allowed",
            // Postfix's local(8) could not write the mailbox ("cannot update mailbox /var/mail/a
            // for user a. cannot open file: Permission denied", "maildir delivery failed: create
            // /var/mail/tmp/...: Permission denied"), where no more specific cause is named.
            "cannot update mailbox",
            "maildir delivery failed",
            // Postfix's local(8): "can't create user output file" (the mailbox cannot be written).
            "can't create user output file",
            // The mailbox store cannot be written: "maildrop: Maildir/: Read-only file system".
            "read-only file system",
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
    // Haraka, for a domain it does not serve: "550 I cannot deliver mail for <a@b>" (after the
    // recipient's own reasons: "... for <a@b>: no such user here" is an unknown user).
    (Reason::NoRelaying, &["i cannot deliver mail for"]),
    // A program's exit status, when nothing else says why ("550 5.1.1 unknown user (exit status
    // 67)" is an unknown user): chasquid's "exit status 1" for a pipe that failed.
    (Reason::MailerError, &["exit status"]),
    (Reason::OnHold, &["on hold"]),
    // Gmail's own words, when nothing the remote server said is known: "Your message wasn't
    // delivered to a@b because the address couldn't be found, or is unable to receive mail."
    (
        Reason::UserUnknown,
        &[
            "the address couldn't be found, or is unable to receive mail",
        ],
    ),
]
}

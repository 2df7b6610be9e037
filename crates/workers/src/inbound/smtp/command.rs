//! SMTP command lines (RFC 5321 section 4.1), parsed without I/O.
//!
//! The parser is strict where a mistake would mean a wrong envelope (paths, parameters) and lenient
//! where real clients are sloppy: verbs in any case, extra spaces, a path without angle brackets,
//! source routes (`<@a,@b:user@host>`, accepted and ignored as RFC 5321 asks).

/// Longest reverse or forward path we take (RFC 5321 section 4.5.3.1.3: 256 octets).
const MAX_PATH: usize = 256;

/// A command line, parsed. Paths are without angle brackets; the null reverse path is empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Ehlo(String),
    Helo(String),
    Mail {
        from: String,
        size: Option<u64>,
    },
    Rcpt {
        to: String,
    },
    Data,
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    StartTls,
    /// A command of RFC 5321 or an extension that this server does not offer (EXPN, AUTH, BDAT...).
    NotImplemented(&'static str),
}

/// Why a command line was refused; [`CommandError::reply`] is the answer to give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CommandError {
    /// Not a command we know (500 5.5.1).
    Unknown,
    /// A known command with arguments that do not parse (501 5.5.4).
    Syntax(String),
    /// A MAIL or RCPT parameter we do not offer (555 5.5.4).
    Parameter(String),
}

impl CommandError {
    pub(crate) fn reply(&self) -> String {
        match self {
            Self::Unknown => "500 5.5.1 Error: command not recognized".to_string(),
            Self::Syntax(what) => format!("501 5.5.4 Syntax error: {what}"),
            Self::Parameter(what) => format!("555 5.5.4 Unsupported parameter {what}"),
        }
    }
}

/// Parses one command line (without its line ending).
pub(crate) fn parse(line: &[u8]) -> Result<Command, CommandError> {
    let (verb, rest) = match memchr::memchr(b' ', line) {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &[][..]),
    };
    if verb.is_empty() || verb.len() > 10 || !verb.iter().all(u8::is_ascii_alphabetic) {
        return Err(CommandError::Unknown);
    }
    let verb = verb.to_ascii_uppercase();
    let args = std::str::from_utf8(rest)
        .ok()
        .filter(|s| !s.chars().any(|c| c.is_control() && c != '\t'))
        .ok_or_else(|| CommandError::Syntax("control characters or invalid UTF-8 in the arguments".into()))?
        .trim_matches([' ', '\t']);
    let no_args = |cmd: Command, name: &str| {
        if args.is_empty() { Ok(cmd) } else { Err(CommandError::Syntax(format!("{name} takes no arguments"))) }
    };
    match verb.as_slice() {
        b"EHLO" | b"HELO" => {
            let name = args.split_ascii_whitespace().next().unwrap_or("");
            if name.is_empty() {
                return Err(CommandError::Syntax(format!("{} needs a host name", String::from_utf8_lossy(&verb))));
            }
            if verb == b"EHLO" { Ok(Command::Ehlo(name.to_string())) } else { Ok(Command::Helo(name.to_string())) }
        }
        b"MAIL" => {
            let rest = strip_prefix_ci(args, "FROM:")
                .ok_or_else(|| CommandError::Syntax("expected MAIL FROM:<address>".into()))?;
            let (from, params) = path(rest.trim_start())?;
            let from = mailbox(from, true)?;
            let mut size = None;
            for param in params.split_ascii_whitespace() {
                let (key, value) = param.split_once('=').map_or((param, None), |(k, v)| (k, Some(v)));
                match (key.to_ascii_uppercase().as_str(), value) {
                    ("SIZE", Some(v)) => {
                        size = Some(
                            v.parse::<u64>()
                                .ok()
                                .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                                .ok_or_else(|| CommandError::Syntax(format!("SIZE={v} is not a number")))?,
                        );
                    }
                    ("BODY", Some(v)) if v.eq_ignore_ascii_case("7BIT") || v.eq_ignore_ascii_case("8BITMIME") => {}
                    ("SMTPUTF8", None) => {}
                    _ => return Err(CommandError::Parameter(param.to_string())),
                }
            }
            Ok(Command::Mail { from, size })
        }
        b"RCPT" => {
            let rest = strip_prefix_ci(args, "TO:")
                .ok_or_else(|| CommandError::Syntax("expected RCPT TO:<address>".into()))?;
            let (to, params) = path(rest.trim_start())?;
            if let Some(param) = params.split_ascii_whitespace().next() {
                return Err(CommandError::Parameter(param.to_string()));
            }
            let to = if to.eq_ignore_ascii_case("postmaster") { "postmaster".to_string() } else { mailbox(to, false)? };
            Ok(Command::Rcpt { to })
        }
        b"DATA" => no_args(Command::Data, "DATA"),
        b"RSET" => no_args(Command::Rset, "RSET"),
        b"STARTTLS" => no_args(Command::StartTls, "STARTTLS"),
        b"NOOP" => Ok(Command::Noop),
        b"QUIT" => Ok(Command::Quit),
        b"HELP" => Ok(Command::Help),
        b"VRFY" if args.is_empty() => Err(CommandError::Syntax("VRFY needs an argument".into())),
        b"VRFY" => Ok(Command::Vrfy),
        b"EXPN" => Ok(Command::NotImplemented("EXPN")),
        b"AUTH" => Ok(Command::NotImplemented("AUTH")),
        b"BDAT" => Ok(Command::NotImplemented("BDAT")),
        b"ETRN" => Ok(Command::NotImplemented("ETRN")),
        b"TURN" | b"ATRN" => Ok(Command::NotImplemented("TURN")),
        b"SEND" | b"SOML" | b"SAML" => Ok(Command::NotImplemented("SEND")),
        _ => Err(CommandError::Unknown),
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// Splits `<path> params` (or a bare `path params`) into the path's inside and the parameters.
fn path(s: &str) -> Result<(&str, &str), CommandError> {
    let Some(inner) = s.strip_prefix('<') else {
        // Without angle brackets (not RFC 5321, but common): up to the first space.
        let (p, rest) = s.split_once(' ').unwrap_or((s, ""));
        if p.is_empty() || p.contains(['<', '>']) {
            return Err(CommandError::Syntax("expected an address in angle brackets".into()));
        }
        return Ok((p, rest));
    };
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => {
                let rest = &inner[i + 1..];
                if !rest.is_empty() && !rest.starts_with(' ') {
                    return Err(CommandError::Syntax("expected a space after the address".into()));
                }
                return Ok((&inner[..i], rest));
            }
            _ => {}
        }
    }
    Err(CommandError::Syntax("address without closing '>'".into()))
}

/// Checks a path's inside: `local@domain` (a source route before it is dropped), or empty where
/// `null_ok` (the null reverse path of bounces).
fn mailbox(p: &str, null_ok: bool) -> Result<String, CommandError> {
    let bad =
        |why: &str| Err(CommandError::Syntax(format!("address <{}>: {why}", p.chars().take(64).collect::<String>())));
    if p.len() > MAX_PATH {
        return bad("longer than 256 octets");
    }
    let p = match p.strip_prefix('@') {
        Some(route) => match route.split_once(':') {
            Some((_, rest)) => rest,
            None => return bad("source route without ':'"),
        },
        None => p,
    };
    if p.is_empty() {
        return if null_ok { Ok(String::new()) } else { bad("empty") };
    }
    let Some((local, domain)) = p.rsplit_once('@') else { return bad("no '@domain'") };
    if local.is_empty() || domain.is_empty() {
        return bad("empty local part or domain");
    }
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    if !quoted && local.contains([' ', '"', '<', '>', '(', ')', ',', ';', ':', '\\', '[', ']']) {
        return bad("invalid characters in the local part");
    }
    let literal = domain.starts_with('[') && domain.ends_with(']');
    if !literal
        && (domain.contains(['@', ' ', '"', '<', '>', '(', ')', ',', ';', ':', '\\', '[', ']'])
            || domain.split('.').any(str::is_empty))
    {
        return bad("invalid domain");
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Command {
        parse(line.as_bytes()).unwrap_or_else(|e| panic!("{line:?}: {e:?}"))
    }

    fn err(line: &[u8]) -> String {
        parse(line).expect_err(&String::from_utf8_lossy(line)).reply()
    }

    #[test]
    fn greetings_and_simple_commands() {
        assert_eq!(ok("EHLO mx.example.org"), Command::Ehlo("mx.example.org".into()));
        assert_eq!(ok("ehlo  [192.0.2.1]  extra"), Command::Ehlo("[192.0.2.1]".into()));
        assert_eq!(ok("HeLo a"), Command::Helo("a".into()));
        assert_eq!(ok("DATA"), Command::Data);
        assert_eq!(ok("rset"), Command::Rset);
        assert_eq!(ok("NOOP anything"), Command::Noop);
        assert_eq!(ok("QUIT"), Command::Quit);
        assert_eq!(ok("HELP MAIL"), Command::Help);
        assert_eq!(ok("VRFY root"), Command::Vrfy);
        assert_eq!(ok("STARTTLS"), Command::StartTls);
        assert_eq!(ok("EXPN staff"), Command::NotImplemented("EXPN"));
        assert_eq!(ok("AUTH PLAIN AGZvbwBiYXI="), Command::NotImplemented("AUTH"));
    }

    #[test]
    fn mail_from_null_sender_size_and_routes() {
        assert_eq!(ok("MAIL FROM:<>"), Command::Mail { from: String::new(), size: None });
        assert_eq!(ok("MAIL FROM:<> SIZE=1234 BODY=8BITMIME"), Command::Mail { from: String::new(), size: Some(1234) });
        assert_eq!(
            ok("mail from: <Anna@Example.ORG> smtputf8"),
            Command::Mail { from: "Anna@example.org".into(), size: None }
        );
        assert_eq!(
            ok("MAIL FROM:<@a.example,@b.example:x@c.example>"),
            Command::Mail { from: "x@c.example".into(), size: None }
        );
        assert_eq!(ok("MAIL FROM:bare@example.org"), Command::Mail { from: "bare@example.org".into(), size: None });
        assert_eq!(
            ok(r#"MAIL FROM:<"odd > local"@example.org>"#),
            Command::Mail { from: r#""odd > local"@example.org"#.into(), size: None }
        );
        assert_eq!(
            ok("MAIL FROM:<jörg@bücher.example>"),
            Command::Mail { from: "jörg@bücher.example".into(), size: None }
        );
    }

    #[test]
    fn rcpt_to_and_postmaster() {
        assert_eq!(ok("RCPT TO:<b-abc@Bounces.Example.com>"), Command::Rcpt { to: "b-abc@bounces.example.com".into() });
        assert_eq!(ok("RCPT TO:<Postmaster>"), Command::Rcpt { to: "postmaster".into() });
        assert_eq!(ok("rcpt to: <x@[192.0.2.1]>"), Command::Rcpt { to: "x@[192.0.2.1]".into() });
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(err(b"FOO bar"), "500 5.5.1 Error: command not recognized");
        assert_eq!(err(b""), "500 5.5.1 Error: command not recognized");
        assert_eq!(err(b"\xff\xfe\x00"), "500 5.5.1 Error: command not recognized");
        assert_eq!(err(b"GET / HTTP/1.1"), "500 5.5.1 Error: command not recognized");
        assert!(err(b"EHLO").starts_with("501 5.5.4 Syntax error: EHLO needs a host name"));
        assert!(err(b"MAIL TO:<a@b.c>").starts_with("501 5.5.4"));
        assert!(err(b"MAIL FROM:<a@b.c").contains("closing '>'"));
        assert!(err(b"MAIL FROM:<a@b.c>x").starts_with("501"));
        assert!(err(b"MAIL FROM:<a@b.c> SIZE=12x").contains("SIZE=12x"));
        assert!(err(b"MAIL FROM:<a@b.c> SIZE=99999999999999999999999").starts_with("501"));
        assert_eq!(err(b"MAIL FROM:<> RET=HDRS"), "555 5.5.4 Unsupported parameter RET=HDRS");
        assert_eq!(err(b"MAIL FROM:<> BODY=BINARYMIME"), "555 5.5.4 Unsupported parameter BODY=BINARYMIME");
        assert_eq!(err(b"RCPT TO:<a@b.c> NOTIFY=NEVER"), "555 5.5.4 Unsupported parameter NOTIFY=NEVER");
        assert!(err(b"RCPT TO:<>").starts_with("501"));
        assert!(err(b"RCPT TO:<nodomain>").contains("no '@domain'"));
        assert!(err(b"RCPT TO:<a b@c.d>").starts_with("501"));
        assert!(err(b"RCPT TO:<a@b..c>").contains("invalid domain"));
        assert!(err(b"RCPT TO:<a@b\x01c>").contains("control characters"));
        assert!(err(b"RCPT TO:<a@b\xffc>").contains("invalid UTF-8"));
        assert!(err(b"DATA now").contains("DATA takes no arguments"));
        assert!(err(b"VRFY").starts_with("501"));
        let long = format!("RCPT TO:<{}@example.org>", "a".repeat(300));
        assert!(err(long.as_bytes()).contains("256 octets"));
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        // A small deterministic fuzz: every prefix and byte-flip of some commands.
        let seeds: [&[u8]; 4] =
            [b"MAIL FROM:<\"a\\\"b\"@x.y> SIZE=1", b"RCPT TO:<@r:p@q>", b"EHLO \xc3\xa9", b"HELO a"];
        for seed in seeds {
            for cut in 0..=seed.len() {
                let _ = parse(&seed[..cut]);
                for i in 0..cut {
                    let mut v = seed[..cut].to_vec();
                    v[i] ^= 0x80;
                    let _ = parse(&v);
                    v[i] = b'>';
                    let _ = parse(&v);
                }
            }
        }
    }
}

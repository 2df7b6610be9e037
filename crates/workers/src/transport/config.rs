//! The `smtp_url` setting, parsed into a checked [`SmtpConfig`].
//!
//! ```text
//! smtp://[user:pass@]host:port[?tls=opportunistic|required|none]   STARTTLS when offered (default), required, or never
//! smtps://[user:pass@]host:port                                      TLS from the first byte (implicit TLS)
//!   &pool=N          connections kept open in parallel (default 8, 1..=256)
//!   &insecure=true   accept invalid certificates and host names (for tests and private relays)
//!   &helo=NAME       the name given in EHLO (default: this host's name, else [127.0.0.1])
//!   &timeout=SECS    limit for connecting and for each command (default 30, 1..=600)
//! ```
//!
//! User name and password are percent-decoded. They are never shown: [`SmtpConfig`]'s `Display` and
//! `Debug` print `***` in their place, and errors never repeat them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use kurier_core::percent_decode;
use url::Url;

/// How the connection to the relay is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtp://`: STARTTLS when the relay offers it, plain text otherwise. When STARTTLS is offered
    /// but the handshake fails (e.g. the certificate does not verify), the attempt fails; Kurier does
    /// not fall back to plain text behind the relay's back.
    Opportunistic,
    /// `smtp://...?tls=required`: STARTTLS or no delivery.
    Required,
    /// `smtp://...?tls=none`: never encrypt (a relay on the same machine).
    None,
    /// `smtps://`: TLS from the first byte (RFC 8314).
    Implicit,
}

/// User name and password for SMTP AUTH (PLAIN or LOGIN). The password is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    pub user: String,
    pub password: String,
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpCredentials({:?}, ***)", self.user)
    }
}

/// A relay to hand mail to, as given by `smtp_url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub credentials: Option<SmtpCredentials>,
    /// How many connections are kept open and used in parallel.
    pub pool: usize,
    /// Accept certificates that do not verify (self-signed, wrong name). For tests only.
    pub accept_invalid_certs: bool,
    /// The name announced in EHLO; `None` uses this machine's host name.
    pub helo: Option<String>,
    /// Limit for connecting and for each command; the message transfer gets twice as long.
    pub timeout: Duration,
}

impl SmtpConfig {
    pub const DEFAULT_POOL: usize = 8;
    pub const MAX_POOL: usize = 256;
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// Parses and checks an `smtp_url`. The error names the part that is wrong.
    pub fn from_url(input: &str) -> Result<Self, SmtpUrlError> {
        let err = |m: String| SmtpUrlError(m);
        let url = Url::parse(input.trim()).map_err(|e| err(format!("not a URL ({e}); expected smtp://host:port")))?;
        let implicit = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => return Err(err(format!("unknown scheme {other:?} (use smtp:// or smtps://)"))),
        };
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase(),
            _ => return Err(err("host missing".into())),
        };
        let port = match url.port() {
            Some(0) => return Err(err("port 0 is not a port".into())),
            Some(p) => p,
            None => {
                let example = if implicit { "smtps://relay.example:465" } else { "smtp://relay.example:587" };
                return Err(err(format!("port missing (write it out, e.g. {example})")));
            }
        };
        if !matches!(url.path(), "" | "/") {
            return Err(err(format!("unexpected path {:?} after the port", url.path())));
        }
        if url.fragment().is_some() {
            return Err(err("unexpected #fragment".into()));
        }
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err(err("password given without a user name".into())),
            (_, None) => return Err(err("user name given without a password (write user:password@host)".into())),
            (user, Some(password)) => Some(SmtpCredentials {
                user: percent_decode(user).ok_or_else(|| err("user name is not valid percent-encoded UTF-8".into()))?,
                password: percent_decode(password)
                    .ok_or_else(|| err("password is not valid percent-encoded UTF-8".into()))?,
            }),
        };

        let mut config = SmtpConfig {
            host,
            port,
            tls: if implicit { TlsMode::Implicit } else { TlsMode::Opportunistic },
            credentials,
            pool: Self::DEFAULT_POOL,
            accept_invalid_certs: false,
            helo: None,
            timeout: Self::DEFAULT_TIMEOUT,
        };
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in url.query_pairs() {
            if seen.iter().any(|k| *k == key) {
                return Err(err(format!("parameter {key:?} given twice")));
            }
            seen.push(key.to_string());
            match key.as_ref() {
                "tls" => {
                    config.tls = match (implicit, value.as_ref()) {
                        (false, "opportunistic") => TlsMode::Opportunistic,
                        (false, "required") => TlsMode::Required,
                        (false, "none") => TlsMode::None,
                        (true, "required" | "implicit") => TlsMode::Implicit,
                        (true, other) => {
                            return Err(err(format!("tls={other:?} does not fit smtps://, which always uses TLS")));
                        }
                        (false, other) => {
                            return Err(err(format!("tls={other:?} is not one of opportunistic, required, none")));
                        }
                    }
                }
                "pool" => {
                    config.pool =
                        value.parse::<usize>().ok().filter(|n| (1..=Self::MAX_POOL).contains(n)).ok_or_else(|| {
                            err(format!("pool={value:?} is not a number from 1 to {}", Self::MAX_POOL))
                        })?;
                }
                "insecure" => {
                    config.accept_invalid_certs = match value.as_ref() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        other => return Err(err(format!("insecure={other:?} is not true or false"))),
                    }
                }
                "helo" => {
                    if !is_helo_name(&value) {
                        return Err(err(format!("helo={value:?} is not a host name")));
                    }
                    config.helo = Some(value.to_string());
                }
                "timeout" => {
                    config.timeout = value
                        .parse::<u64>()
                        .ok()
                        .filter(|n| (1..=600).contains(n))
                        .map(Duration::from_secs)
                        .ok_or_else(|| err(format!("timeout={value:?} is not a number of seconds from 1 to 600")))?;
                }
                other => {
                    return Err(err(format!(
                        "unknown parameter {other:?} (known: tls, pool, insecure, helo, timeout)"
                    )));
                }
            }
        }
        if config.credentials.is_some() && config.tls == TlsMode::None && !config.is_loopback() {
            return Err(err("a password would cross the network unencrypted: drop tls=none, or use smtps://".into()));
        }
        Ok(config)
    }

    /// True when the relay runs on this machine, where plain text (and AUTH over it) is fine.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost") || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl FromStr for SmtpConfig {
    type Err = SmtpUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_url(s)
    }
}

/// The URL again, with the password replaced by `***`: safe for logs and the admin UI.
impl fmt::Display for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls == TlsMode::Implicit { "smtps" } else { "smtp" };
        write!(f, "{scheme}://")?;
        if let Some(c) = &self.credentials {
            write!(f, "{}:***@", c.user)?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        let mut params = Vec::new();
        match self.tls {
            TlsMode::Required => params.push("tls=required".to_string()),
            TlsMode::None => params.push("tls=none".to_string()),
            TlsMode::Opportunistic | TlsMode::Implicit => {}
        }
        if self.pool != Self::DEFAULT_POOL {
            params.push(format!("pool={}", self.pool));
        }
        if self.accept_invalid_certs {
            params.push("insecure=true".into());
        }
        if let Some(h) = &self.helo {
            params.push(format!("helo={h}"));
        }
        if self.timeout != Self::DEFAULT_TIMEOUT {
            params.push(format!("timeout={}", self.timeout.as_secs()));
        }
        if !params.is_empty() {
            write!(f, "?{}", params.join("&"))?;
        }
        Ok(())
    }
}

/// Why an `smtp_url` was refused. Displays as `smtp_url: ...`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("smtp_url: {0}")]
pub struct SmtpUrlError(pub String);

fn is_helo_name(s: &str) -> bool {
    if s.parse::<IpAddr>().is_ok() {
        return true;
    }
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<SmtpConfig, String> {
        SmtpConfig::from_url(s).map_err(|e| e.to_string())
    }

    #[test]
    fn plain_and_defaults() {
        let c = parse("smtp://relay.example.com:587").unwrap();
        assert_eq!(c.host, "relay.example.com");
        assert_eq!(c.port, 587);
        assert_eq!(c.tls, TlsMode::Opportunistic);
        assert_eq!(c.pool, 8);
        assert_eq!(c.credentials, None);
        assert!(!c.accept_invalid_certs);
        assert_eq!(c.timeout, Duration::from_secs(30));
        assert_eq!(c.to_string(), "smtp://relay.example.com:587");
    }

    #[test]
    fn everything_given() {
        let c = parse("smtps://mailer%40example.com:p%40ss%3Aw0rd@[::1]:465?pool=3&insecure=true&helo=kurier.example.com&timeout=5")
            .unwrap();
        assert_eq!(c.tls, TlsMode::Implicit);
        assert_eq!(c.host, "::1");
        assert!(c.is_loopback());
        let creds = c.credentials.clone().unwrap();
        assert_eq!(creds.user, "mailer@example.com");
        assert_eq!(creds.password, "p@ss:w0rd");
        assert_eq!((c.pool, c.accept_invalid_certs), (3, true));
        assert_eq!(c.helo.as_deref(), Some("kurier.example.com"));
        assert_eq!(c.timeout, Duration::from_secs(5));
        let shown = format!("{c} {c:?}");
        assert!(!shown.contains("w0rd"), "password leaked: {shown}");
        assert!(shown.contains("smtps://mailer@example.com:***@[::1]:465?pool=3&insecure=true"));
        assert_eq!(parse("smtp://h.example:25?tls=required").unwrap().tls, TlsMode::Required);
        assert_eq!(parse("smtp://h.example:25?tls=none").unwrap().tls, TlsMode::None);
        assert_eq!(parse("SMTP://H.Example:25").unwrap().host, "h.example");
    }

    #[test]
    fn errors_name_the_bad_part() {
        let cases = [
            ("ftp://h.example:21", "smtp_url: unknown scheme \"ftp\""),
            ("smtp://h.example", "smtp_url: port missing"),
            ("smtps://h.example", "smtps://relay.example:465"),
            ("smtp://:25", "smtp_url: "),
            ("relay.example.com:25", "smtp_url: "),
            ("smtp://h.example:25/x", "unexpected path"),
            ("smtp://h.example:25?pool=0", "pool=\"0\""),
            ("smtp://h.example:25?pool=many", "pool=\"many\""),
            ("smtp://h.example:25?tls=maybe", "tls=\"maybe\""),
            ("smtps://h.example:465?tls=none", "smtps://"),
            ("smtp://h.example:25?insecure=perhaps", "insecure=\"perhaps\""),
            ("smtp://h.example:25?helo=a%20b", "helo=\"a b\""),
            ("smtp://h.example:25?timeout=0", "timeout=\"0\""),
            ("smtp://h.example:25?colour=blue", "unknown parameter \"colour\""),
            ("smtp://h.example:25?pool=1&pool=2", "\"pool\" given twice"),
            ("smtp://user@h.example:25", "without a password"),
            ("smtp://u:secret@h.example:25?tls=none", "unencrypted"),
            ("smtp://u:%ZZsecret@h.example:25", "password is not valid"),
        ];
        for (url, want) in cases {
            let got = parse(url).expect_err(url);
            assert!(got.starts_with("smtp_url: ") && got.contains(want), "{url}: got {got:?}, want {want:?}");
            assert!(!got.contains("secret"), "{url}: error repeats the password: {got}");
        }
        assert!(parse("smtp://u:pw@127.0.0.1:25?tls=none").is_ok(), "loopback may use AUTH without TLS");
    }
}

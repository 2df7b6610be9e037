//! The IMAP mailbox to poll, given as a URL and parsed into a checked [`ImapConfig`].
//!
//! ```text
//! imap://user:pass@host[:port][/Mailbox][?tls=starttls|required|none]   port 143; STARTTLS when offered (default),
//!                                                                      required, or never (only on this machine)
//! imaps://user:pass@host[:port][/Mailbox]                               port 993; TLS from the first byte
//!   &poll=SECS          seconds between polls (default 60, 1..=86400)
//!   &after=delete       what happens to a message once kept: delete it (default)
//!   &after=move:FOLDER  or move it to FOLDER (created when missing)
//!   &insecure=true      accept invalid certificates and host names (for tests and private servers)
//!   &timeout=SECS       limit for connecting and for each command (default 30, 1..=600)
//!   &batch=N            messages fetched per command (default 20, 1..=1000)
//!   &idle=false         poll every `poll` seconds even when the server offers IDLE (by default the
//!                       poller stays connected and fetches new mail as soon as the server announces it)
//!   &auth=xoauth2       log in with an OAuth 2.0 access token (Microsoft 365, Gmail) instead of a
//!                       password: the URL has no password, and [`ImapConfig::oauth`] says where
//!                       tokens come from
//! ```
//!
//! The mailbox defaults to `INBOX`. User name, password and mailbox are percent-decoded. The password
//! is never shown: `Display` and `Debug` print `***`, and errors never repeat it. With `imap://`, the
//! password is not sent to another machine over an unencrypted connection: a server that offers no
//! STARTTLS is refused unless it is on this machine.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

use kurier_core::percent_decode;

/// How the connection to the IMAP server is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImapTls {
    /// `imap://` (default): STARTTLS when the server offers it. Without it, only a server on this
    /// machine gets the password.
    StartTls,
    /// `imap://...?tls=required`: STARTTLS or no connection.
    Required,
    /// `imap://...?tls=none`: never encrypt (only for a server on this machine).
    None,
    /// `imaps://`: TLS from the first byte.
    Implicit,
}

/// What happens to a message in the mailbox once the sink has kept it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AfterFetch {
    /// Flag it `\Deleted` and expunge it.
    Delete,
    /// Move it to this folder (`UID MOVE`, or COPY and delete), creating the folder when missing.
    Move(String),
}

/// Where `AUTHENTICATE XOAUTH2` gets its access tokens: the OAuth 2.0 refresh-token grant
/// (RFC 6749 6) at the provider's token endpoint, e.g.
/// `https://login.microsoftonline.com/TENANT/oauth2/v2.0/token` (scope
/// `https://outlook.office.com/IMAP.AccessAsUser.All offline_access`) or
/// `https://oauth2.googleapis.com/token`. `Debug` never shows the secret or the refresh token.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapOAuth {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub refresh_token: String,
    pub scope: Option<String>,
    /// Where a refresh token the provider replaced (Microsoft does with every answer) is kept
    /// across restarts, readable by the owner only, so the configured one may expire. It holds a
    /// hash of the configured token too: configuring a new one makes the file's token stale.
    pub token_file: Option<std::path::PathBuf>,
}

impl fmt::Debug for ImapOAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapOAuth")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A bounce mailbox to poll over IMAP.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapConfig {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    pub tls: ImapTls,
    pub user: String,
    /// Never printed.
    pub password: String,
    /// The mailbox to poll, as the user names it (not yet in modified UTF-7).
    pub mailbox: String,
    pub poll_interval: Duration,
    pub after: AfterFetch,
    /// Accept certificates that do not verify (self-signed, wrong name). For tests only.
    pub accept_invalid_certs: bool,
    /// Limit for connecting and for each command (a large message gets longer).
    pub timeout: Duration,
    /// Messages fetched per `UID FETCH`.
    pub batch: usize,
    /// Larger messages are left in the mailbox (with a warning).
    pub max_message_bytes: usize,
    /// Between polls, wait with IDLE (RFC 2177) when the server offers it (`idle=false` turns it off).
    pub idle: bool,
    /// The longest IDLE before polling anyway (RFC 2177: at most 29 minutes).
    pub idle_max: Duration,
    /// `auth=xoauth2` in the URL: log in with OAuth 2.0 tokens from [`ImapConfig::oauth`], which
    /// the caller must set; the password is empty.
    pub xoauth2: bool,
    pub oauth: Option<ImapOAuth>,
}

impl ImapConfig {
    pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(60);
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_BATCH: usize = 20;
    pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
    pub const DEFAULT_IDLE_MAX: Duration = Duration::from_secs(25 * 60);

    /// Parses and checks an IMAP URL. The error names the part that is wrong.
    pub fn from_url(input: &str) -> Result<Self, ImapUrlError> {
        let err = |m: String| ImapUrlError(m);
        let url = Url::parse(input.trim())
            .map_err(|e| err(format!("not a URL ({e}); expected imaps://user:password@host/INBOX")))?;
        let implicit = match url.scheme() {
            "imap" => false,
            "imaps" => true,
            other => return Err(err(format!("unknown scheme {other:?} (use imap:// or imaps://)"))),
        };
        let host = match url.host_str() {
            Some(h) if !h.is_empty() => h.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase(),
            _ => return Err(err("host missing".into())),
        };
        let port = match url.port() {
            Some(0) => return Err(err("port 0 is not a port".into())),
            Some(p) => p,
            None if implicit => 993,
            None => 143,
        };
        let user = match url.username() {
            "" => return Err(err("user name missing (write imaps://user:password@host/INBOX)".into())),
            u => percent_decode(u).ok_or_else(|| err("user name is not valid percent-encoded UTF-8".into()))?,
        };
        let xoauth2 = url.query_pairs().any(|(k, v)| k == "auth" && v == "xoauth2");
        let password = match url.password() {
            None if xoauth2 => String::new(),
            None => return Err(err("password missing (write user:password@host)".into())),
            Some(_) if xoauth2 => {
                return Err(err("auth=xoauth2 logs in with OAuth tokens: leave the password out of the URL".into()));
            }
            Some(p) => percent_decode(p).ok_or_else(|| err("password is not valid percent-encoded UTF-8".into()))?,
        };
        let path = url.path().strip_prefix('/').unwrap_or(url.path());
        let mailbox = match percent_decode(path) {
            Some(m) if m.is_empty() => "INBOX".to_string(),
            Some(m) if m.chars().any(char::is_control) => {
                return Err(err("mailbox name has control characters".into()));
            }
            Some(m) => m,
            None => return Err(err("mailbox name is not valid percent-encoded UTF-8".into())),
        };
        if url.fragment().is_some() {
            return Err(err("unexpected #fragment".into()));
        }

        let mut config = ImapConfig {
            host,
            port,
            tls: if implicit { ImapTls::Implicit } else { ImapTls::StartTls },
            user,
            password,
            mailbox,
            poll_interval: Self::DEFAULT_POLL_INTERVAL,
            after: AfterFetch::Delete,
            accept_invalid_certs: false,
            timeout: Self::DEFAULT_TIMEOUT,
            batch: Self::DEFAULT_BATCH,
            max_message_bytes: Self::DEFAULT_MAX_MESSAGE_BYTES,
            idle: true,
            idle_max: Self::DEFAULT_IDLE_MAX,
            xoauth2,
            oauth: None,
        };
        let mut seen: Vec<String> = Vec::new();
        for (key, value) in url.query_pairs() {
            if seen.iter().any(|k| *k == key) {
                return Err(err(format!("parameter {key:?} given twice")));
            }
            seen.push(key.to_string());
            let seconds = |max: u64| {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .map(Duration::from_secs)
                    .ok_or_else(|| err(format!("{key}={value:?} is not a number of seconds from 1 to {max}")))
            };
            match key.as_ref() {
                "tls" => {
                    config.tls = match (implicit, value.as_ref()) {
                        (false, "starttls") => ImapTls::StartTls,
                        (false, "required") => ImapTls::Required,
                        (false, "none") => ImapTls::None,
                        (true, "required" | "implicit") => ImapTls::Implicit,
                        (true, other) => {
                            return Err(err(format!("tls={other:?} does not fit imaps://, which always uses TLS")));
                        }
                        (false, other) => {
                            return Err(err(format!("tls={other:?} is not one of starttls, required, none")));
                        }
                    }
                }
                "poll" => config.poll_interval = seconds(86_400)?,
                "timeout" => config.timeout = seconds(600)?,
                "after" => {
                    config.after = match value.split_once(':') {
                        None if value == "delete" => AfterFetch::Delete,
                        Some(("move", folder)) if !folder.is_empty() && !folder.chars().any(char::is_control) => {
                            AfterFetch::Move(folder.to_string())
                        }
                        _ => return Err(err(format!("after={value:?} is not delete or move:FOLDER"))),
                    }
                }
                "insecure" => {
                    config.accept_invalid_certs = match value.as_ref() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        other => return Err(err(format!("insecure={other:?} is not true or false"))),
                    }
                }
                "batch" => {
                    config.batch = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| err(format!("batch={value:?} is not a number from 1 to 1000")))?;
                }
                "idle" => {
                    config.idle = match value.as_ref() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        other => return Err(err(format!("idle={other:?} is not true or false"))),
                    }
                }
                "auth" if value == "xoauth2" || value == "password" => {}
                "auth" => return Err(err(format!("auth={value:?} is not password or xoauth2"))),
                other => {
                    return Err(err(format!(
                        "unknown parameter {other:?} (known: tls, poll, after, insecure, timeout, batch, idle, auth)"
                    )));
                }
            }
        }
        if config.tls == ImapTls::None && !config.is_loopback() {
            return Err(err("the password would cross the network unencrypted: drop tls=none, or use imaps://".into()));
        }
        if let AfterFetch::Move(folder) = &config.after
            && folder.eq_ignore_ascii_case(&config.mailbox)
        {
            return Err(err(format!("after=move:{folder} is the polled mailbox itself")));
        }
        Ok(config)
    }

    /// True when the server runs on this machine, where plain text is fine.
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost") || self.host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl FromStr for ImapConfig {
    type Err = ImapUrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_url(s)
    }
}

/// The URL again, with the password replaced by `***`: safe for logs and the admin UI.
impl fmt::Display for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls == ImapTls::Implicit { "imaps" } else { "imap" };
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        let password = if self.xoauth2 { "" } else { ":***" };
        write!(f, "{scheme}://{}{password}@{host}:{}/{}", self.user, self.port, self.mailbox)?;
        let mut params = Vec::new();
        if self.xoauth2 {
            params.push("auth=xoauth2".to_string());
        }
        match self.tls {
            ImapTls::Required => params.push("tls=required".to_string()),
            ImapTls::None => params.push("tls=none".to_string()),
            ImapTls::StartTls | ImapTls::Implicit => {}
        }
        if self.poll_interval != Self::DEFAULT_POLL_INTERVAL {
            params.push(format!("poll={}", self.poll_interval.as_secs()));
        }
        if let AfterFetch::Move(folder) = &self.after {
            params.push(format!("after=move:{folder}"));
        }
        if self.accept_invalid_certs {
            params.push("insecure=true".into());
        }
        if self.timeout != Self::DEFAULT_TIMEOUT {
            params.push(format!("timeout={}", self.timeout.as_secs()));
        }
        if self.batch != Self::DEFAULT_BATCH {
            params.push(format!("batch={}", self.batch));
        }
        if !self.idle {
            params.push("idle=false".into());
        }
        if !params.is_empty() {
            write!(f, "?{}", params.join("&"))?;
        }
        Ok(())
    }
}

impl fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImapConfig({self})")
    }
}

/// Why an IMAP URL was refused. Displays as `imap_url: ...`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("imap_url: {0}")]
pub struct ImapUrlError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ImapConfig, String> {
        ImapConfig::from_url(s).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults() {
        let c = parse("imaps://bounces%40example.com:s3cret@mail.example.com/").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.tls), ("mail.example.com", 993, ImapTls::Implicit));
        assert_eq!(
            (c.user.as_str(), c.password.as_str(), c.mailbox.as_str()),
            ("bounces@example.com", "s3cret", "INBOX")
        );
        assert_eq!((c.poll_interval, c.after.clone(), c.batch), (Duration::from_secs(60), AfterFetch::Delete, 20));
        assert_eq!(c.to_string(), "imaps://bounces@example.com:***@mail.example.com:993/INBOX");
        let c = parse("imap://u:p@mail.example.com").unwrap();
        assert_eq!((c.port, c.tls), (143, ImapTls::StartTls));
    }

    #[test]
    fn everything_given() {
        let c = parse(
            "imap://u:p%40ss@127.0.0.1:1143/Bounces%20%26%20Replies?tls=none&poll=5&after=move:Done&insecure=true&timeout=7&batch=3",
        )
        .unwrap();
        assert_eq!((c.port, c.tls, c.mailbox.as_str()), (1143, ImapTls::None, "Bounces & Replies"));
        assert_eq!(c.password, "p@ss");
        assert_eq!(c.after, AfterFetch::Move("Done".into()));
        assert_eq!((c.poll_interval, c.timeout, c.batch), (Duration::from_secs(5), Duration::from_secs(7), 3));
        assert!(c.accept_invalid_certs);
        let shown = format!("{c} {c:?}");
        assert!(!shown.contains("p@ss"), "{shown}");
        assert!(
            shown.contains("imap://u:***@127.0.0.1:1143/Bounces & Replies?tls=none&poll=5&after=move:Done"),
            "{shown}"
        );
        assert_eq!(parse("imap://u:p@h.example?tls=required").unwrap().tls, ImapTls::Required);
        assert_eq!(parse("imap://u:p@[::1]/X?tls=none").unwrap().host, "::1");
    }

    #[test]
    fn errors_name_the_bad_part() {
        let cases = [
            ("pop3://u:secret@h.example", "unknown scheme \"pop3\""),
            ("imaps://h.example/INBOX", "user name missing"),
            ("imaps://u@h.example/INBOX", "password missing"),
            ("imaps://u:secret@h.example:0", "port 0"),
            ("imaps://u:%ZZsecret@h.example", "password is not valid"),
            ("imaps://u:secret@h.example/%FF", "mailbox name is not valid"),
            ("imaps://u:secret@h.example/a%0Ab", "control characters"),
            ("imap://u:secret@h.example?tls=maybe", "tls=\"maybe\""),
            ("imaps://u:secret@h.example?tls=none", "imaps://"),
            ("imap://u:secret@h.example?tls=none", "unencrypted"),
            ("imaps://u:secret@h.example?poll=0", "poll=\"0\""),
            ("imaps://u:secret@h.example?timeout=9999", "timeout=\"9999\""),
            ("imaps://u:secret@h.example?after=archive", "after=\"archive\""),
            ("imaps://u:secret@h.example?after=move:", "after=\"move:\""),
            ("imaps://u:secret@h.example/Done?after=move:Done", "polled mailbox itself"),
            ("imaps://u:secret@h.example?batch=0", "batch=\"0\""),
            ("imaps://u:secret@h.example?insecure=perhaps", "insecure=\"perhaps\""),
            ("imaps://u:secret@h.example?poll=1&poll=2", "\"poll\" given twice"),
            ("imaps://u:secret@h.example?colour=blue", "unknown parameter \"colour\""),
            ("mail.example.com", "not a URL"),
        ];
        for (url, want) in cases {
            let got = parse(url).expect_err(url);
            assert!(got.starts_with("imap_url: ") && got.contains(want), "{url}: got {got:?}, want {want:?}");
            assert!(!got.contains("secret"), "{url}: error repeats the password: {got}");
        }
    }
}

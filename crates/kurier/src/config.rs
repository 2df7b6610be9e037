//! Configuration in two steps (all problems reported at once): collect raw values from the optional
//! TOML file and then from `KURIER_*` environment variables (which win), then validate each key.
//! Unknown keys in the file, and unknown `KURIER_*` variables, are errors that name the key.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use kurier_core::{EmailAddress, FeedbackPolicy, RateThresholds, SoftBounceRule, Threshold, single_line};
use kurier_web::{FetchRule, SesWebhook, Webhooks};
use kurier_workers::ImapConfig;
use url::Url;

/// Every key, with what it means. Each has the variable `KURIER_<KEY>`.
pub const KEYS: &[(&str, &str)] = &[
    ("data_dir", "directory for the SQLite database, the secret and the admin token (default ./kurier-data)"),
    ("listen", "address the web server listens on (default 127.0.0.1:8080)"),
    ("database_url", "sqlite://PATH or postgres://... (default: SQLite in the data dir)"),
    ("smtp_url", "relay to send through, smtp://[user:pass@]host:port or smtps://...; unset: capture transport"),
    ("public_url", "base URL of links in mail and pages (default http://<listen>)"),
    ("admin_token", "bearer token of the admin API (default: generated into <data_dir>/admin-token)"),
    ("secret", "instance secret, at least 32 bytes as 64+ hex digits (default: generated into <data_dir>/secret)"),
    ("sender_name", "sender's name in From and footers (default Kurier)"),
    ("sender_address", "sender's address in From (default newsletter@<public_url host>)"),
    ("sender_postal_address", "sender's postal address for the footer of marketing mail"),
    ("reply_to", "optional Reply-To address"),
    ("bounce_domain", "domain of VERP return paths (default: the public_url host)"),
    ("message_id_domain", "right-hand side of Message-IDs (default: the public_url host)"),
    (
        "dkim_keys",
        "DKIM keys signing all mail, selector:path of RSA or Ed25519 PEM files, comma-separated (default: none)",
    ),
    ("dkim_domain", "the DKIM signing domain d= (default: the sender address's domain)"),
    ("confirm_ttl_days", "days a confirmation link works (default 7)"),
    ("subscribe_limit", "subscribe requests per client address and window (default 10)"),
    ("subscribe_window_secs", "the window of subscribe_limit in seconds (default 600)"),
    ("log", "log filter, e.g. info or kurier=debug (default info)"),
    ("inbound_listen", "address of the SMTP server for bounces to the bounce domain, e.g. 0.0.0.0:25 (default: off)"),
    ("inbound_hostname", "host name the inbound SMTP server greets with (default: the bounce domain)"),
    ("inbound_max_connections", "SMTP sessions the inbound server holds at once (default 100)"),
    ("inbound_max_connections_per_client", "of those, sessions from one client address or IPv6 /64 (default 10)"),
    ("imap_url", "bounce mailbox to poll, imaps://user:pass@host/INBOX?after=delete|move:FOLDER (default: off)"),
    ("imap_oauth_token_url", "OAuth 2.0 token endpoint for imap_url ...?auth=xoauth2 (Microsoft 365, Gmail)"),
    ("imap_oauth_client_id", "OAuth client (application) id for auth=xoauth2"),
    ("imap_oauth_client_secret", "OAuth client secret for auth=xoauth2, if the application has one"),
    ("imap_oauth_refresh_token", "OAuth refresh token of the bounce mailbox for auth=xoauth2"),
    (
        "imap_oauth_scope",
        "OAuth scope to ask for, e.g. https://outlook.office.com/IMAP.AccessAsUser.All offline_access",
    ),
    ("ses_topic_arns", "comma-separated SNS topic ARNs whose SES notifications /webhooks/ses accepts (default: off)"),
    (
        "postmark_webhook_user",
        "HTTP Basic user Postmark's webhook URL carries (with the password: enables /webhooks/postmark)",
    ),
    ("postmark_webhook_password", "HTTP Basic password of Postmark's webhook URL"),
    ("sendgrid_webhook_key", "SendGrid event webhook verification key, base64 (enables /webhooks/sendgrid)"),
    ("mailgun_signing_key", "Mailgun HTTP webhook signing key (enables /webhooks/mailgun)"),
    ("soft_bounce_count", "soft bounces in a row, without a delivery between, that suppress an address (default 3)"),
    ("soft_bounce_days", "days those soft bounces must span at least (default 7)"),
    ("bounce_rate_warn", "hard-bounce rate in percent that raises a warning (default 2)"),
    ("bounce_rate_critical", "hard-bounce rate in percent that raises a critical alert (default 5)"),
    ("complaint_rate_warn", "complaint rate in percent that raises a warning (default 0.1)"),
    ("complaint_rate_critical", "complaint rate in percent that raises a critical alert (default 0.3)"),
    ("rate_window_days", "days of the rolling window rates are kept over (default 30)"),
    ("rate_min_volume", "messages in the window below which rates raise no warning (default 100)"),
];

/// Where a raw value came from, for error messages.
#[derive(Clone, Debug)]
enum Origin {
    File(PathBuf),
    Env(String),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Env(v) => write!(f, "environment variable {v}"),
            Self::Flag(n) => write!(f, "option --{n}"),
        }
    }
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub database_url: String,
    pub smtp_url: Option<String>,
    pub public_url: Url,
    /// False when `public_url` was derived from `listen` (and must follow the port actually bound).
    pub public_url_set: bool,
    pub admin_token: Option<String>,
    pub secret: Option<Vec<u8>>,
    pub sender_name: String,
    pub sender_address: EmailAddress,
    pub sender_postal_address: String,
    pub reply_to: Option<EmailAddress>,
    pub bounce_domain: String,
    pub message_id_domain: String,
    pub confirm_ttl: Duration,
    pub subscribe_limit: u32,
    pub subscribe_window: Duration,
    pub log: String,
    pub inbound_listen: Option<SocketAddr>,
    pub inbound_hostname: String,
    pub dkim_domain: String,
    /// Signs every message put into the outbox (`dkim_keys`).
    pub dkim: Option<std::sync::Arc<kurier_mail::dkim::DkimSigner>>,
    pub inbound_max_connections: usize,
    pub inbound_max_connections_per_client: usize,
    pub imap: Option<ImapConfig>,
    pub webhooks: Webhooks,
    pub feedback_policy: FeedbackPolicy,
}

/// All configuration problems, one per line.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the configuration has {} problem(s):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Command-line values that override file and environment.
#[derive(Default, Debug, Clone)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
}

impl Config {
    /// Loads `file` (if given; it must then exist), then the `KURIER_*` variables in `env`, then the
    /// command-line overrides, and validates the result.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let mut raw: BTreeMap<&'static str, (String, Origin)> = BTreeMap::new();
        let known = |k: &str| KEYS.iter().find(|(name, _)| *name == k).map(|(name, _)| *name);

        if let Some(path) = file {
            match std::fs::read_to_string(path) {
                Err(e) => errors.push(format!("{}: cannot read: {e}", path.display())),
                Ok(text) => match text.parse::<toml::Table>() {
                    Err(e) => errors.push(format!("{}: not valid TOML: {}", path.display(), e.message())),
                    Ok(table) => {
                        for (k, v) in table {
                            let Some(key) = known(&k) else {
                                errors.push(format!("{}: unknown key `{k}`{}", path.display(), suggest(&k)));
                                continue;
                            };
                            let value = match v {
                                toml::Value::String(s) => s,
                                toml::Value::Integer(i) => i.to_string(),
                                toml::Value::Boolean(b) => b.to_string(),
                                other => {
                                    errors.push(format!(
                                        "{}: key `{k}` must be a string or number, not {}",
                                        path.display(),
                                        other.type_str()
                                    ));
                                    continue;
                                }
                            };
                            raw.insert(key, (value, Origin::File(path.to_path_buf())));
                        }
                    }
                },
            }
        }
        for (var, value) in env {
            let Some(k) = var.strip_prefix("KURIER_") else { continue };
            let k = k.to_ascii_lowercase();
            match known(&k) {
                Some(key) => {
                    raw.insert(key, (value, Origin::Env(var)));
                }
                // Variables the test suites and tools use are not configuration keys.
                None if var.starts_with("KURIER_TEST_") => {}
                None => errors.push(format!("environment variable {var}: unknown key `{k}`{}", suggest(&k))),
            }
        }
        if let Some(d) = &overrides.data_dir {
            raw.insert("data_dir", (d.display().to_string(), Origin::Flag("data-dir")));
        }
        if let Some(l) = &overrides.listen {
            raw.insert("listen", (l.clone(), Origin::Flag("listen")));
        }

        let mut v = Validator { raw, errors };
        let data_dir = PathBuf::from(v.get("data_dir").unwrap_or_else(|| "kurier-data".into()));
        let listen = v.parse("listen", "127.0.0.1:8080", |s| s.parse::<SocketAddr>().map_err(|e| e.to_string()));
        let database_url =
            v.get("database_url").unwrap_or_else(|| format!("sqlite://{}", data_dir.join("kurier.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            v.error("database_url", "must start with sqlite:// or postgres://");
        }
        let smtp_url = v.get("smtp_url").filter(|s| !s.is_empty());
        let public_default = format!("http://{}", listen.unwrap_or_else(|| "127.0.0.1:8080".parse().expect("valid")));
        let public_url = v.parse("public_url", &public_default, |s| {
            let u = Url::parse(s).map_err(|e| e.to_string())?;
            if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                return Err("must be an http:// or https:// URL with a host".into());
            }
            if u.query().is_some() || u.fragment().is_some() {
                return Err("must not have a query or fragment".into());
            }
            Ok(u)
        });
        let public_url_set = v.raw.contains_key("public_url");
        let host = public_url.as_ref().and_then(|u| u.host_str()).unwrap_or("localhost").to_string();
        let admin_token = v.get("admin_token").filter(|t| !t.is_empty());
        if admin_token.as_ref().is_some_and(|t| t.len() < 16 || t.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            v.error("admin_token", "must be at least 16 characters without spaces");
        }
        let secret = v.get("secret").and_then(|s| match decode_hex(&s) {
            Some(b) if b.len() >= 32 => Some(b),
            _ => {
                v.error("secret", "must be at least 64 hex digits (32 bytes)");
                None
            }
        });
        let sender_name =
            v.parse("sender_name", "Kurier", |s| single_line("sender_name", s, 100).map_err(|e| e.reason));
        let sender_address = v.parse("sender_address", &format!("newsletter@{}", domain_for_mail(&host)), |s| {
            EmailAddress::parse(s).map_err(|e| e.to_string())
        });
        let sender_postal_address = v.get("sender_postal_address").unwrap_or_default();
        if sender_postal_address.chars().any(|c| c.is_control() && c != '\n') || sender_postal_address.len() > 500 {
            v.error("sender_postal_address", "must be text of at most 500 characters");
        }
        let reply_to = v.get("reply_to").filter(|s| !s.is_empty()).and_then(|s| match EmailAddress::parse(&s) {
            Ok(a) => Some(a),
            Err(e) => {
                v.error("reply_to", &e.to_string());
                None
            }
        });
        let domain = |s: &str| -> Result<String, String> {
            EmailAddress::parse(&format!("x@{s}"))
                .map(|a| a.domain().to_string())
                .map_err(|_| "must be a domain name".into())
        };
        let bounce_domain = v.parse("bounce_domain", &domain_for_mail(&host), domain);
        let message_id_domain = v.parse("message_id_domain", &domain_for_mail(&host), domain);
        let dkim_domain = match v.get("dkim_domain").filter(|s| !s.trim().is_empty()) {
            Some(d) => domain(d.trim()).map_err(|e| v.error("dkim_domain", &e)).ok(),
            None => sender_address.as_ref().map(|a| a.domain().to_string()),
        };
        if let (Some(d), Some(a)) = (&dkim_domain, &sender_address)
            && !crate::dkim_cli::aligned(a.domain(), d)
        {
            v.error(
                "dkim_domain",
                &format!(
                    "{d} does not align with the sender address's domain {}: receivers would fail the message's DMARC check",
                    a.domain()
                ),
            );
        }
        let dkim = match (v.get("dkim_keys"), &dkim_domain) {
            (Some(spec), Some(d)) => match crate::dkim_cli::signer(&spec, d) {
                Ok(signer) => signer.map(std::sync::Arc::new),
                Err(problems) => {
                    for p in problems {
                        v.error("dkim_keys", &p);
                    }
                    None
                }
            },
            _ => None,
        };
        let confirm_days = v.parse("confirm_ttl_days", "7", |s| match s.parse::<u64>() {
            Ok(d @ 1..=90) => Ok(d),
            _ => Err("must be a whole number of days from 1 to 90".into()),
        });
        let subscribe_limit = v.parse("subscribe_limit", "10", |s| match s.parse::<u32>() {
            Ok(n @ 1..) => Ok(n),
            _ => Err("must be a whole number of at least 1".into()),
        });
        let subscribe_window = v.parse("subscribe_window_secs", "600", |s| match s.parse::<u64>() {
            Ok(n @ 1..) => Ok(Duration::from_secs(n)),
            _ => Err("must be a whole number of seconds of at least 1".into()),
        });
        let log = v.get("log").unwrap_or_else(|| "info".into());
        let inbound_listen = v.get("inbound_listen").filter(|s| !s.is_empty()).and_then(|s| {
            s.trim().parse::<SocketAddr>().map_err(|e| v.error("inbound_listen", &format!("{e} (got {s:?})"))).ok()
        });
        let inbound_hostname = match v.get("inbound_hostname").filter(|s| !s.is_empty()) {
            Some(h) => domain(&h).map_err(|e| v.error("inbound_hostname", &e)).ok(),
            None => bounce_domain.clone(),
        };
        let mut imap = v
            .get("imap_url")
            .filter(|s| !s.is_empty())
            .and_then(|s| ImapConfig::from_url(&s).map_err(|e| v.error("imap_url", &e.to_string())).ok());
        let oauth_keys = [
            "imap_oauth_token_url",
            "imap_oauth_client_id",
            "imap_oauth_client_secret",
            "imap_oauth_refresh_token",
            "imap_oauth_scope",
        ];
        let wants_oauth = imap.as_ref().is_some_and(|i| i.xoauth2);
        if wants_oauth {
            let token_url = v.nonempty("imap_oauth_token_url");
            match token_url.as_deref().map(Url::parse) {
                None => v.error("imap_oauth_token_url", "is needed for imap_url with auth=xoauth2"),
                Some(Ok(u))
                    if u.scheme() == "https"
                        || (u.scheme() == "http"
                            && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))) => {}
                Some(_) => v.error("imap_oauth_token_url", "must be an https:// URL (http:// only on this machine)"),
            }
            let client_id = v.nonempty("imap_oauth_client_id");
            let refresh_token = v.nonempty("imap_oauth_refresh_token");
            if client_id.is_none() {
                v.error("imap_oauth_client_id", "is needed for imap_url with auth=xoauth2");
            }
            if refresh_token.is_none() {
                v.error("imap_oauth_refresh_token", "is needed for imap_url with auth=xoauth2");
            }
            if let (Some(imap), Some(token_url), Some(client_id), Some(refresh_token)) =
                (imap.as_mut(), token_url, client_id, refresh_token)
            {
                imap.oauth = Some(kurier_workers::inbound::ImapOAuth {
                    token_url,
                    client_id,
                    client_secret: v.nonempty("imap_oauth_client_secret"),
                    refresh_token,
                    scope: v.nonempty("imap_oauth_scope"),
                    token_file: Some(data_dir.join("imap-oauth-refresh-token")),
                });
            }
        } else {
            for key in oauth_keys {
                if v.nonempty(key).is_some() {
                    v.error(key, "is only used with imap_url ...?auth=xoauth2");
                }
            }
        }
        let list = |s: Option<String>| -> Vec<String> {
            s.unwrap_or_default().split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect()
        };
        let topic_arns = list(v.get("ses_topic_arns"));
        for arn in &topic_arns {
            if !arn.starts_with("arn:aws") || arn.split(':').count() != 6 {
                v.error(
                    "ses_topic_arns",
                    &format!("{arn:?} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"),
                );
            }
        }
        let postmark = match (v.nonempty("postmark_webhook_user"), v.nonempty("postmark_webhook_password")) {
            (Some(u), Some(p)) => Some((u, p)),
            (None, None) => None,
            _ => {
                v.error("postmark_webhook_user", "and postmark_webhook_password must be set together");
                None
            }
        };
        let sendgrid_key = v.nonempty("sendgrid_webhook_key");
        if sendgrid_key.as_ref().is_some_and(|k| base64::engine::general_purpose::STANDARD.decode(k).is_err()) {
            v.error("sendgrid_webhook_key", "must be the base64 verification key SendGrid shows");
        }
        let webhooks = Webhooks {
            ses: (!topic_arns.is_empty()).then_some(SesWebhook { topic_arns, fetch_rule: FetchRule::AmazonSns }),
            postmark,
            sendgrid_key,
            mailgun_key: v.nonempty("mailgun_signing_key"),
        };
        let whole = |min: u64, max: u64| {
            move |s: &str| match s.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(format!("must be a whole number from {min} to {max}")),
            }
        };
        let percent = |s: &str| match s.parse::<f64>() {
            Ok(p) if p > 0.0 && p <= 100.0 => Ok(p / 100.0),
            _ => Err("must be a percentage above 0 and at most 100".to_string()),
        };
        let inbound_max_connections = v.parse("inbound_max_connections", "100", whole(1, 100_000));
        let inbound_max_connections_per_client = v.parse("inbound_max_connections_per_client", "10", whole(1, 100_000));
        let soft_count = v.parse("soft_bounce_count", "3", whole(1, 100));
        let soft_days = v.parse("soft_bounce_days", "7", whole(0, 365));
        let bounce_warn = v.parse("bounce_rate_warn", "2", percent);
        let bounce_critical = v.parse("bounce_rate_critical", "5", percent);
        let complaint_warn = v.parse("complaint_rate_warn", "0.1", percent);
        let complaint_critical = v.parse("complaint_rate_critical", "0.3", percent);
        let window_days = v.parse("rate_window_days", "30", whole(1, 365));
        let min_volume = v.parse("rate_min_volume", "100", whole(1, 10_000_000));
        if bounce_warn.zip(bounce_critical).is_some_and(|(w, c)| w > c) {
            v.error("bounce_rate_warn", "must not be above bounce_rate_critical");
        }
        if complaint_warn.zip(complaint_critical).is_some_and(|(w, c)| w > c) {
            v.error("complaint_rate_warn", "must not be above complaint_rate_critical");
        }

        if !v.errors.is_empty() {
            return Err(ConfigErrors(v.errors));
        }
        Ok(Self {
            data_dir,
            listen: listen.expect("validated"),
            database_url,
            smtp_url,
            public_url: public_url.expect("validated"),
            public_url_set,
            admin_token,
            secret,
            sender_name: sender_name.expect("validated"),
            sender_address: sender_address.expect("validated"),
            sender_postal_address,
            reply_to,
            bounce_domain: bounce_domain.expect("validated"),
            message_id_domain: message_id_domain.expect("validated"),
            confirm_ttl: Duration::from_secs(confirm_days.expect("validated") * 86400),
            subscribe_limit: subscribe_limit.expect("validated"),
            subscribe_window: subscribe_window.expect("validated"),
            log,
            inbound_listen,
            inbound_hostname: inbound_hostname.expect("validated"),
            dkim_domain: dkim_domain.expect("validated"),
            dkim,
            inbound_max_connections: usize::try_from(inbound_max_connections.expect("validated")).unwrap_or(usize::MAX),
            inbound_max_connections_per_client: usize::try_from(inbound_max_connections_per_client.expect("validated"))
                .unwrap_or(usize::MAX),
            imap,
            webhooks,
            feedback_policy: FeedbackPolicy {
                soft_bounce: SoftBounceRule {
                    count: u32::try_from(soft_count.expect("validated")).unwrap_or(u32::MAX),
                    span: Duration::from_secs(soft_days.expect("validated") * 86_400),
                },
                rates: RateThresholds {
                    bounce: Threshold {
                        warn: bounce_warn.expect("validated"),
                        critical: bounce_critical.expect("validated"),
                    },
                    complaint: Threshold {
                        warn: complaint_warn.expect("validated"),
                        critical: complaint_critical.expect("validated"),
                    },
                    window: Duration::from_secs(window_days.expect("validated") * 86_400),
                    min_volume: min_volume.expect("validated"),
                },
            },
        })
    }
}

/// `localhost` and IP hosts make no mail domain; use a reserved name then.
fn domain_for_mail(host: &str) -> String {
    if host.contains('.') && !host.chars().all(|c| c.is_ascii_digit() || c == '.') {
        host.to_string()
    } else {
        "kurier.localhost.localdomain".to_string()
    }
}

struct Validator {
    raw: BTreeMap<&'static str, (String, Origin)>,
    errors: Vec<String>,
}

impl Validator {
    fn get(&self, key: &str) -> Option<String> {
        self.raw.get(key).map(|(v, _)| v.clone())
    }

    /// A value that is set and not blank, trimmed.
    fn nonempty(&self, key: &str) -> Option<String> {
        self.get(key).filter(|s| !s.trim().is_empty()).map(|s| s.trim().to_string())
    }

    fn error(&mut self, key: &str, msg: &str) {
        let origin = self.raw.get(key).map(|(_, o)| o.to_string()).unwrap_or_else(|| "default".into());
        self.errors.push(format!("{origin}: `{key}` {msg}"));
    }

    fn parse<T>(&mut self, key: &str, default: &str, f: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = self.get(key).unwrap_or_else(|| default.to_string());
        match f(value.trim()) {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(key, &format!("{e} (got {value:?})"));
                None
            }
        }
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn suggest(key: &str) -> String {
    KEYS.iter()
        .map(|(k, _)| *k)
        .min_by_key(|k| kurier_core::edit_distance(k, key))
        .filter(|k| kurier_core::edit_distance(k, key) <= 2)
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_need_nothing() {
        let c = Config::load(None, env(&[]), &Overrides::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("kurier-data"));
        assert_eq!(c.database_url, "sqlite://kurier-data/kurier.db");
        assert!(c.smtp_url.is_none());
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(c.confirm_ttl, Duration::from_secs(7 * 86400));
    }

    #[test]
    fn env_overrides_file_and_flags_override_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kurier.toml");
        std::fs::write(&file, "smtp_url = \"smtp://relay:25\"\nlisten = \"127.0.0.1:9000\"\nconfirm_ttl_days = 3\n")
            .unwrap();
        let c = Config::load(
            Some(&file),
            env(&[
                ("KURIER_SMTP_URL", "smtp://other:2525"),
                ("KURIER_PUBLIC_URL", "https://news.example.de"),
                ("PATH", "/bin"),
            ]),
            &Overrides { listen: Some("127.0.0.1:9001".into()), ..Overrides::default() },
        )
        .unwrap();
        assert_eq!(c.smtp_url.as_deref(), Some("smtp://other:2525"));
        assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(c.confirm_ttl, Duration::from_secs(3 * 86400));
        assert_eq!(c.bounce_domain, "news.example.de");
        assert_eq!(c.sender_address.as_str(), "newsletter@news.example.de");
    }

    #[test]
    fn feedback_keys_are_checked_and_applied() {
        let bad = Config::load(
            None,
            env(&[
                ("KURIER_BOUNCE_RATE_WARN", "6"),
                ("KURIER_COMPLAINT_RATE_CRITICAL", "zero"),
                ("KURIER_POSTMARK_WEBHOOK_USER", "pm"),
                ("KURIER_SES_TOPIC_ARNS", "arn:aws:sns:eu-central-1:1:ok, not-an-arn"),
                ("KURIER_IMAP_URL", "pop3://x"),
                ("KURIER_INBOUND_LISTEN", "port 25"),
                ("KURIER_INBOUND_MAX_CONNECTIONS_PER_CLIENT", "0"),
            ]),
            &Overrides::default(),
        )
        .unwrap_err();
        let text = bad.to_string();
        assert_eq!(bad.0.len(), 7, "{text}");
        for needle in [
            "`bounce_rate_warn` must not be above bounce_rate_critical",
            "`complaint_rate_critical` must be a percentage",
            "`postmark_webhook_user` and postmark_webhook_password must be set together",
            "\"not-an-arn\" is not an SNS topic ARN",
            "`imap_url`",
            "`inbound_listen`",
            "`inbound_max_connections_per_client` must be a whole number from 1 to 100000 (got \"0\")",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
        let good = Config::load(
            None,
            env(&[
                ("KURIER_SOFT_BOUNCE_COUNT", "4"),
                ("KURIER_SOFT_BOUNCE_DAYS", "10"),
                ("KURIER_COMPLAINT_RATE_WARN", "0.05"),
                ("KURIER_SES_TOPIC_ARNS", "arn:aws:sns:eu-central-1:123456789012:bounces"),
                ("KURIER_MAILGUN_SIGNING_KEY", "key-1"),
                ("KURIER_INBOUND_MAX_CONNECTIONS", "40"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(good.feedback_policy.soft_bounce.count, 4);
        assert_eq!(good.feedback_policy.soft_bounce.span, Duration::from_secs(10 * 86_400));
        assert!((good.feedback_policy.rates.complaint.warn - 0.0005).abs() < 1e-12);
        assert_eq!(good.webhooks.ses.unwrap().topic_arns, ["arn:aws:sns:eu-central-1:123456789012:bounces"]);
        assert_eq!(good.webhooks.mailgun_key.as_deref(), Some("key-1"));
        assert_eq!(good.webhooks.postmark, None);
        assert_eq!(good.inbound_listen, None);
        assert_eq!((good.inbound_max_connections, good.inbound_max_connections_per_client), (40, 10));
    }

    #[test]
    fn imap_oauth_settings_go_with_auth_xoauth2() {
        let url = ("KURIER_IMAP_URL", "imaps://bounces%40shop.example.de@outlook.office365.com/INBOX?auth=xoauth2");
        let missing = Config::load(None, env(&[url]), &Overrides::default()).unwrap_err().to_string();
        for key in ["imap_oauth_token_url", "imap_oauth_client_id", "imap_oauth_refresh_token"] {
            assert!(missing.contains(&format!("`{key}` is needed for imap_url with auth=xoauth2")), "{missing}");
        }
        let plain_http = Config::load(
            None,
            env(&[
                url,
                ("KURIER_IMAP_OAUTH_TOKEN_URL", "http://login.example.com/token"),
                ("KURIER_IMAP_OAUTH_CLIENT_ID", "app"),
                ("KURIER_IMAP_OAUTH_REFRESH_TOKEN", "r"),
            ]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(plain_http.contains("`imap_oauth_token_url` must be an https:// URL"), "{plain_http}");
        let good = Config::load(
            None,
            env(&[
                url,
                ("KURIER_IMAP_OAUTH_TOKEN_URL", "https://login.microsoftonline.com/contoso/oauth2/v2.0/token"),
                ("KURIER_IMAP_OAUTH_CLIENT_ID", "app"),
                ("KURIER_IMAP_OAUTH_REFRESH_TOKEN", "r"),
                ("KURIER_IMAP_OAUTH_SCOPE", "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
        let oauth = good.imap.unwrap().oauth.unwrap();
        assert_eq!((oauth.client_id.as_str(), oauth.client_secret), ("app", None));
        let stray = Config::load(None, env(&[("KURIER_IMAP_OAUTH_CLIENT_ID", "app")]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(stray.contains("`imap_oauth_client_id` is only used with imap_url ...?auth=xoauth2"), "{stray}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kurier.toml");
        std::fs::write(&file, "smpt_url = \"x\"\nlisten = \"nowhere\"\n").unwrap();
        let err = Config::load(
            Some(&file),
            env(&[("KURIER_PUBLIC_URL", "ftp://x"), ("KURIER_CONFIRM_TTL_DAYS", "0"), ("KURIER_COLOUR", "red")]),
            &Overrides::default(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 5, "{text}");
        assert!(text.contains("unknown key `smpt_url` (did you mean `smtp_url`?)"), "{text}");
        assert!(text.contains("`listen`"), "{text}");
        assert!(text.contains("environment variable KURIER_PUBLIC_URL: `public_url` must be an http"), "{text}");
        assert!(text.contains("KURIER_CONFIRM_TTL_DAYS"), "{text}");
        assert!(text.contains("KURIER_COLOUR: unknown key `colour`"), "{text}");
    }

    #[test]
    fn every_key_is_documented_once() {
        let mut names: Vec<_> = KEYS.iter().map(|k| k.0).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KEYS.len());
    }
}

//! OAuth 2.0 access tokens for `AUTHENTICATE XOAUTH2`: the refresh-token grant (RFC 6749 6) at the
//! provider's token endpoint, kept until shortly before they expire.

use std::path::Path;
use std::time::{Duration, Instant};

use super::ImapError;
use super::config::ImapOAuth;

/// Tokens are renewed this long before the provider says they expire.
const MARGIN: Duration = Duration::from_secs(120);

/// The current access token and the refresh token to get the next one with (providers may send
/// a new refresh token with each answer: it replaces the configured one for the rest of the run).
pub(super) struct Tokens {
    access: Option<(String, Instant)>,
    refresh: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("access_until", &self.access.as_ref().map(|(_, t)| t)).finish_non_exhaustive()
    }
}

impl Tokens {
    pub(super) fn new(oauth: &ImapOAuth) -> Self {
        let kept = oauth.token_file.as_deref().and_then(|file| read_kept(file, &oauth.refresh_token));
        Self { access: None, refresh: kept.unwrap_or_else(|| oauth.refresh_token.clone()) }
    }

    /// An access token valid for a while yet, asking the token endpoint when needed.
    pub(super) async fn access_token(&mut self, oauth: &ImapOAuth, timeout: Duration) -> Result<String, ImapError> {
        if let Some((token, until)) = &self.access
            && Instant::now() + MARGIN < *until
        {
            return Ok(token.clone());
        }
        let answer = request(oauth, &self.refresh, timeout).await?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        if let Some(refresh) = answer.refresh_token.filter(|r| !r.is_empty() && *r != self.refresh) {
            if let Some(file) = &oauth.token_file
                && let Err(e) = keep(file, &oauth.refresh_token, &refresh)
            {
                tracing::warn!(file = %file.display(), error = %e, "cannot keep the new OAuth refresh token");
            }
            self.refresh = refresh;
        }
        self.access = Some((answer.access_token.clone(), Instant::now() + lifetime));
        Ok(answer.access_token)
    }

    /// Forgets the access token (the server refused it), so the next poll gets a new one.
    pub(super) fn forget(&mut self) {
        self.access = None;
    }
}

struct Answer {
    access_token: String,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
}

async fn request(oauth: &ImapOAuth, refresh_token: &str, timeout: Duration) -> Result<Answer, ImapError> {
    let fail = |detail: String| ImapError::OAuth { url: oauth.token_url.clone(), detail };
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", oauth.client_id.as_str()),
    ];
    if let Some(secret) = &oauth.client_secret {
        form.push(("client_secret", secret));
    }
    if let Some(scope) = &oauth.scope {
        form.push(("scope", scope));
    }
    let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| fail(e.to_string()))?;
    let response = client
        .post(&oauth.token_url)
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| fail(format!("no answer ({})", describe(e))))?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| fail(format!("answer cut off ({})", describe(e))))?;
    if !status.is_success() {
        // RFC 6749 5.2: `error` and `error_description`, e.g. invalid_grant for a revoked token.
        let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let text = |k: &str| error.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let what = match (text("error"), text("error_description")) {
            (Some(e), Some(d)) => format!("{e}: {}", first_line(&d)),
            (Some(e), None) => e,
            _ => "no OAuth error in the answer".into(),
        };
        return Err(fail(format!("HTTP {status}: {what}")));
    }
    let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let text = |k: &str| answer.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let access_token = text("access_token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| fail("the answer holds no access_token".into()))?;
    Ok(Answer {
        access_token,
        // A number (RFC 6749), or a string from some providers.
        expires_in: answer.get("expires_in").and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok())),
        refresh_token: text("refresh_token"),
    })
}

/// reqwest's error without the URL (the message names it already) but with its cause.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    match std::error::Error::source(&e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default().trim()
}

/// The initial response of `AUTHENTICATE XOAUTH2` (Google's and Microsoft's SASL mechanism).
pub(super) fn xoauth2_response(user: &str, token: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"))
}

/// What a server's `+` answer to a refused XOAUTH2 says: base64 JSON such as
/// `{"status":"401","schemes":"bearer","scope":"..."}`, shown without the base64.
pub(super) fn xoauth2_error(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|json| String::from_utf8(json).ok())
        .map(|json| json.chars().filter(|c| !c.is_control()).take(300).collect())
        .unwrap_or_else(|| text.chars().take(300).collect())
}

/// `v1 SHA-256(configured token)` and the token, one per line.
fn file_text(configured: &str, refresh: &str) -> String {
    use sha2::Digest as _;
    let hash: String = sha2::Sha256::digest(configured.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    format!("v1 {hash}\n{refresh}\n")
}

/// The kept refresh token, if the file holds one for the configured token.
fn read_kept(file: &Path, configured: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let mut lines = text.lines();
    let (head, token) = (lines.next()?, lines.next()?.trim());
    let expected = file_text(configured, "");
    (Some(head) == expected.lines().next() && !token.is_empty()).then(|| token.to_string())
}

/// Writes the file (mode 0600) by way of a temporary one, so a crash leaves the old or the new.
fn keep(file: &Path, configured: &str, refresh: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let tmp = file.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut f = options.open(&tmp)?;
    f.write_all(file_text(configured, refresh).as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sasl_response_and_refusals_read_as_providers_document_them() {
        // Google's example: user=someuser@example.com ^Aauth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg^A^A
        let r = xoauth2_response("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
        assert_eq!(
            r,
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
        let said = xoauth2_error(
            "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==",
        );
        assert_eq!(said, r#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#);
        assert_eq!(xoauth2_error("not base64!"), "not base64!");
    }

    #[test]
    fn a_replaced_refresh_token_is_kept_for_the_configured_one_only() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("imap-oauth-refresh-token");
        assert_eq!(read_kept(&file, "configured"), None);
        keep(&file, "configured", "rotated-1").unwrap();
        keep(&file, "configured", "rotated-2").unwrap();
        assert_eq!(read_kept(&file, "configured").as_deref(), Some("rotated-2"));
        // A newly configured token wins over what was kept for the old one.
        assert_eq!(read_kept(&file, "configured-anew"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(!std::fs::read_to_string(&file).unwrap().contains("configured"), "only a hash of it");
    }
}

//! `/webhooks/{ses,postmark,sendgrid,mailgun}`: bounce, complaint and delivery events from sending
//! providers. Each request is authenticated the way its provider signs it, then its body is stored
//! as it came in the store's inbound queue, where the feedback worker reads it like a bounce that
//! arrived by mail. A provider that is not configured answers 404; a bad signature 401.
//!
//! - Amazon SES via SNS: the SNS message signature (SignatureVersion 1 = RSA-SHA1, 2 = RSA-SHA256)
//!   is checked against the signing certificate, fetched (and cached) only from an `https` URL on an
//!   `sns.<region>.amazonaws.com` host; only configured topic ARNs are accepted (anyone can sign
//!   messages of their own topic). A `SubscriptionConfirmation` is confirmed by fetching its
//!   `SubscribeURL`, under the same host rule.
//! - Postmark signs nothing: its webhooks carry HTTP Basic credentials set in the webhook URL, which
//!   are checked in constant time.
//! - SendGrid: the ECDSA P-256 signature over timestamp + body (`X-Twilio-Email-Event-Webhook-*`
//!   headers) with the configured verification key.
//! - Mailgun: HMAC-SHA256 of timestamp + token with the webhook signing key; the token is the dedupe
//!   key, so a replayed request is stored once.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use chrono::Utc;
use hmac::{Hmac, Mac};
use kurier_store::{InboundFormat, NewInbound};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{AppState, error::ApiError};

/// Which providers may post, with their secrets.
#[derive(Clone, Debug, Default)]
pub struct Webhooks {
    pub ses: Option<SesWebhook>,
    /// HTTP Basic user and password configured in Postmark's webhook URL.
    pub postmark: Option<(String, String)>,
    /// SendGrid's verification key: base64 of the DER public key (as SendGrid shows it).
    pub sendgrid_key: Option<String>,
    /// Mailgun's HTTP webhook signing key.
    pub mailgun_key: Option<String>,
}

/// Amazon SNS topics whose notifications are accepted.
#[derive(Clone, Debug)]
pub struct SesWebhook {
    pub topic_arns: Vec<String>,
    /// Where signing certificates and subscription confirmations may be fetched from. The default
    /// accepts `https://sns.<region>.amazonaws.com[.cn]/...`; tests point it at a local server.
    pub fetch_rule: FetchRule,
}

/// A rule for the URLs SNS messages ask us to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchRule {
    AmazonSns,
    /// Any URL starting with this prefix (tests only).
    Prefix(String),
}

impl FetchRule {
    pub fn allows(&self, url: &str) -> bool {
        match self {
            FetchRule::Prefix(p) => url.starts_with(p.as_str()),
            FetchRule::AmazonSns => {
                let Ok(u) = url::Url::parse(url) else { return false };
                let host = u.host_str().unwrap_or("");
                let region_host = host
                    .strip_prefix("sns.")
                    .and_then(|h| h.strip_suffix(".amazonaws.com").or_else(|| h.strip_suffix(".amazonaws.com.cn")));
                u.scheme() == "https"
                    && u.port().is_none()
                    && region_host
                        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            }
        }
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/webhooks/{provider}", post(receive))
}

async fn receive(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let hooks = &state.config.webhooks;
    let not_configured = || ApiError::not_found(format!("no {provider} webhook is configured"));
    let (format, dedupe, payload) = match provider.as_str() {
        "ses" => {
            let ses = hooks.ses.as_ref().ok_or_else(not_configured)?;
            match sns(&state, ses, &body).await? {
                Some((id, message)) => (InboundFormat::Ses, Some(format!("sns:{id}")), message.into_bytes()),
                None => return Ok(StatusCode::OK.into_response()),
            }
        }
        "postmark" => {
            let (user, pass) = hooks.postmark.as_ref().ok_or_else(not_configured)?;
            check_basic(&headers, user, pass)?;
            json_body(&body)?;
            (InboundFormat::Postmark, Some(format!("postmark:{}", hex(&Sha256::digest(&body)))), body.to_vec())
        }
        "sendgrid" => {
            let key = hooks.sendgrid_key.as_ref().ok_or_else(not_configured)?;
            check_sendgrid(&headers, key, &body)?;
            json_body(&body)?;
            (InboundFormat::Sendgrid, Some(format!("sendgrid:{}", hex(&Sha256::digest(&body)))), body.to_vec())
        }
        "mailgun" => {
            let key = hooks.mailgun_key.as_ref().ok_or_else(not_configured)?;
            let json = json_body(&body)?;
            let token = check_mailgun(&json, key)?;
            (InboundFormat::Mailgun, Some(format!("mailgun:{token}")), body.to_vec())
        }
        _ => return Err(ApiError::not_found("no such webhook")),
    };
    let item =
        NewInbound { source: &provider, format, recipients: &[], dedupe_key: dedupe.as_deref(), payload: &payload };
    let stored = state.store.enqueue_inbound(&item, Utc::now()).await?;
    tracing::debug!(provider, new = stored.is_some(), "webhook stored");
    Ok(StatusCode::OK.into_response())
}

fn unauthorized(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail.to_string())
}

fn json_body(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body is not JSON: {e}")))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn check_basic(headers: &HeaderMap, user: &str, pass: &str) -> Result<(), ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .unwrap_or_default();
    let want = format!("{user}:{pass}");
    if constant_time_eq(&given, want.as_bytes()) {
        Ok(())
    } else {
        Err(unauthorized("HTTP Basic credentials missing or wrong"))
    }
}

fn check_sendgrid(headers: &HeaderMap, key: &str, body: &[u8]) -> Result<(), ApiError> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let (Some(sig), Some(ts)) =
        (get("x-twilio-email-event-webhook-signature"), get("x-twilio-email-event-webhook-timestamp"))
    else {
        return Err(unauthorized("X-Twilio-Email-Event-Webhook-Signature and -Timestamp are required"));
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let sig = b64.decode(sig).map_err(|_| unauthorized("the signature is not base64"))?;
    let spki = b64.decode(key.trim()).map_err(|_| ApiError::internal("sendgrid_key is not base64"))?;
    let point = der::spki_key(&spki).ok_or_else(|| ApiError::internal("sendgrid_key is not a DER public key"))?;
    let signed = [ts.as_bytes(), body].concat();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_ASN1, point)
        .verify(&signed, &sig)
        .map_err(|_| unauthorized("the SendGrid signature does not verify"))
}

/// Checks Mailgun's signature block; returns its token.
fn check_mailgun(json: &serde_json::Value, key: &str) -> Result<String, ApiError> {
    let sig = json.get("signature").ok_or_else(|| unauthorized("the body has no `signature` block"))?;
    let field = |k: &str| sig.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
    let (ts, token, given) = (field("timestamp"), field("token"), field("signature"));
    if ts.is_empty() || token.is_empty() {
        return Err(unauthorized("signature.timestamp and signature.token are required"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(ApiError::internal)?;
    mac.update(ts.as_bytes());
    mac.update(token.as_bytes());
    let want = hex(&mac.finalize().into_bytes());
    if constant_time_eq(want.as_bytes(), given.to_ascii_lowercase().as_bytes()) {
        Ok(token.to_string())
    } else {
        Err(unauthorized("the Mailgun signature does not verify"))
    }
}

/// An SNS message (the fields that are signed, and the signature).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsMessage {
    #[serde(rename = "Type")]
    kind: String,
    message_id: String,
    topic_arn: String,
    #[serde(default)]
    subject: Option<String>,
    message: String,
    timestamp: String,
    #[serde(default)]
    token: Option<String>,
    #[serde(rename = "SubscribeURL", default)]
    subscribe_url: Option<String>,
    signature_version: String,
    signature: String,
    #[serde(rename = "SigningCertURL")]
    signing_cert_url: String,
}

impl SnsMessage {
    /// The text SNS signs: `name\nvalue\n` for each signed field, in this order.
    fn string_to_sign(&self) -> String {
        let mut fields: Vec<(&str, &str)> = vec![("Message", &self.message), ("MessageId", &self.message_id)];
        if self.kind == "Notification" {
            if let Some(s) = &self.subject {
                fields.push(("Subject", s));
            }
        } else {
            fields.push(("SubscribeURL", self.subscribe_url.as_deref().unwrap_or("")));
        }
        fields.push(("Timestamp", &self.timestamp));
        if self.kind != "Notification" {
            fields.push(("Token", self.token.as_deref().unwrap_or("")));
        }
        fields.push(("TopicArn", &self.topic_arn));
        fields.push(("Type", &self.kind));
        fields.iter().map(|(k, v)| format!("{k}\n{v}\n")).collect()
    }
}

/// Signing certificates' public keys by URL; SNS uses a handful.
static CERTS: Mutex<Option<HashMap<String, Vec<u8>>>> = Mutex::new(None);

/// Verifies an SNS message. Returns `(MessageId, Message)` of a notification to store, `None` for a
/// subscription (un)confirmation that was handled.
async fn sns(state: &AppState, ses: &SesWebhook, body: &[u8]) -> Result<Option<(String, String)>, ApiError> {
    let msg: SnsMessage =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("not an SNS message: {e}")))?;
    if !ses.topic_arns.iter().any(|t| t == &msg.topic_arn) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("topic {} is not configured for this webhook", msg.topic_arn),
        ));
    }
    if !ses.fetch_rule.allows(&msg.signing_cert_url) {
        return Err(unauthorized("SigningCertURL is not an Amazon SNS address"));
    }
    let algorithm: &dyn ring::signature::VerificationAlgorithm = match msg.signature_version.as_str() {
        "1" => &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        "2" => &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        v => return Err(unauthorized(&format!("SignatureVersion {v:?} is not supported"))),
    };
    let key = signing_key(state, &msg.signing_cert_url).await?;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(msg.signature.trim())
        .map_err(|_| unauthorized("the SNS signature is not base64"))?;
    ring::signature::UnparsedPublicKey::new(algorithm, &key)
        .verify(msg.string_to_sign().as_bytes(), &sig)
        .map_err(|_| unauthorized("the SNS signature does not verify"))?;
    match msg.kind.as_str() {
        "Notification" => Ok(Some((msg.message_id, msg.message))),
        "SubscriptionConfirmation" => {
            let url = msg.subscribe_url.as_deref().unwrap_or("");
            if !ses.fetch_rule.allows(url) {
                return Err(ApiError::bad_request("SubscribeURL is not an Amazon SNS address"));
            }
            let answer = state.http.get(url).send().await.map_err(ApiError::internal)?;
            if !answer.status().is_success() {
                return Err(ApiError::internal(format!("confirming the subscription: HTTP {}", answer.status())));
            }
            tracing::info!(topic = %msg.topic_arn, "SNS subscription confirmed");
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// The RSA public key of an SNS signing certificate, fetched once per URL.
async fn signing_key(state: &AppState, url: &str) -> Result<Vec<u8>, ApiError> {
    if let Some(key) = CERTS.lock().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(|m| m.get(url)) {
        return Ok(key.clone());
    }
    let pem = state.http.get(url).send().await.and_then(|r| r.error_for_status()).map_err(ApiError::internal)?;
    let pem = pem.text().await.map_err(ApiError::internal)?;
    let der = pem_body(&pem).ok_or_else(|| ApiError::internal("the signing certificate is not PEM"))?;
    let key = der::certificate_key(&der)
        .ok_or_else(|| ApiError::internal("the signing certificate has no readable public key"))?
        .to_vec();
    let mut cache = CERTS.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if cache.len() > 64 {
        cache.clear();
    }
    cache.insert(url.to_string(), key.clone());
    Ok(key)
}

fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = pem[start..].find("-----END CERTIFICATE-----")? + start;
    let b64: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// Just enough DER to find the public key in a certificate or a SubjectPublicKeyInfo.
mod der {
    /// One TLV: (tag, contents, rest).
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            (rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b)), &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    /// The key bits of a SubjectPublicKeyInfo: for RSA the `RSAPublicKey`, for EC the point.
    pub(super) fn spki_key(spki: &[u8]) -> Option<&[u8]> {
        let (0x30, seq, _) = tlv(spki)? else { return None };
        let (0x30, _alg, rest) = tlv(seq)? else { return None };
        let (0x03, bits, _) = tlv(rest)? else { return None };
        let (&unused, key) = bits.split_first()?;
        (unused == 0).then_some(key)
    }

    /// The subject public key of an X.509 certificate.
    pub(super) fn certificate_key(cert: &[u8]) -> Option<&[u8]> {
        let (0x30, cert, _) = tlv(cert)? else { return None };
        let (0x30, mut tbs, _) = tlv(cert)? else { return None };
        // [0] version (optional), serial, signature algorithm, issuer, validity, subject, then SPKI.
        if tbs.first() == Some(&0xa0) {
            tbs = tlv(tbs)?.2;
        }
        for _ in 0..5 {
            tbs = tlv(tbs)?.2;
        }
        let (0x30, _, _) = tlv(tbs)? else { return None };
        let len = tbs.len() - tlv(tbs)?.2.len();
        spki_key(&tbs[..len])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_amazon_sns_hosts_are_fetched_from() {
        let rule = FetchRule::AmazonSns;
        assert!(rule.allows("https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-abc.pem"));
        assert!(rule.allows("https://sns.cn-north-1.amazonaws.com.cn/x.pem"));
        for bad in [
            "http://sns.eu-central-1.amazonaws.com/x.pem",
            "https://sns.eu-central-1.amazonaws.com.evil.example/x.pem",
            "https://evil.example/sns.eu-central-1.amazonaws.com/x.pem",
            "https://sns..amazonaws.com/x.pem",
            "https://sns.eu-central-1.amazonaws.com:8443/x.pem",
            "https://s3.amazonaws.com/x.pem",
            "not a url",
        ] {
            assert!(!rule.allows(bad), "{bad}");
        }
    }

    #[test]
    fn the_string_to_sign_follows_the_sns_rules() {
        let m = SnsMessage {
            kind: "Notification".into(),
            message_id: "id".into(),
            topic_arn: "arn".into(),
            subject: None,
            message: "{}".into(),
            timestamp: "2026-01-01T00:00:00.000Z".into(),
            token: None,
            subscribe_url: None,
            signature_version: "1".into(),
            signature: String::new(),
            signing_cert_url: String::new(),
        };
        assert_eq!(
            m.string_to_sign(),
            "Message\n{}\nMessageId\nid\nTimestamp\n2026-01-01T00:00:00.000Z\nTopicArn\narn\nType\nNotification\n"
        );
        let c = SnsMessage {
            kind: "SubscriptionConfirmation".into(),
            token: Some("t".into()),
            subscribe_url: Some("u".into()),
            ..m
        };
        assert_eq!(
            c.string_to_sign(),
            "Message\n{}\nMessageId\nid\nSubscribeURL\nu\nTimestamp\n2026-01-01T00:00:00.000Z\nToken\nt\nTopicArn\narn\n\
             Type\nSubscriptionConfirmation\n"
        );
    }

    #[test]
    fn der_walker_refuses_truncated_input() {
        assert_eq!(der::spki_key(&[]), None);
        assert_eq!(der::spki_key(&[0x30, 0x05, 0x30]), None);
        assert_eq!(der::certificate_key(&[0x30, 0x82, 0xff]), None);
    }
}

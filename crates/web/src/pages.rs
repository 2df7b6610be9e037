//! The pages people see: subscribe, confirm (double opt-in), unsubscribe (with RFC 8058 one-click).
//!
//! Links in mail may be fetched by scanners, so a GET never changes anything: it shows a button that
//! POSTs to the same URL. The subscribe form answers the same page whether or not an address is
//! known, suppressed or already subscribed, so it cannot be used to probe for addresses.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use chrono::Utc;
use kurier_core::{EmailAddress, Evidence, Language, LegalBasis, Token, TokenError, TokenPurpose, single_line};
use kurier_store::{ConfirmOutcome, List, SubscribeRequest};
use minijinja::{Environment, Value, context};
use serde::Deserialize;

use crate::AppState;
use crate::i18n::texts;

/// The start page: whose mail this server sends, how to stop it, and how to reach the sender. It
/// names no list (lists may be internal), in German when the browser asks for German first.
async fn home(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let lang = match headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) {
        Some(v) if v.trim_start().to_ascii_lowercase().starts_with("de") => Language::De,
        _ => Language::En,
    };
    let t = texts(lang);
    let sender = &app.config.sender;
    let name = if sender.name.trim().is_empty() { sender.address.as_str() } else { sender.name.trim() };
    let postal_lines: Vec<&str> =
        sender.postal_address.split(['\n', ',']).map(str::trim).filter(|l| !l.is_empty()).collect();
    let title = t["home_title"].replace("{sender}", name);
    let ctx = context! {
        title => &title,
        heading => &title,
        text => t["home_text"].replace("{sender}", name),
        display_name => name,
        postal_lines,
        // Where readers' answers go: the Reply-To when the mails set one (the From may be a
        // mailbox nobody reads).
        sender_address => sender.reply_to.as_ref().unwrap_or(&sender.address).as_str(),
    };
    app.page(StatusCode::OK, "home.html", lang, ctx)
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/subscribe/{list}", get(subscribe_form).post(subscribe))
        .route("/confirm/{token}", get(confirm_page).post(confirm))
        .route("/unsubscribe/{token}", get(unsubscribe_page).post(unsubscribe))
}

/// The page templates, loaded once.
pub(crate) struct Pages {
    env: Environment<'static>,
}

impl Pages {
    pub(crate) fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in [
            ("layout.html", include_str!("../templates/layout.html")),
            ("subscribe.html", include_str!("../templates/subscribe.html")),
            ("notice.html", include_str!("../templates/notice.html")),
            ("home.html", include_str!("../templates/home.html")),
            ("confirm.html", include_str!("../templates/confirm.html")),
            ("unsubscribe.html", include_str!("../templates/unsubscribe.html")),
        ] {
            env.add_template(name, source).expect("built-in page templates parse");
        }
        Self { env }
    }
}

impl AppState {
    fn page(&self, status: StatusCode, template: &str, lang: Language, ctx: Value) -> Response {
        let t = texts(lang);
        let full = context! { lang => lang.as_str(), t => t, sender_name => self.config.sender.name, ..ctx };
        match self.pages.env.get_template(template).and_then(|tpl| tpl.render(full)) {
            Ok(html) => {
                let mut res = (status, Html(html)).into_response();
                // Pages with tokens or personal data are never cached, nor shown in frames.
                res.headers_mut().insert(header::CACHE_CONTROL, "no-store".parse().expect("static header"));
                res.headers_mut().insert("x-frame-options", "DENY".parse().expect("static header"));
                res.headers_mut().insert(header::REFERRER_POLICY, "no-referrer".parse().expect("static header"));
                res
            }
            Err(e) => {
                tracing::error!(error = %e, template, "page rendering failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }

    /// A page with a heading, a text and an optional link; `{list}` in the text becomes the list name.
    fn notice(
        &self,
        status: StatusCode,
        lang: Language,
        key: &str,
        text_key: &str,
        list: &str,
        link: Option<(String, &str)>,
    ) -> Response {
        let t = texts(lang);
        let (link, link_text) = match link {
            Some((href, k)) => (Some(href), t[k]),
            None => (None, ""),
        };
        let ctx = context! {
            title => t[key],
            heading => t[key],
            text => t[text_key].replace("{list}", list).replace("{days}", &self.config.confirm_ttl_days().to_string()),
            link,
            link_text,
        };
        self.page(status, "notice.html", lang, ctx)
    }

    fn failure(&self, lang: Language, err: impl std::fmt::Display) -> Response {
        tracing::error!(error = %err, "public page failed");
        self.notice(StatusCode::INTERNAL_SERVER_ERROR, lang, "error_title", "error_text", "", None)
    }

    fn subscribe_url(&self, list: &List) -> String {
        let mut url = self.config.public_url.clone();
        let base = url.path().trim_end_matches('/').to_string();
        url.set_path(&format!("{base}/subscribe/{}", list.name));
        url.to_string()
    }
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    let ua = headers.get(header::USER_AGENT)?.to_str().ok()?;
    single_line("user_agent", ua, 512).ok().filter(|s| !s.is_empty())
}

async fn list_or_404(state: &AppState, name: &str) -> Result<List, Response> {
    match state.store.list_by_name(name).await {
        Ok(Some(list)) => Ok(list),
        Ok(None) => {
            Err(state.notice(StatusCode::NOT_FOUND, Language::En, "not_found_title", "not_found_text", "", None))
        }
        Err(e) => Err(state.failure(Language::En, e)),
    }
}

async fn subscribe_form(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let list = match list_or_404(&state, &name).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    render_form(&state, &list, StatusCode::OK, "", "", &[])
}

fn render_form(
    state: &AppState,
    list: &List,
    status: StatusCode,
    email: &str,
    name: &str,
    errors: &[String],
) -> Response {
    let t = texts(list.language);
    let ctx = context! {
        title => t["subscribe_title"].replace("{list}", list.name.as_str()),
        list => list.name.as_str(),
        consent_text => list.consent_text,
        form_version => list.form_version,
        email, name, errors,
    };
    state.page(status, "subscribe.html", list.language, ctx)
}

#[derive(Deserialize)]
struct SubscribeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    consent: Option<String>,
    /// The honeypot: hidden from people, filled in by bots.
    #[serde(default)]
    website: String,
    #[serde(default)]
    form_version: Option<String>,
}

async fn subscribe(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<Form<SubscribeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let list = match list_or_404(&state, &name).await {
        Ok(l) => l,
        Err(page) => return page,
    };
    let lang = list.language;
    if !state.limiter.allow(peer.ip(), Instant::now()) {
        let mut res = state.notice(StatusCode::TOO_MANY_REQUESTS, lang, "too_many_title", "too_many_text", "", None);
        res.headers_mut().insert(header::RETRY_AFTER, state.config.subscribe_window.as_secs().into());
        return res;
    }
    let Ok(Form(form)) = form else {
        return state.notice(StatusCode::BAD_REQUEST, lang, "bad_request_title", "bad_request_text", "", None);
    };
    let check_inbox = |state: &AppState| {
        let (title, text) = if list.double_opt_in {
            ("check_inbox_title", "check_inbox_text")
        } else {
            ("subscribed_title", "subscribed_text")
        };
        state.notice(StatusCode::OK, lang, title, text, list.name.as_str(), None)
    };
    if !form.website.is_empty() {
        tracing::info!(ip = %peer.ip(), list = %list.name, "honeypot filled; request ignored");
        return check_inbox(&state);
    }
    let t = texts(lang);
    let mut errors = Vec::new();
    let email = match EmailAddress::parse(&form.email) {
        Ok(e) => Some(e),
        Err(e) => {
            errors.push(format!("{}: {e}.", t["email_invalid"]));
            None
        }
    };
    let name_value = match single_line("name", &form.name, 100) {
        Ok(n) => Some(n).filter(|n| !n.is_empty()),
        Err(_) => {
            errors.push(t["name_invalid"].to_string());
            None
        }
    };
    if !matches!(form.consent.as_deref(), Some("yes" | "on" | "true" | "1")) {
        errors.push(t["consent_missing"].to_string());
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        let shown_email = form.email.chars().filter(|c| !c.is_control()).take(254).collect::<String>();
        let shown_name = form.name.chars().filter(|c| !c.is_control()).take(100).collect::<String>();
        return render_form(&state, &list, StatusCode::UNPROCESSABLE_ENTITY, &shown_email, &shown_name, &errors);
    };
    let evidence = Evidence {
        ip: Some(peer.ip().to_string()),
        user_agent: user_agent(&headers),
        consent_text: Some(list.consent_text.clone()),
        form_version: Some(
            form.form_version.filter(|v| *v == list.form_version).unwrap_or_else(|| list.form_version.clone()),
        ),
        source: format!("form:/subscribe/{}", list.name),
        basis: Some(LegalBasis::Consent),
    };
    let now = Utc::now();
    let req = SubscribeRequest {
        list: &list,
        email: &email,
        name: name_value.as_deref(),
        evidence: &evidence,
        confirmed: !list.double_opt_in,
    };
    let result = state
        .store
        .request_subscription(&req, now, |contact, dedupe| {
            if list.double_opt_in {
                Ok(Some(state.confirmation_mail(&list, contact, dedupe, now)?))
            } else if list.welcome_enabled {
                Ok(state.welcome_or_warn(&list, contact, now))
            } else {
                Ok(None)
            }
        })
        .await;
    match result {
        Ok(_) => check_inbox(&state),
        Err(e) => state.failure(lang, e),
    }
}

/// Decodes a token, or answers the page that explains why it does not work.
async fn token_list(state: &AppState, token: &str, purpose: TokenPurpose) -> Result<(Token, List), Response> {
    let lang = Language::En;
    match Token::decode(token, &state.secret, purpose, Utc::now().timestamp()) {
        Ok(t) => match state.store.list_by_id(t.list_id).await {
            Ok(Some(list)) => Ok((t, list)),
            Ok(None) => {
                Err(state.notice(StatusCode::NOT_FOUND, lang, "link_invalid_title", "link_invalid_text", "", None))
            }
            Err(e) => Err(state.failure(lang, e)),
        },
        Err(TokenError::Expired) => {
            // Still signed by us, so the list it names is genuine: offer to subscribe again.
            let list = decode_ignoring_expiry(state, token, purpose);
            let list = match list {
                Some(id) => state.store.list_by_id(id).await.ok().flatten(),
                None => None,
            };
            let (lang, name, link) = match &list {
                Some(l) => (l.language, l.name.to_string(), Some((state.subscribe_url(l), "subscribe_again"))),
                None => (lang, String::new(), None),
            };
            Err(state.notice(StatusCode::GONE, lang, "link_expired_title", "link_expired_text", &name, link))
        }
        Err(_) => Err(state.notice(StatusCode::BAD_REQUEST, lang, "link_invalid_title", "link_invalid_text", "", None)),
    }
}

fn decode_ignoring_expiry(state: &AppState, token: &str, purpose: TokenPurpose) -> Option<i64> {
    Token::decode(token, &state.secret, purpose, i64::MIN).ok().map(|t| t.list_id)
}

async fn confirm_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match token_list(&state, &token, TokenPurpose::Confirm).await {
        Ok((_, list)) => {
            let t = texts(list.language);
            let ctx = context! { title => t["confirm_title"], list => list.name.as_str() };
            state.page(StatusCode::OK, "confirm.html", list.language, ctx)
        }
        Err(page) => page,
    }
}

async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (tok, list) = match token_list(&state, &token, TokenPurpose::Confirm).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let evidence = Evidence {
        ip: Some(peer.ip().to_string()),
        user_agent: user_agent(&headers),
        consent_text: Some(list.consent_text.clone()),
        form_version: Some(list.form_version.clone()),
        source: "confirm-link".into(),
        basis: Some(LegalBasis::Consent),
    };
    let now = Utc::now();
    let outcome = state
        .store
        .confirm_subscription(&list, tok.contact_id, &evidence, now, |contact| {
            Ok(if list.welcome_enabled { state.welcome_or_warn(&list, contact, now) } else { None })
        })
        .await;
    let lang = list.language;
    match outcome {
        Ok(ConfirmOutcome::Confirmed { .. } | ConfirmOutcome::AlreadyConfirmed) => {
            state.notice(StatusCode::OK, lang, "confirmed_title", "confirmed_text", list.name.as_str(), None)
        }
        Ok(ConfirmOutcome::NotPending) => state.notice(
            StatusCode::CONFLICT,
            lang,
            "link_invalid_title",
            "not_pending_text",
            list.name.as_str(),
            Some((state.subscribe_url(&list), "subscribe_again")),
        ),
        Err(e) => state.failure(lang, e),
    }
}

async fn unsubscribe_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match token_list(&state, &token, TokenPurpose::Unsubscribe).await {
        Ok((_, list)) => {
            let t = texts(list.language);
            let ctx = context! { title => t["unsubscribe_title"], list => list.name.as_str() };
            state.page(StatusCode::OK, "unsubscribe.html", list.language, ctx)
        }
        Err(page) => page,
    }
}

/// `POST /unsubscribe/{token}`: the RFC 8058 one-click request (`List-Unsubscribe=One-Click`, sent by
/// mailbox providers, as urlencoded or multipart body) or the page's own form (with `all=yes` to leave
/// every list). Either takes effect at once.
async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (tok, list) = match token_list(&state, &token, TokenPurpose::Unsubscribe).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let one_click = fields.iter().any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click")
        || is_multipart_one_click(&headers, &body);
    let all = !one_click && fields.iter().any(|(k, v)| k == "all" && matches!(v.as_str(), "yes" | "on" | "1" | "true"));
    let evidence = Evidence {
        ip: Some(peer.ip().to_string()),
        user_agent: user_agent(&headers),
        source: if one_click { "one-click".into() } else { "unsubscribe-page".into() },
        ..Evidence::default()
    };
    let scope = if all { None } else { Some(list.id) };
    match state.store.unsubscribe(tok.contact_id, scope, &evidence, Utc::now()).await {
        Ok(_) => {
            let text = if all { "unsubscribed_all_text" } else { "unsubscribed_text" };
            state.notice(StatusCode::OK, list.language, "unsubscribed_title", text, list.name.as_str(), None)
        }
        Err(e) => state.failure(list.language, e),
    }
}

/// RFC 8058 allows the one-click body as `multipart/form-data`, too.
fn is_multipart_one_click(headers: &HeaderMap, body: &[u8]) -> bool {
    let is_multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return false;
    }
    let text = String::from_utf8_lossy(body);
    text.contains("name=\"List-Unsubscribe\"") && text.contains("One-Click")
}

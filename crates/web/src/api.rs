//! `/api/v1`: the admin API. Every route needs `Authorization: Bearer <admin token>`.

use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json as JsonOut, Router};
use chrono::Utc;
use kurier_core::{EmailAddress, FieldError, Language, ListName, MessageKey, single_line};
use kurier_store::{NewList, SuppressionReason};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::Json;

pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/lists", get(lists).post(create_list))
        .route("/contacts/{email}", get(contact).delete(erase_contact))
        .route("/contacts/{email}/consent", get(consent))
        .route("/contacts/{email}/export", get(export))
        .route("/suppressions", get(suppressions).post(add_suppression))
        .route("/suppressions/{email}", get(suppression).delete(remove_suppression))
        .route("/outbox", get(outbox))
        .route("/outbox/{id}", get(outbox_entry))
        .route("/outbox/{id}/raw", get(outbox_raw))
        .route("/rates", get(rates))
        .route("/alerts", get(alerts))
        .route("/alerts/{id}/resolve", post(resolve_alert))
        .route("/feedback", get(feedback))
        .route("/inbound", get(inbound))
        .fallback(|| async { ApiError::not_found("no such API route") })
        .route_layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(token) if constant_time_eq(token.as_bytes(), state.config.admin_token.as_bytes()) => next.run(req).await,
        _ => ApiError::unauthorized().into_response(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn parse_email(field: &str, s: &str) -> Result<EmailAddress, ApiError> {
    EmailAddress::parse(s).map_err(|e| ApiError::invalid(vec![FieldError::new(field, e.to_string())]))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateList {
    name: String,
    #[serde(default = "yes")]
    double_opt_in: bool,
    #[serde(default)]
    language: Option<String>,
    consent_text: String,
    /// Send a welcome mail after confirmation.
    #[serde(default = "yes")]
    welcome: bool,
}

fn yes() -> bool {
    true
}

async fn create_list(State(state): State<AppState>, Json(body): Json<CreateList>) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let name = ListName::parse(&body.name).map_err(|e| errors.push(e)).ok();
    let language = match body.language.as_deref() {
        None => Some(Language::En),
        Some(l) => Language::parse(l).map_err(|e| errors.push(e)).ok(),
    };
    let consent_text = body.consent_text.trim().to_string();
    if consent_text.is_empty() {
        errors.push(FieldError::new("consent_text", "must not be empty: it is what subscribers agree to"));
    } else if consent_text.chars().count() > 2000 {
        errors.push(FieldError::new("consent_text", "is longer than 2000 characters"));
    } else if consent_text.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(FieldError::new("consent_text", "contains control characters"));
    }
    let (Some(name), Some(language), true) = (name, language, errors.is_empty()) else {
        return Err(ApiError::invalid(errors));
    };
    let list = state
        .store
        .create_list(
            &NewList { name, double_opt_in: body.double_opt_in, language, consent_text, welcome_enabled: body.welcome },
            Utc::now(),
        )
        .await?;
    let mut res = (StatusCode::CREATED, JsonOut(&list)).into_response();
    if let Ok(loc) = format!("/api/v1/lists/{}", list.name).parse() {
        res.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(res)
}

async fn lists(State(state): State<AppState>) -> Result<JsonOut<Value>, ApiError> {
    Ok(JsonOut(json!({ "lists": state.store.lists().await? })))
}

async fn contact(State(state): State<AppState>, Path(email): Path<String>) -> Result<JsonOut<Value>, ApiError> {
    let email = parse_email("email", &email)?;
    let details = state.store.contact_by_email(&email).await?.ok_or_else(|| ApiError::not_found("no such contact"))?;
    Ok(JsonOut(serde_json::to_value(details).map_err(ApiError::internal)?))
}

async fn consent(State(state): State<AppState>, Path(email): Path<String>) -> Result<JsonOut<Value>, ApiError> {
    let email = parse_email("email", &email)?;
    let details = state.store.contact_by_email(&email).await?.ok_or_else(|| ApiError::not_found("no such contact"))?;
    let ledger = state.store.consent_ledger(details.contact.id).await?;
    Ok(JsonOut(json!({ "email": email.as_str(), "consent": ledger })))
}

async fn export(State(state): State<AppState>, Path(email): Path<String>) -> Result<Response, ApiError> {
    let email = parse_email("email", &email)?;
    let data = state
        .store
        .export_contact(&email)
        .await?
        .ok_or_else(|| ApiError::not_found("nothing is held about this address"))?;
    let mut res = JsonOut(json!({ "exported_at": Utc::now(), "data": data })).into_response();
    let disposition =
        format!("attachment; filename=\"kurier-export-{}.json\"", email.as_str().replace(['"', '\\'], "_"));
    if let Ok(v) = disposition.parse() {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

async fn erase_contact(State(state): State<AppState>, Path(email): Path<String>) -> Result<StatusCode, ApiError> {
    let email = parse_email("email", &email)?;
    if state.store.erase_contact(&email, Utc::now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("nothing is held about this address"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    offset: Option<i64>,
    #[serde(default)]
    before: Option<String>,
}

impl Page {
    fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(100),
            Some(n @ 1..=1000) => Ok(n),
            Some(_) => Err(ApiError::invalid(vec![FieldError::new("limit", "must be between 1 and 1000")])),
        }
    }
}

async fn suppressions(State(state): State<AppState>, Query(page): Query<Page>) -> Result<JsonOut<Value>, ApiError> {
    let offset = page.offset.unwrap_or(0).max(0);
    Ok(JsonOut(json!({ "suppressions": state.store.suppressions(page.limit()?, offset).await? })))
}

async fn suppression(State(state): State<AppState>, Path(email): Path<String>) -> Result<JsonOut<Value>, ApiError> {
    let email = parse_email("email", &email)?;
    let s =
        state.store.suppression(&email).await?.ok_or_else(|| ApiError::not_found("the address is not suppressed"))?;
    Ok(JsonOut(serde_json::to_value(s).map_err(ApiError::internal)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddSuppression {
    email: String,
    #[serde(default)]
    detail: Option<String>,
}

async fn add_suppression(
    State(state): State<AppState>,
    Json(body): Json<AddSuppression>,
) -> Result<Response, ApiError> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse(&body.email).map_err(|e| errors.push(FieldError::new("email", e.to_string()))).ok();
    let detail = match body.detail.as_deref().map(|d| single_line("detail", d, 500)).transpose() {
        Ok(d) => d,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let (Some(email), true) = (email, errors.is_empty()) else {
        return Err(ApiError::invalid(errors));
    };
    let created = state.store.add_suppression(&email, SuppressionReason::Manual, detail.as_deref(), Utc::now()).await?;
    let current = state.store.suppression(&email).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, JsonOut(current)).into_response())
}

async fn remove_suppression(State(state): State<AppState>, Path(email): Path<String>) -> Result<StatusCode, ApiError> {
    let email = parse_email("email", &email)?;
    if state.store.remove_suppression(&email).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("the address is not suppressed"))
    }
}

fn message_key(id: &str) -> Result<MessageKey, ApiError> {
    MessageKey::parse(id).ok_or_else(|| ApiError::not_found("no such message"))
}

async fn outbox(State(state): State<AppState>, Query(page): Query<Page>) -> Result<JsonOut<Value>, ApiError> {
    let before = page.before.as_deref().map(message_key).transpose()?;
    let messages = state.store.outbox(page.limit()?, before.as_ref()).await?;
    Ok(JsonOut(json!({ "messages": messages })))
}

async fn outbox_entry(State(state): State<AppState>, Path(id): Path<String>) -> Result<JsonOut<Value>, ApiError> {
    let key = message_key(&id)?;
    let entry = state.store.outbox_entry(&key).await?.ok_or_else(|| ApiError::not_found("no such message"))?;
    let events = state.store.message_events(&key).await?;
    let mut v = serde_json::to_value(entry).map_err(ApiError::internal)?;
    v["events"] = serde_json::to_value(events).map_err(ApiError::internal)?;
    Ok(JsonOut(v))
}

async fn outbox_raw(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let key = message_key(&id)?;
    let raw = state.store.outbox_raw(&key).await?.ok_or_else(|| ApiError::not_found("no such message"))?;
    Ok(([(header::CONTENT_TYPE, "message/rfc822")], raw).into_response())
}

/// Hard-bounce and complaint rates per campaign and sending domain over the rolling window, with the
/// thresholds they are judged by.
async fn rates(State(state): State<AppState>) -> Result<JsonOut<Value>, ApiError> {
    let policy = &state.config.feedback_policy;
    let rates = state.store.rates(policy, Utc::now()).await?;
    Ok(JsonOut(json!({
        "window_days": policy.rates.window.as_secs() / 86_400,
        "thresholds": policy.rates,
        "rates": rates,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertQuery {
    #[serde(default)]
    open: bool,
    limit: Option<i64>,
}

async fn alerts(State(state): State<AppState>, Query(q): Query<AlertQuery>) -> Result<JsonOut<Value>, ApiError> {
    let limit = Page { limit: q.limit, offset: None, before: None }.limit()?;
    Ok(JsonOut(json!({ "alerts": state.store.alerts(q.open, limit).await? })))
}

/// Resolves an alert by hand (someone looked into it); 404 for an unknown id. Resolving one that is
/// resolved already answers it as it is.
async fn resolve_alert(State(state): State<AppState>, Path(id): Path<String>) -> Result<JsonOut<Value>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::bad_request(format!("alert id {id:?} is not a number")))?;
    let alert = state.store.resolve_alert(id, Utc::now()).await?.ok_or_else(|| ApiError::not_found("no such alert"))?;
    Ok(JsonOut(json!({ "alert": alert })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedbackQuery {
    email: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Recorded bounces, complaints and auto-replies, newest first, with what was done about each.
async fn feedback(State(state): State<AppState>, Query(q): Query<FeedbackQuery>) -> Result<JsonOut<Value>, ApiError> {
    let email = q.email.as_deref().map(|e| parse_email("email", e)).transpose()?;
    let limit = Page { limit: q.limit, offset: None, before: None }.limit()?;
    let events = state.store.feedback_events(email.as_ref(), limit, q.offset.unwrap_or(0).max(0)).await?;
    Ok(JsonOut(json!({ "feedback": events })))
}

/// The inbound queue: items per state (`pending`, `processing`, `done`, `failed`).
async fn inbound(State(state): State<AppState>) -> Result<JsonOut<Value>, ApiError> {
    let counts: serde_json::Map<String, Value> =
        state.store.inbound_counts().await?.into_iter().map(|(k, n)| (k, json!(n))).collect();
    Ok(JsonOut(json!({ "inbound": counts })))
}

//! The whole double opt-in path against the real binary: subscribe, confirm, welcome, one-click
//! unsubscribe, export, erasure, and the refusals of bad input.

mod common;

use common::{App, header, link_in};
use reqwest::{Method, StatusCode};
use serde_json::json;

const CONSENT: &str = "Ja, ich möchte den Newsletter von Beispiel Shop per E-Mail erhalten.";

#[tokio::test]
async fn double_opt_in_to_one_click_unsubscribe() {
    let app = App::spawn(&[("KURIER_CONFIRM_TTL_DAYS", "3")]);
    let res = app.create_list(json!({"name": "news", "language": "de", "consent_text": CONSENT})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(app.create_list(json!({"name": "news", "consent_text": "x"})).await.status(), StatusCode::CONFLICT);

    // The form shows the consent text; a plain form post subscribes.
    let form = app.http.get(app.url("/subscribe/news")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(html.contains(CONSENT) && html.contains("name=\"website\""), "{html}");
    let post = |email: &str, extra: &[(&str, &str)]| {
        let mut fields =
            vec![("email", email.to_string()), ("name", "Anna Müller".to_string()), ("consent", "yes".into())];
        fields.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
        app.http.post(app.url("/subscribe/news")).header("user-agent", "Browser/1.0 (Test)").form(&fields).send()
    };
    let first = post("Anna@Example.org", &[]).await.unwrap();
    assert_eq!(first.status(), 200);
    let first = first.text().await.unwrap();
    assert!(first.contains("Bitte prüfen Sie Ihr Postfach") && first.contains("3 Tage gültig"), "{first}");

    let msgs = app.wait_outbox(1).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!((msgs[0]["state"].as_str(), msgs[0]["kind"].as_str()), (Some("captured"), Some("transactional")));
    assert!(msgs[0]["envelope_from"].as_str().unwrap().starts_with("b-"), "VERP return path: {}", msgs[0]);
    let raw = app.raw(msgs[0]["id"].as_str().unwrap()).await;
    assert_eq!(header(&raw, "List-Unsubscribe"), None, "the confirmation request is not marketing");
    let confirm = link_in(&raw, &app.url("/confirm/"));

    // A second request answers the same page (no enumeration) and sends no second mail.
    let again = post("anna@example.org", &[]).await.unwrap().text().await.unwrap();
    assert_eq!(again, first);

    // GET never confirms (mail scanners prefetch links); it shows a button.
    let page = app.http.get(&confirm).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<form method=\"post\""));
    let contact = app.get_json("/contacts/anna@example.org").await;
    assert_eq!(contact["subscriptions"][0]["status"], "pending");

    let done = app.http.post(&confirm).header("user-agent", "Browser/1.0 (Test)").send().await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Anmeldung bestätigt"));
    let contact = app.get_json("/contacts/anna@example.org").await;
    assert_eq!(contact["subscriptions"][0]["status"], "confirmed");
    assert_eq!(contact["name"], "Anna Müller");

    let ledger = app.get_json("/contacts/anna@example.org/consent").await;
    let entries = ledger["consent"].as_array().unwrap();
    let actions: Vec<_> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["requested", "requested", "confirmed"]);
    let confirmed = &entries[2];
    assert_eq!(confirmed["ip"], "127.0.0.1");
    assert_eq!(confirmed["user_agent"], "Browser/1.0 (Test)");
    assert_eq!(confirmed["consent_text"], CONSENT);
    assert!(confirmed["form_version"].as_str().unwrap().starts_with("v1-"));
    assert_eq!(entries[0]["source"], "form:/subscribe/news");

    // The welcome mail is marketing: RFC 8058 headers, and a footer with the sender's identity.
    let msgs = app.wait_outbox(2).await;
    let welcome = msgs.iter().find(|m| m["source"] == "system:welcome").expect("a welcome mail");
    assert_eq!(welcome["kind"], "marketing");
    let raw = app.raw(welcome["id"].as_str().unwrap()).await;
    assert_eq!(header(&raw, "List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    let lu = header(&raw, "List-Unsubscribe").unwrap();
    let unsubscribe = lu.trim_start_matches('<').trim_end_matches('>').to_string();
    assert!(unsubscribe.starts_with(&app.url("/unsubscribe/")), "{lu}");
    let text = mail_parser::MessageParser::default().parse(&raw[..]).unwrap().body_text(0).unwrap().to_string();
    assert!(text.contains("Hauptstraße 1, 50667 Köln") && text.contains(&unsubscribe), "{text}");

    // One click, as a mailbox provider sends it.
    let res = app
        .http
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let contact = app.get_json("/contacts/anna@example.org").await;
    assert_eq!(contact["subscriptions"][0]["status"], "unsubscribed");
    let ledger = app.get_json("/contacts/anna@example.org/consent").await;
    assert_eq!(ledger["consent"].as_array().unwrap().last().unwrap()["source"], "one-click");
    // The unsubscribe page itself only shows a button.
    let page = app.http.get(&unsubscribe).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"all\""));

    // Art. 15 export, then Art. 17 erasure leaving a hashed suppression.
    let export = app.get_json("/contacts/anna@example.org/export").await;
    assert_eq!(export["data"]["messages"].as_array().unwrap().len(), 2);
    let res = app.api(Method::DELETE, "/contacts/anna@example.org").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.api(Method::GET, "/contacts/anna@example.org").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let sup = app.get_json("/suppressions/anna@example.org").await;
    assert_eq!((sup["reason"].as_str(), sup["email"].is_null()), (Some("erased"), true));
    assert!(app.get_json("/outbox").await["messages"].as_array().unwrap().is_empty());
    let after = post("anna@example.org", &[]).await.unwrap().text().await.unwrap();
    assert_eq!(after, first, "a suppressed address gets the same answer");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(app.get_json("/outbox").await["messages"].as_array().unwrap().is_empty(), "and no mail");

    assert!(app.stop().success(), "SIGTERM shuts down cleanly");
}

#[tokio::test]
async fn bad_input_is_refused_clearly() {
    let app = App::spawn(&[("KURIER_SUBSCRIBE_LIMIT", "3")]);
    let res = app.http.get(app.url("/api/v1/lists")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    let res = app
        .api(Method::POST, "/lists")
        .header("content-type", "application/json")
        .body("{\"name\": \"news\",, }")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let p: serde_json::Value = res.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("line 1 column"), "{p}");

    let res = app.create_list(json!({"name": "Bad Name", "language": "fr", "consent_text": ""})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: serde_json::Value = res.json().await.unwrap();
    let fields: Vec<_> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "language", "consent_text"], "all problems at once: {p}");

    let res = app.create_list(json!({"name": "news", "consent_text": "ok", "colour": "red"})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("unknown field `colour`"));

    // Just over the 64 KB limit: small enough that the whole request fits the loopback socket
    // buffers before the server answers 413 and closes, so the client always reads the answer.
    let big = "x".repeat(80 * 1024);
    let res = app.create_list(json!({"name": "big", "consent_text": big})).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.get_json("/lists").await["lists"].as_array().unwrap().is_empty(), "nothing stored");

    assert_eq!(app.create_list(json!({"name": "news", "consent_text": CONSENT})).await.status(), 201);
    let post = |fields: Vec<(&str, &str)>| app.http.post(app.url("/subscribe/news")).form(&fields).send();
    // Header injection through the name field, a broken address, missing consent: a form again, 422.
    let res = post(vec![("email", "anna@example.org"), ("name", "Anna\r\nBcc: all@example.org"), ("consent", "yes")])
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = post(vec![("email", "anna@@example"), ("consent", "yes")]).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("not a valid email address"));
    let res = post(vec![("email", "anna@example.org")]).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.api(Method::GET, "/contacts/anna@example.org").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "nothing stored for refused forms");
    // The fourth request from this address is one too many.
    let res = post(vec![("email", "ben@example.org"), ("consent", "yes")]).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));

    // Tokens: damaged, or for another purpose, are refused without changing anything.
    let res = app.http.post(app.url("/unsubscribe/AAAA")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app.api(Method::GET, "/contacts/not-an-address").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: serde_json::Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "email");
}

#[tokio::test]
async fn bad_config_is_reported_at_once_and_refused() {
    let out = common::kurier()
        .args(["serve", "--listen", "nowhere"])
        .env("KURIER_SMTP_URL", "ftp://relay")
        .env("KURIER_PUBLIC_URL", "not a url")
        .env("KURIER_DATA_DIR", std::env::temp_dir().join("kurier-never-created").display().to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--listen") && err.contains("KURIER_PUBLIC_URL"), "{err}");
}

#[tokio::test]
async fn without_a_postal_address_confirmation_works_and_the_welcome_is_skipped() {
    let app = App::spawn(&[("KURIER_SENDER_POSTAL_ADDRESS", "")]);
    let body = json!({"name": "quick", "double_opt_in": false, "consent_text": "Yes, send me news."});
    assert_eq!(app.create_list(body).await.status(), StatusCode::CREATED);
    let res = app
        .http
        .post(app.url("/subscribe/quick"))
        .form(&[("email", "single@example.org"), ("consent", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let contact = app.get_json("/contacts/single@example.org").await;
    assert_eq!(contact["subscriptions"][0]["status"], "confirmed", "single opt-in confirms at once");
    let ledger = app.get_json("/contacts/single@example.org/consent").await;
    assert_eq!(ledger["consent"][0]["action"], "confirmed");
    assert!(
        app.get_json("/outbox").await["messages"].as_array().unwrap().is_empty(),
        "no welcome without a postal address"
    );
}

#[tokio::test]
async fn the_start_page_names_the_sender_and_no_list() {
    let app = App::spawn(&[]);
    let res = app.create_list(json!({"name": "vip-customers", "language": "de", "consent_text": CONSENT})).await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let page = app.http.get(app.url("/")).header("accept-language", "de-DE,de;q=0.9,en;q=0.5").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(header_of(&page, "cache-control").as_deref(), Some("no-store"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"de\">") && html.contains("E-Mails von Beispiel Shop"), "{html}");
    assert!(html.contains("Abmeldelink"), "{html}");
    // The sender's identity as the mails give it: name, postal address, contact address.
    assert!(html.contains("Beispiel GmbH<br>Hauptstraße 1<br>50667 Köln"), "{html}");
    assert!(html.contains("mailto:news@shop.example.de"), "{html}");
    // Lists may be internal: the page does not name them.
    assert!(!html.contains("vip-customers"), "{html}");

    let english = app.http.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(english.contains("<html lang=\"en\">") && english.contains("Emails from Beispiel Shop"), "{english}");

    // With a Reply-To, readers are pointed there, not at the sending address.
    let app = App::spawn(&[("KURIER_REPLY_TO", "service@shop.example.de")]);
    let html = app.http.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("mailto:service@shop.example.de") && !html.contains("mailto:news@"), "{html}");
}

fn header_of(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

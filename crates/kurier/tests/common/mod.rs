//! Spawns the real `kurier` binary on port 0 with a fresh data dir, and talks to it over HTTP.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "test-admin-token-0123456789";

pub struct App {
    pub base: String,
    pub child: Child,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
}

pub fn kurier() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kurier"))
}

impl App {
    pub fn spawn(extra_env: &[(&str, &str)]) -> App {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = kurier();
        cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("KURIER_ADMIN_TOKEN", TOKEN)
            .env("KURIER_SENDER_POSTAL_ADDRESS", "Beispiel GmbH, Hauptstraße 1, 50667 Köln")
            .env("KURIER_SENDER_NAME", "Beispiel Shop")
            .env("KURIER_SENDER_ADDRESS", "news@shop.example.de")
            .env("KURIER_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("kurier starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest.split_whitespace().next().unwrap().to_string();
                    let _ = tx.send(addr);
                    sent = true;
                }
                eprintln!("[kurier] {line}");
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(30)).expect("kurier prints where it listens");
        App { base: format!("http://{addr}"), child, dir, http: reqwest::Client::new() }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(&format!("/api/v1{path}"))).bearer_auth(TOKEN)
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let res = self.api(reqwest::Method::GET, path).send().await.unwrap();
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.json().await.unwrap()
    }

    pub async fn create_list(&self, body: serde_json::Value) -> reqwest::Response {
        self.api(reqwest::Method::POST, "/lists").json(&body).send().await.unwrap()
    }

    /// Waits until the outbox holds `n` messages in a final state; returns them newest first.
    pub async fn wait_outbox(&self, n: usize) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.get_json("/outbox").await;
            let msgs = v["messages"].as_array().unwrap().clone();
            let done = msgs.iter().filter(|m| m["state"] != "ready" && m["state"] != "sending").count();
            if done >= n {
                return msgs;
            }
            assert!(Instant::now() < deadline, "outbox did not reach {n} delivered messages: {v}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn raw(&self, id: &str) -> Vec<u8> {
        let res = self.api(reqwest::Method::GET, &format!("/outbox/{id}/raw")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap().to_vec()
    }

    /// Stops the server with SIGTERM and returns its exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "kurier did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first link starting with `prefix` in the message's text part (decoded).
pub fn link_in(raw: &[u8], prefix: &str) -> String {
    let msg = mail_parser::MessageParser::default().parse(raw).expect("a parsable message");
    let text = msg.body_text(0).expect("a text part");
    let start = text.find(prefix).unwrap_or_else(|| panic!("no {prefix} link in:\n{text}"));
    text[start..].split(|c: char| c.is_whitespace() || c == '>').next().unwrap().to_string()
}

pub fn header(raw: &[u8], name: &str) -> Option<String> {
    let msg = mail_parser::MessageParser::default().parse(raw).unwrap();
    msg.header_raw(name).map(|v| v.trim().to_string())
}

pub fn path_of(p: PathBuf) -> String {
    p.display().to_string()
}

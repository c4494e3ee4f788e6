//! SPEC PL-7: one structured line per request (method, route, status, latency, request id,
//! workspace), never a body, a token or a secret. In its own test binary, because it installs
//! the process's log subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

use herald::ports::Environment;
use herald_tests::{create_workspace, signup, Api, PASSWORD};
use serde_json::json;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

#[tokio::test]
async fn every_request_logs_one_line_without_bodies_or_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).init();
    let api = Api::local(Environment::Test);
    let user = signup(&api, "logged").await;
    let ws = create_workspace(&api, &user, "Logged").await;
    let before = captured.text().lines().filter(|l| l.contains(" request ")).count();
    let r = api
        .get(&format!("/api/v1/workspaces/{ws}/posts"))
        .bearer(&user.access)
        .header("x-request-id", "log-test-1")
        .send()
        .await;
    assert_eq!(r.status, 200);
    let login = api.post("/api/v1/auth/login").json(json!({"email": user.email, "password": PASSWORD})).send().await;
    assert_eq!(login.status, 200);
    api.get("/review/secret-review-token-value/media/0190aaaa-0000-7000-8000-000000000000").send().await;
    let text = captured.text();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(" request ")).collect();
    assert_eq!(lines.len() - before, 3, "one line per request:\n{text}");
    let list = lines.iter().find(|l| l.contains("log-test-1")).expect("the list's line");
    for part in [
        "method=GET",
        "route=\"/api/v1/workspaces/{workspaceId}/posts\"",
        "status=200",
        "latency_ms=",
        &format!("workspace={ws}"),
    ] {
        assert!(list.contains(part), "{part} missing from {list}");
    }
    assert!(lines.iter().any(|l| l.contains("route=\"/review/{token}/media/{mediaId}\"")), "{text}");
    for secret in [PASSWORD, "secret-review-token-value", user.access.as_str(), user.refresh.as_str()] {
        assert!(!text.contains(secret), "the log holds a secret: {secret}");
    }
    let session = login.data();
    assert!(!text.contains(session["refreshToken"].as_str().unwrap_or("none")));
}

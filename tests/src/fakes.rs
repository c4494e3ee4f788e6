//! Local servers that follow a platform's documented contract, started by the tests, with
//! fault injection: a Mastodon instance (`/api/v1/accounts/verify_credentials`,
//! `/api/v2/media`, `/api/v1/statuses` honouring `Idempotency-Key` as Mastodon does).
//! They count what they created, so a test can prove zero duplicates.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the next call to `/api/v1/statuses` does instead of (or besides) answering 200.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 503 before creating anything.
    UnavailableBefore,
    /// Creates the status, then answers 500: the caller cannot know it worked.
    ErrorAfter,
    /// Creates the status, then answers nothing for `secs`: past the caller's timeout.
    HangAfter(u64),
    /// Creates the status, then closes the connection without an answer.
    ResetAfter,
    /// 429 with `X-RateLimit-Reset` `secs` ahead.
    RateLimited(u64),
    /// 401: the token was revoked.
    Revoked,
    /// 422: the instance refuses the content.
    Unprocessable,
}

#[derive(Debug, Clone)]
pub struct Status {
    pub id: String,
    pub text: String,
    pub idempotency_key: Option<String>,
    pub media_ids: Vec<String>,
}

#[derive(Default)]
struct State {
    token: String,
    statuses: Vec<Status>,
    /// Idempotency-Key → status id, as Mastodon keeps them.
    keys: HashMap<String, String>,
    faults: Vec<Fault>,
    /// 503 answers owed to the next media uploads.
    media_failures: usize,
    media: Vec<(String, usize)>,
    requests: usize,
}

/// A fake Mastodon instance on 127.0.0.1.
#[derive(Clone)]
pub struct FakeMastodon {
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl FakeMastodon {
    /// Starts serving on its own thread and runtime, so that it outlives any one test's
    /// runtime and answers while the code under test blocks.
    pub fn start(token: &str) -> FakeMastodon {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let base = format!("http://{}", std_listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State { token: token.into(), ..State::default() }));
        let shared = state.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                while let Ok((stream, _)) = listener.accept().await {
                    let state = shared.clone();
                    tokio::spawn(async move {
                        let _ = serve(stream, state).await;
                    });
                }
            });
        });
        FakeMastodon { base, state }
    }

    /// Queues faults for the next calls to `/api/v1/statuses`, in order.
    pub fn inject(&self, faults: &[Fault]) {
        self.state.lock().unwrap().faults.extend_from_slice(faults);
    }

    /// The next `n` media uploads answer 503 (before anything is posted).
    pub fn fail_media(&self, n: usize) {
        self.state.lock().unwrap().media_failures += n;
    }

    pub fn statuses(&self) -> Vec<Status> {
        self.state.lock().unwrap().statuses.clone()
    }

    pub fn media_count(&self) -> usize {
        self.state.lock().unwrap().media.len()
    }

    /// Statuses whose text appears more than once: duplicates.
    pub fn duplicates(&self) -> usize {
        let statuses = self.statuses();
        let mut seen = HashMap::new();
        for s in &statuses {
            *seen.entry(s.text.clone()).or_insert(0) += 1;
        }
        seen.values().map(|n| n - 1).sum()
    }
}

struct Incoming {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Incoming {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Incoming> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_string(), first.next()?.to_string());
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))).collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Incoming { method, path, headers, body })
}

async fn respond(stream: &mut TcpStream, status: u16, extra: &[(String, String)], body: &Value) {
    let body = serde_json::to_vec(body).unwrap_or_default();
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) -> Option<()> {
    let req = read_request(&mut stream).await?;
    let authorized = {
        let s = state.lock().unwrap();
        req.header("authorization") == Some(format!("Bearer {}", s.token).as_str())
    };
    let path = req.path.split('?').next().unwrap_or_default().to_string();
    if !authorized {
        respond(&mut stream, 401, &[], &json!({"error": "The access token is invalid"})).await;
        return Some(());
    }
    match (req.method.as_str(), path.as_str()) {
        ("GET", "/api/v1/accounts/verify_credentials") => {
            let v = json!({"id": "109", "username": "herald", "acct": "herald", "display_name": "Herald Test", "url": "http://fake/@herald"});
            respond(&mut stream, 200, &[], &v).await;
        }
        ("POST", "/api/v2/media") => {
            let failing = {
                let mut s = state.lock().unwrap();
                let failing = s.media_failures > 0;
                s.media_failures = s.media_failures.saturating_sub(1);
                failing
            };
            if failing {
                return Some(respond(&mut stream, 503, &[], &json!({"error": "Service Unavailable"})).await);
            }
            let id = {
                let mut s = state.lock().unwrap();
                let id = format!("m{}", s.media.len() + 1);
                s.media.push((id.clone(), req.body.len()));
                id
            };
            respond(
                &mut stream,
                200,
                &[],
                &json!({"id": id, "type": "image", "url": format!("http://fake/media/{id}")}),
            )
            .await;
        }
        ("POST", "/api/v1/statuses") => {
            let input: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let key = req.header("idempotency-key").map(str::to_string);
            // The fault for this call, then the Mastodon behaviour: a known key answers the
            // status it made, whatever happens.
            let (fault, known) = {
                let mut s = state.lock().unwrap();
                s.requests += 1;
                let fault = if s.faults.is_empty() { None } else { Some(s.faults.remove(0)) };
                let known = key.as_ref().and_then(|k| s.keys.get(k).cloned());
                (fault, known)
            };
            match fault {
                Some(Fault::UnavailableBefore) => {
                    return Some(respond(&mut stream, 503, &[], &json!({"error": "Service Unavailable"})).await);
                }
                Some(Fault::RateLimited(secs)) => {
                    let reset = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(secs as i64);
                    let headers = [("X-RateLimit-Reset".to_string(), reset.to_string())];
                    return Some(respond(&mut stream, 429, &headers, &json!({"error": "Too many requests"})).await);
                }
                Some(Fault::Revoked) => {
                    return Some(
                        respond(&mut stream, 401, &[], &json!({"error": "The access token was revoked"})).await,
                    );
                }
                Some(Fault::Unprocessable) => {
                    let v = json!({"error": "Validation failed: Text character limit of 500 exceeded"});
                    return Some(respond(&mut stream, 422, &[], &v).await);
                }
                _ => {}
            }
            let id = match known {
                Some(id) => id,
                None => {
                    let mut s = state.lock().unwrap();
                    let id = format!("{}", 1000 + s.statuses.len());
                    let text = input["status"].as_str().unwrap_or_default().to_string();
                    let media_ids = input["media_ids"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|m| m.as_str().map(str::to_string)).collect())
                        .unwrap_or_default();
                    s.statuses.push(Status { id: id.clone(), text, idempotency_key: key.clone(), media_ids });
                    if let Some(k) = &key {
                        s.keys.insert(k.clone(), id.clone());
                    }
                    id
                }
            };
            match fault {
                Some(Fault::ErrorAfter) => {
                    respond(&mut stream, 500, &[], &json!({"error": "Internal Server Error"})).await
                }
                Some(Fault::HangAfter(secs)) => tokio::time::sleep(Duration::from_secs(secs)).await,
                Some(Fault::ResetAfter) => drop(stream),
                _ => {
                    let v = json!({"id": id, "url": format!("http://fake/@herald/{id}"), "content": input["status"]});
                    respond(&mut stream, 200, &[], &v).await;
                }
            }
        }
        _ => respond(&mut stream, 404, &[], &json!({"error": "Record not found"})).await,
    }
    Some(())
}

//! The three AI provider APIs as their documentation describes them — OpenAI's Chat Completions,
//! Anthropic's Messages and Google's Gemini `generateContent` — answering and failing the way
//! each does (its status codes, error bodies, `Retry-After` or `RetryInfo`, refusals and safety
//! blocks). Served by the fake platform server (`FakeX`), so every target under test reaches them
//! at one address. A test puts a marker (`[[t:…]]`) in its brief and scripts, per model, what the
//! calls that carry it meet; calls are recorded per marker.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// What one call meets.
#[derive(Debug, Clone, PartialEq)]
pub enum AiFault {
    /// The key is refused, as each provider refuses it.
    InvalidKey,
    /// 429, asking for `secs` of rest (`Retry-After`, or Gemini's `RetryInfo`).
    RateLimited(u64),
    /// 500.
    ServerError,
    /// Anthropic's 529 `overloaded_error` (503 elsewhere).
    Overloaded,
    /// No answer for `secs`.
    Hang(u64),
    /// 200 with a body that is not JSON.
    Malformed,
    /// The model declines (OpenAI's `refusal`, Anthropic's `refusal` stop, Gemini's `SAFETY`).
    Refuse,
    /// An answer of `n` characters.
    Long(usize),
    /// This answer.
    Say(String),
    /// A structured answer that breaks its schema: the first required field is left out.
    Invalid,
    /// A stream whose first words come at once and the rest only once the test calls
    /// [`release`] (or after 20 s).
    Hold,
    /// A stream that stops after its first words without ending.
    Cut,
}

/// One call a provider received.
#[derive(Debug, Clone)]
pub struct AiCall {
    /// `openai`, `anthropic` or `gemini`.
    pub kind: &'static str,
    pub model: String,
    /// The key it carried.
    pub key: String,
    pub body: Value,
}

struct State {
    scripts: HashMap<(String, String), VecDeque<AiFault>>,
    calls: HashMap<String, Vec<AiCall>>,
    released: std::collections::HashSet<String>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut State) -> T) -> T {
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    let state = guard.get_or_insert_with(|| State {
        scripts: HashMap::new(),
        calls: HashMap::new(),
        released: std::collections::HashSet::new(),
    });
    f(state)
}

/// A fresh marker for a test's briefs.
pub fn marker() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("[[t:{nanos:x}{n:x}{:x}]]", std::process::id())
}

/// The next calls of `model` carrying `marker` meet `faults`, in order; later ones are answered.
pub fn script(marker: &str, model: &str, faults: &[AiFault]) {
    with(|s| s.scripts.entry((marker.to_string(), model.to_string())).or_default().extend(faults.iter().cloned()));
}

/// Lets a held stream ([`AiFault::Hold`]) of `marker` go on.
pub fn release(marker: &str) {
    with(|s| s.released.insert(marker.to_string()));
}

fn released(marker: &str) -> bool {
    with(|s| s.released.contains(marker))
}

/// The calls that carried `marker`, in the order they came.
pub fn calls(marker: &str) -> Vec<AiCall> {
    with(|s| s.calls.get(marker).cloned().unwrap_or_default())
}

/// The keys the test servers are given (tests/src/lib.rs, TEST_AI_KEYS), by model.
fn expected_key(model: &str) -> Option<&'static str> {
    match model {
        "gpt-test" => Some("sk-test-openai"),
        "gpt-cool" => Some("sk-test-cool"),
        "claude-test" => Some("sk-ant-test"),
        "gemini-test" => Some("AIza-test-gemini"),
        _ => None,
    }
}

/// Keys of one's own accounts the fake providers accept, by the prefix each API's own keys take
/// in the tests: `sk-own-` (OpenAI-compatible), `sk-ant-own-` (Anthropic), `AIza-own-` (Gemini).
fn own_key(kind: &str, key: &str) -> bool {
    match kind {
        "openai" => key.starts_with("sk-own-"),
        "anthropic" => key.starts_with("sk-ant-own-"),
        _ => key.starts_with("AIza-own-"),
    }
}

/// The path is one of the three APIs': answers it and returns true.
pub async fn serve(
    stream: &mut TcpStream,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> bool {
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    // The lists of models, which a key is checked against.
    if method == "GET" && (path == "/v1/models" || path == "/v1beta/models") {
        let (kind, key) = match (path, header("x-api-key"), header("authorization")) {
            ("/v1beta/models", _, _) => ("gemini", header("x-goog-api-key")),
            (_, Some(key), _) => ("anthropic", Some(key)),
            (_, None, auth) => ("openai", auth.and_then(|a| a.strip_prefix("Bearer "))),
        };
        let known =
            key.is_some_and(|k| own_key(kind, k) || ["sk-test-openai", "sk-ant-test", "AIza-test-gemini"].contains(&k));
        let (status, body) = match (known, kind) {
            (true, "gemini") => (200, json!({"models": [{"name": "models/gemini-test"}]})),
            (true, _) => (200, json!({"data": [{"id": "model-test"}], "object": "list"})),
            (false, "openai") => (
                401,
                json!({"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "code": "invalid_api_key"}}),
            ),
            (false, "anthropic") => (
                401,
                json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
            ),
            (false, _) => (
                400,
                json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT"}}),
            ),
        };
        reply(stream, status, &[], &body.to_string()).await;
        return true;
    }
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let (kind, model, key) = if path == "/v1/chat/completions" {
        (
            "openai",
            json["model"].as_str().unwrap_or_default().to_string(),
            header("authorization").and_then(|a| a.strip_prefix("Bearer ")),
        )
    } else if path == "/v1/messages" {
        if header("anthropic-version").is_none() {
            let e = json!({"type": "error", "error": {"type": "invalid_request_error", "message": "anthropic-version header is required"}});
            reply(stream, 400, &[], &e.to_string()).await;
            return true;
        }
        ("anthropic", json["model"].as_str().unwrap_or_default().to_string(), header("x-api-key"))
    } else if let Some(model) = path.strip_prefix("/v1beta/models/").and_then(|m| m.strip_suffix(":generateContent")) {
        ("gemini", model.to_string(), header("x-goog-api-key"))
    } else if let Some(model) =
        path.strip_prefix("/v1beta/models/").and_then(|m| m.strip_suffix(":streamGenerateContent"))
    {
        ("gemini", model.to_string(), header("x-goog-api-key"))
    } else {
        return false;
    };
    let text = String::from_utf8_lossy(body);
    let marker = text.find("[[t:").and_then(|i| text[i..].find("]]").map(|j| text[i..i + j + 2].to_string()));
    let marker = marker.unwrap_or_default();
    let fault = with(|s| {
        let key = key.unwrap_or_default().to_string();
        s.calls.entry(marker.clone()).or_default().push(AiCall { kind, model: model.clone(), key, body: json.clone() });
        s.scripts.get_mut(&(marker.clone(), model.clone())).and_then(VecDeque::pop_front)
    });
    let fault = match (expected_key(&model), key) {
        (Some(expected), Some(given)) if expected == given => fault,
        (_, Some(given)) if own_key(kind, given) => fault,
        _ => Some(AiFault::InvalidKey),
    };
    let answer = format!("A post for {marker} by {model}: fresh ideas, shipped.");
    // A stream is answered as each API streams: in events, the words in a few pieces.
    let streaming = json["stream"] == true || path.ends_with(":streamGenerateContent");
    let text_of = |fault: &Option<AiFault>| match fault {
        None | Some(AiFault::Hold) | Some(AiFault::Cut) => Some(answer.clone()),
        Some(AiFault::Say(text)) => Some(text.clone()),
        Some(AiFault::Long(n)) => Some(long_text(*n)),
        _ => None,
    };
    if streaming {
        if let Some(text) = text_of(&fault) {
            stream_answer(stream, kind, &model, &marker, &text, fault.as_ref()).await;
            return true;
        }
        if fault == Some(AiFault::Refuse) {
            let refusal = match kind {
                "openai" => "data: {\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"I can't help with that.\"}}]}\n\n".to_string(),
                "anthropic" => "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":100,\"output_tokens\":1}}}\n\n\
                     event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"refusal\"},\"usage\":{\"output_tokens\":1}}\n\n\
                     event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".to_string(),
                _ => "data: {\"candidates\":[{\"finishReason\":\"SAFETY\",\"index\":0}]}\n\n".to_string(),
            };
            let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(refusal.as_bytes()).await;
            let _ = stream.shutdown().await;
            return true;
        }
    }
    // A structured request, in the provider's own mode, is answered with JSON that follows its
    // schema (in a tool call, for Anthropic).
    let schema = match kind {
        "openai" if json["response_format"]["type"] == "json_schema" => {
            Some(&json["response_format"]["json_schema"]["schema"])
        }
        "anthropic" if json["tool_choice"]["type"] == "tool" => Some(&json["tools"][0]["input_schema"]),
        "gemini" if json["generationConfig"]["responseMimeType"] == "application/json" => {
            Some(&json["generationConfig"]["responseSchema"])
        }
        _ => None,
    };
    if let Some(schema) = schema {
        let mut n = 0;
        let mut value = sample(schema, &marker, &mut n);
        match fault {
            Some(AiFault::Invalid) => {
                if let (Some(map), Some(first)) = (value.as_object_mut(), schema["required"][0].as_str()) {
                    map.remove(first);
                }
            }
            Some(_) => {}
            None => {}
        }
        if matches!(fault, None | Some(AiFault::Invalid)) {
            let body = match kind {
                "anthropic" => json!({"id": "msg_test", "type": "message", "role": "assistant", "model": model,
                    "content": [{"type": "tool_use", "id": "toolu_test", "name": json["tools"][0]["name"], "input": value}],
                    "stop_reason": "tool_use", "usage": {"input_tokens": 300, "output_tokens": 400}})
                .to_string(),
                kind => ok(kind, &model, &value.to_string()),
            };
            reply(stream, 200, &[], &body).await;
            return true;
        }
    }
    let (status, extra, body): (u16, Vec<(&str, String)>, String) = match (fault, kind) {
        (Some(AiFault::Hang(secs)), _) => {
            tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
            (500, vec![], "{}".into())
        }
        (Some(AiFault::Malformed), _) => (200, vec![], "{\"choices\": [{\"message\": ".into()),
        (Some(AiFault::InvalidKey), "openai") => (
            401,
            vec![],
            json!({"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}).to_string(),
        ),
        (Some(AiFault::InvalidKey), "anthropic") => (
            401,
            vec![],
            json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}).to_string(),
        ),
        (Some(AiFault::InvalidKey), _) => (
            400,
            vec![],
            json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
                "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]}})
            .to_string(),
        ),
        (Some(AiFault::RateLimited(secs)), "gemini") => (
            429,
            vec![],
            json!({"error": {"code": 429, "message": "Resource has been exhausted.", "status": "RESOURCE_EXHAUSTED",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format!("{secs}s")}]}})
            .to_string(),
        ),
        (Some(AiFault::RateLimited(secs)), "anthropic") => (
            429,
            vec![("retry-after", secs.to_string())],
            json!({"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit"}}).to_string(),
        ),
        (Some(AiFault::RateLimited(secs)), _) => (
            429,
            vec![("retry-after", secs.to_string())],
            json!({"error": {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}}).to_string(),
        ),
        (Some(AiFault::ServerError), "anthropic") => {
            (500, vec![], json!({"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}).to_string())
        }
        (Some(AiFault::ServerError), "gemini") => {
            (500, vec![], json!({"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}}).to_string())
        }
        (Some(AiFault::ServerError), _) => {
            (500, vec![], json!({"error": {"message": "The server had an error", "type": "server_error"}}).to_string())
        }
        (Some(AiFault::Overloaded), "anthropic") => {
            (529, vec![], json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}).to_string())
        }
        (Some(AiFault::Overloaded), _) => (503, vec![], json!({"error": {"message": "overloaded"}}).to_string()),
        (Some(AiFault::Refuse), "openai") => (200, vec![], openai_answer(&model, Value::Null, Some("I can't help with that."))),
        (Some(AiFault::Refuse), "anthropic") => (
            200,
            vec![],
            json!({"id": "msg_refused", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": "refusal", "usage": {"input_tokens": 100, "output_tokens": 0}})
            .to_string(),
        ),
        (Some(AiFault::Refuse), _) => (
            200,
            vec![],
            json!({"candidates": [{"finishReason": "SAFETY", "index": 0,
                "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}]}],
                "usageMetadata": {"promptTokenCount": 100, "totalTokenCount": 100}})
            .to_string(),
        ),
        (Some(AiFault::Long(n)), kind) => (200, vec![], ok(kind, &model, &long_text(n))),
        (Some(AiFault::Say(text)), kind) => (200, vec![], ok(kind, &model, &text)),
        (Some(AiFault::Invalid), kind) => (200, vec![], ok(kind, &model, "{}")),
        // Streams only; asked without one, they answer as usual.
        (None | Some(AiFault::Hold) | Some(AiFault::Cut), kind) => (200, vec![], ok(kind, &model, &answer)),
    };
    let extra: Vec<(String, String)> = extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    reply(stream, status, &extra, &body).await;
    true
}

/// A value that follows `schema` (JSON Schema, or Gemini's capitalised subset): every property,
/// the fewest items allowed, short distinct strings carrying the marker.
fn sample(schema: &Value, marker: &str, n: &mut usize) -> Value {
    let kind = schema["type"].as_str().unwrap_or_default().to_ascii_lowercase();
    match kind.as_str() {
        "object" => {
            let props = schema["properties"].as_object().cloned().unwrap_or_default();
            Value::Object(props.iter().map(|(k, v)| (k.clone(), sample(v, marker, n))).collect())
        }
        "array" => {
            let count = schema["minItems"].as_u64().unwrap_or(1).min(schema["maxItems"].as_u64().unwrap_or(u64::MAX));
            Value::Array((0..count).map(|_| sample(&schema["items"], marker, n)).collect())
        }
        "integer" | "number" => {
            let low = schema["minimum"].as_i64().unwrap_or(0);
            let high = schema["maximum"].as_i64().unwrap_or(i64::MAX);
            json!(30.clamp(low, high))
        }
        "boolean" => json!(true),
        _ => {
            *n += 1;
            json!(format!("idea{n} {marker}"))
        }
    }
}

/// `text` as `kind` streams it: the head, then the words in three pieces a moment apart (the
/// second only once released, for [`AiFault::Hold`]; none after the first for [`AiFault::Cut`]),
/// the usage and the end.
async fn stream_answer(
    stream: &mut TcpStream,
    kind: &str,
    model: &str,
    marker: &str,
    text: &str,
    fault: Option<&AiFault>,
) {
    let head =
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chars: Vec<char> = text.chars().collect();
    let third = chars.len().div_ceil(3).max(1);
    let pieces: Vec<String> = chars.chunks(third).map(|c| c.iter().collect()).collect();
    let event = |piece: &str| match kind {
        "openai" => format!(
            "data: {}\n\n",
            json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": model,
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]})
        ),
        "anthropic" => format!(
            "event: content_block_delta\ndata: {}\n\n",
            json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})
        ),
        _ => format!(
            "data: {}\n\n",
            json!({"candidates": [{"content": {"parts": [{"text": piece}], "role": "model"}, "index": 0}]})
        ),
    };
    let opening = match kind {
        "openai" => format!("data: {}\n\n", json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": model,
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]})),
        "anthropic" => format!(
            "event: message_start\ndata: {}\n\nevent: content_block_start\ndata: {}\n\nevent: ping\ndata: {{\"type\": \"ping\"}}\n\n",
            json!({"type": "message_start", "message": {"id": "msg_s", "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "usage": {"input_tokens": 100, "output_tokens": 1}}}),
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        ),
        _ => String::new(),
    };
    let closing = match kind {
        "openai" => format!(
            "data: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
            json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}),
            json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": model, "choices": [],
                "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}})
        ),
        "anthropic" => format!(
            "event: content_block_stop\ndata: {}\n\nevent: message_delta\ndata: {}\n\nevent: message_stop\ndata: {}\n\n",
            json!({"type": "content_block_stop", "index": 0}),
            json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 50}}),
            json!({"type": "message_stop"})
        ),
        _ => format!("data: {}\n\n", json!({"candidates": [{"content": {"parts": [{"text": ""}], "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 50, "totalTokenCount": 150}})),
    };
    let mut send = String::from(&opening);
    for (i, piece) in pieces.iter().enumerate() {
        send.push_str(&event(piece));
        if stream.write_all(send.as_bytes()).await.is_err() || stream.flush().await.is_err() {
            return;
        }
        send.clear();
        if i == 0 {
            match fault {
                Some(AiFault::Cut) => {
                    let _ = stream.shutdown().await;
                    return;
                }
                Some(AiFault::Hold) => {
                    for _ in 0..400 {
                        if released(marker) {
                            break;
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                }
                _ => {}
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = stream.write_all(closing.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn long_text(n: usize) -> String {
    // Ends in a letter: nothing is trimmed, so it is `n` characters as sent.
    let mut text: String = "word ".repeat(n / 5 + 1).chars().take(n.saturating_sub(1)).collect();
    text.push('x');
    text
}

fn openai_answer(model: &str, content: Value, refusal: Option<&str>) -> String {
    json!({"id": "chatcmpl-test", "object": "chat.completion", "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": refusal},
            "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150}})
    .to_string()
}

fn ok(kind: &str, model: &str, text: &str) -> String {
    match kind {
        "openai" => openai_answer(model, json!(text), None),
        "anthropic" => json!({"id": "msg_test", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 100, "output_tokens": 50}})
        .to_string(),
        _ => json!({"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 50, "totalTokenCount": 150}})
        .to_string(),
    }
}

async fn reply(stream: &mut TcpStream, status: u16, extra: &[(String, String)], body: &str) {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

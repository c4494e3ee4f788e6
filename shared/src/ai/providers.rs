//! The three provider APIs, each as its documentation states it: how a prompt becomes a request,
//! and how an answer becomes text, token counts or a reason to move to the next provider.

use serde_json::{json, Value as Json};

use crate::llm::{Kind, Provider};
use crate::ports::{HttpRequest, HttpResponse};

/// What is sent: the system and user messages and the sampling parameters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prompt {
    pub system: String,
    pub user: String,
    pub max_tokens: u32,
    pub temperature: f64,
    /// The JSON Schema the answer must follow, asked for in the provider's own structured mode.
    pub shape: Option<Shape>,
}

/// A named JSON Schema for a structured answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    /// A name of letters, digits and underscores (OpenAI's schema name, Anthropic's tool name).
    pub name: &'static str,
    pub schema: Json,
}

/// The schema as Gemini's `responseSchema` takes it: its OpenAPI subset, which has no
/// `additionalProperties` and names types in capitals.
fn gemini_schema(schema: &Json) -> Json {
    match schema {
        Json::Object(map) => Json::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "additionalProperties" && k.as_str() != "$schema")
                .map(|(k, v)| match (k.as_str(), v) {
                    ("type", Json::String(t)) => (k.clone(), Json::String(t.to_uppercase())),
                    ("properties", Json::Object(props)) => (
                        k.clone(),
                        Json::Object(props.iter().map(|(name, s)| (name.clone(), gemini_schema(s))).collect()),
                    ),
                    (_, v) => (k.clone(), gemini_schema(v)),
                })
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(gemini_schema).collect()),
        other => other.clone(),
    }
}

/// A provider's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
}

/// Why an attempt did not give an answer: each moves the chain to the next provider.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// No answer within the attempt's time.
    Timeout,
    /// The provider could not be reached.
    Unreachable,
    /// 429: too many requests; the provider and key cool down for `retry_after_s` (a minute when
    /// the provider did not say).
    RateLimited { retry_after_s: i64 },
    /// 5xx.
    ServerError { status: u16 },
    /// Anthropic's 529 (or an `overloaded_error`).
    Overloaded,
    /// The key was refused (401, 403, or Gemini's `API_KEY_INVALID`).
    InvalidKey,
    /// The model declined, or a safety filter blocked the prompt or the answer.
    Refused { reason: String },
    /// An answer that does not follow the provider's documented shape, or no text in it.
    Malformed,
    /// Another 4xx: the request itself was refused.
    Rejected { status: u16 },
}

impl Failure {
    /// The outcome's name in an attempt's record.
    pub fn outcome(&self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::Unreachable => "unreachable",
            Failure::RateLimited { .. } => "rateLimited",
            Failure::ServerError { .. } => "serverError",
            Failure::Overloaded => "overloaded",
            Failure::InvalidKey => "invalidKey",
            Failure::Refused { .. } => "refused",
            Failure::Malformed => "malformed",
            Failure::Rejected { .. } => "rejected",
        }
    }
}

fn post(url: String, headers: Vec<(String, String)>, body: &Json) -> HttpRequest {
    let mut headers = headers;
    headers.push(("content-type".into(), "application/json".into()));
    HttpRequest { method: "POST".into(), url, headers, body: body.to_string().into_bytes() }
}

/// The request that asks `provider` (with `key`) for `prompt`; a structured prompt in the
/// provider's own mode: OpenAI's `json_schema` response format, an Anthropic tool the model must
/// call, Gemini's JSON response with a response schema.
pub fn request(provider: &Provider, key: &str, prompt: &Prompt) -> HttpRequest {
    let base = provider.base_url.trim_end_matches('/');
    match provider.kind {
        Kind::OpenAi => {
            let mut body = json!({
                "model": provider.model,
                "messages": [
                    {"role": "system", "content": prompt.system},
                    {"role": "user", "content": prompt.user},
                ],
                "max_tokens": prompt.max_tokens,
                "temperature": prompt.temperature,
            });
            if let Some(shape) = &prompt.shape {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": {"name": shape.name, "strict": true, "schema": shape.schema},
                });
            }
            post(format!("{base}/chat/completions"), vec![("authorization".into(), format!("Bearer {key}"))], &body)
        }
        Kind::Anthropic => {
            let mut body = json!({
                "model": provider.model,
                "system": prompt.system,
                "messages": [{"role": "user", "content": prompt.user}],
                "max_tokens": prompt.max_tokens,
                "temperature": prompt.temperature,
            });
            if let Some(shape) = &prompt.shape {
                body["tools"] = json!([{
                    "name": shape.name,
                    "description": "Gives the answer in the required structure.",
                    "input_schema": shape.schema,
                }]);
                body["tool_choice"] = json!({"type": "tool", "name": shape.name});
            }
            post(
                format!("{base}/v1/messages"),
                vec![("x-api-key".into(), key.to_string()), ("anthropic-version".into(), "2023-06-01".into())],
                &body,
            )
        }
        Kind::Gemini => {
            let mut config = json!({"maxOutputTokens": prompt.max_tokens, "temperature": prompt.temperature});
            if let Some(shape) = &prompt.shape {
                config["responseMimeType"] = json!("application/json");
                config["responseSchema"] = gemini_schema(&shape.schema);
            }
            post(
                format!("{base}/v1beta/models/{}:generateContent", provider.model),
                vec![("x-goog-api-key".into(), key.to_string())],
                &json!({
                    "systemInstruction": {"parts": [{"text": prompt.system}]},
                    "contents": [{"role": "user", "parts": [{"text": prompt.user}]}],
                    "generationConfig": config,
                }),
            )
        }
    }
}

/// A cheap call that proves `key` works: the provider's list of models.
pub fn check_request(provider: &Provider, key: &str) -> HttpRequest {
    let base = provider.base_url.trim_end_matches('/');
    let (url, headers) = match provider.kind {
        Kind::OpenAi => (format!("{base}/models"), vec![("authorization".into(), format!("Bearer {key}"))]),
        Kind::Anthropic => (
            format!("{base}/v1/models"),
            vec![("x-api-key".into(), key.to_string()), ("anthropic-version".into(), "2023-06-01".into())],
        ),
        Kind::Gemini => (format!("{base}/v1beta/models"), vec![("x-goog-api-key".into(), key.to_string())]),
    };
    HttpRequest { method: "GET".into(), url, headers, body: Vec::new() }
}

/// Whether the check's answer accepts the key: `Ok`, or why not.
pub fn check_answer(kind: Kind, response: &HttpResponse) -> Result<(), Failure> {
    match response.status {
        200..=299 => Ok(()),
        _ => match answer(kind, response) {
            Err(failure) => Err(failure),
            Ok(_) => Err(Failure::Malformed),
        },
    }
}

fn header<'a>(response: &'a HttpResponse, name: &str) -> Option<&'a str> {
    response.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Seconds from a `Retry-After` header (seconds; an HTTP date counts as a minute) or Gemini's
/// `RetryInfo` (`"34s"`), at least 1 and at most an hour; a minute when neither says.
fn retry_after(response: &HttpResponse, body: &Json) -> i64 {
    let from_header = header(response, "retry-after").and_then(|v| v.trim().parse::<f64>().ok());
    let from_body = body["error"]["details"].as_array().and_then(|details| {
        details.iter().find_map(|d| d["retryDelay"].as_str()?.trim_end_matches('s').parse::<f64>().ok())
    });
    from_header.or(from_body).map_or(60, |s| s.ceil() as i64).clamp(1, 3600)
}

/// What `provider` answered: the text and its token counts, or why there is none.
pub fn answer(kind: Kind, response: &HttpResponse) -> Result<Answer, Failure> {
    let body: Json = serde_json::from_slice(&response.body).unwrap_or(Json::Null);
    let error_type = body["error"]["type"].as_str().unwrap_or_default();
    match response.status {
        200..=299 => {}
        429 => return Err(Failure::RateLimited { retry_after_s: retry_after(response, &body) }),
        529 => return Err(Failure::Overloaded),
        401 | 403 => return Err(Failure::InvalidKey),
        _ if error_type == "overloaded_error" => return Err(Failure::Overloaded),
        400 if kind == Kind::Gemini && is_gemini_key_error(&body) => return Err(Failure::InvalidKey),
        status if status >= 500 => return Err(Failure::ServerError { status }),
        status => return Err(Failure::Rejected { status }),
    }
    match kind {
        Kind::OpenAi => {
            let choice = &body["choices"][0];
            if let Some(refusal) = choice["message"]["refusal"].as_str() {
                return Err(Failure::Refused { reason: clip(refusal) });
            }
            if choice["finish_reason"] == "content_filter" {
                return Err(Failure::Refused { reason: "content_filter".into() });
            }
            let text = choice["message"]["content"].as_str().ok_or(Failure::Malformed)?;
            done(text, &body["usage"]["prompt_tokens"], &body["usage"]["completion_tokens"])
        }
        Kind::Anthropic => {
            if body["stop_reason"] == "refusal" {
                return Err(Failure::Refused { reason: "refusal".into() });
            }
            let blocks = body["content"].as_array().ok_or(Failure::Malformed)?;
            // A structured answer is the input of the tool the model was made to call.
            let text: String = match blocks.iter().find(|b| b["type"] == "tool_use") {
                Some(call) => call["input"].to_string(),
                None => blocks.iter().filter(|b| b["type"] == "text").filter_map(|b| b["text"].as_str()).collect(),
            };
            done(&text, &body["usage"]["input_tokens"], &body["usage"]["output_tokens"])
        }
        Kind::Gemini => {
            if let Some(reason) = body["promptFeedback"]["blockReason"].as_str() {
                return Err(Failure::Refused { reason: clip(reason) });
            }
            let candidate = &body["candidates"][0];
            match candidate["finishReason"].as_str() {
                Some(r @ ("SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII")) => {
                    return Err(Failure::Refused { reason: r.into() })
                }
                _ => {}
            }
            let parts = candidate["content"]["parts"].as_array().ok_or(Failure::Malformed)?;
            let text: String = parts.iter().filter_map(|p| p["text"].as_str()).collect();
            let usage = &body["usageMetadata"];
            done(&text, &usage["promptTokenCount"], &usage["candidatesTokenCount"])
        }
    }
}

fn is_gemini_key_error(body: &Json) -> bool {
    let details = body["error"]["details"].as_array().map(Vec::as_slice).unwrap_or_default();
    details.iter().any(|d| d["reason"] == "API_KEY_INVALID")
        || body["error"]["message"].as_str().is_some_and(|m| m.contains("API key not valid"))
}

fn done(text: &str, tokens_in: &Json, tokens_out: &Json) -> Result<Answer, Failure> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Failure::Malformed);
    }
    Ok(Answer {
        text: text.to_string(),
        tokens_in: tokens_in.as_i64().unwrap_or(0).max(0),
        tokens_out: tokens_out.as_i64().unwrap_or(0).max(0),
    })
}

/// A provider's own words, kept short: they go into the attempt's record.
pub(crate) fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: Json) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.to_string().into_bytes(),
        }
    }

    #[test]
    fn each_api_is_asked_as_documented() {
        let prompt =
            Prompt { system: "sys".into(), user: "usr".into(), max_tokens: 300, temperature: 0.7, shape: None };
        let provider = |kind, base: &str| Provider {
            name: "p".into(),
            kind,
            model: "m-1".into(),
            base_url: base.into(),
            key: None,
        };
        let r = request(&provider(Kind::OpenAi, "https://api.openai.com/v1/"), "sk", &prompt);
        assert_eq!(r.url, "https://api.openai.com/v1/chat/completions");
        assert!(r.headers.contains(&("authorization".into(), "Bearer sk".into())));
        let body: Json = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["content"], "usr");
        let r = request(&provider(Kind::Anthropic, "https://api.anthropic.com"), "ak", &prompt);
        assert_eq!(r.url, "https://api.anthropic.com/v1/messages");
        assert!(r.headers.contains(&("anthropic-version".into(), "2023-06-01".into())));
        let body: Json = serde_json::from_slice(&r.body).unwrap();
        assert_eq!((body["system"].as_str(), body["max_tokens"].as_u64()), (Some("sys"), Some(300)));
        let r = request(&provider(Kind::Gemini, "https://generativelanguage.googleapis.com"), "gk", &prompt);
        assert_eq!(r.url, "https://generativelanguage.googleapis.com/v1beta/models/m-1:generateContent");
        assert!(r.headers.contains(&("x-goog-api-key".into(), "gk".into())));
        // A structured prompt, in each provider's own mode.
        let schema = json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": false});
        let shaped = Prompt { shape: Some(Shape { name: "answer", schema: schema.clone() }), ..prompt };
        let body = |r: HttpRequest| serde_json::from_slice::<Json>(&r.body).unwrap();
        let openai = body(request(&provider(Kind::OpenAi, "https://api.openai.com/v1"), "sk", &shaped));
        assert_eq!(openai["response_format"]["type"], "json_schema");
        assert_eq!(openai["response_format"]["json_schema"]["schema"], schema);
        let claude = body(request(&provider(Kind::Anthropic, "https://api.anthropic.com"), "ak", &shaped));
        assert_eq!(claude["tools"][0]["input_schema"], schema);
        assert_eq!(claude["tool_choice"], json!({"type": "tool", "name": "answer"}));
        let gemini = body(request(&provider(Kind::Gemini, "https://g"), "gk", &shaped));
        assert_eq!(gemini["generationConfig"]["responseMimeType"], "application/json");
        assert_eq!(
            gemini["generationConfig"]["responseSchema"],
            json!({"type": "OBJECT", "properties": {"a": {"type": "STRING"}}, "required": ["a"]})
        );
        let tool_answer = response(
            200,
            &[],
            json!({"content": [{"type": "tool_use", "id": "t1", "name": "answer", "input": {"a": "x"}}], "stop_reason": "tool_use", "usage": {"input_tokens": 5, "output_tokens": 3}}),
        );
        assert_eq!(answer(Kind::Anthropic, &tool_answer).map(|a| a.text), Ok(r#"{"a":"x"}"#.to_string()));
    }

    #[test]
    fn answers_and_failures_are_told_apart() {
        let ok = response(
            200,
            &[],
            json!({"choices": [{"message": {"content": " Hi "}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 2}}),
        );
        assert_eq!(answer(Kind::OpenAi, &ok), Ok(Answer { text: "Hi".into(), tokens_in: 9, tokens_out: 2 }));
        let limited = response(429, &[("Retry-After", "7")], json!({"error": {"type": "rate_limit_error"}}));
        assert_eq!(answer(Kind::Anthropic, &limited), Err(Failure::RateLimited { retry_after_s: 7 }));
        let gemini_limited = response(
            429,
            &[],
            json!({"error": {"status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "34s"}]}}),
        );
        assert_eq!(answer(Kind::Gemini, &gemini_limited), Err(Failure::RateLimited { retry_after_s: 34 }));
        let overloaded = response(529, &[], json!({"type": "error", "error": {"type": "overloaded_error"}}));
        assert_eq!(answer(Kind::Anthropic, &overloaded), Err(Failure::Overloaded));
        let bad_key = response(
            400,
            &[],
            json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT"}}),
        );
        assert_eq!(answer(Kind::Gemini, &bad_key), Err(Failure::InvalidKey));
        let blocked = response(200, &[], json!({"candidates": [{"finishReason": "SAFETY"}]}));
        assert!(matches!(answer(Kind::Gemini, &blocked), Err(Failure::Refused { .. })));
        let refusal = response(
            200,
            &[],
            json!({"choices": [{"message": {"content": null, "refusal": "I can't help with that."}}]}),
        );
        assert!(matches!(answer(Kind::OpenAi, &refusal), Err(Failure::Refused { .. })));
        let garbage = HttpResponse { status: 200, headers: vec![], body: b"{not json".to_vec() };
        assert_eq!(answer(Kind::Anthropic, &garbage), Err(Failure::Malformed));
        assert_eq!(answer(Kind::OpenAi, &response(503, &[], json!({}))), Err(Failure::ServerError { status: 503 }));
    }
}

//! The three provider APIs, each as its documentation states it: how a prompt becomes a request,
//! and how an answer becomes text, token counts or a reason to move to the next provider.

use serde_json::{json, Value as Json};

use crate::llm::{Kind, Provider};
use crate::ports::{HttpRequest, HttpResponse};

/// What is sent: the system and user messages and the sampling parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub system: String,
    pub user: String,
    pub max_tokens: u32,
    pub temperature: f64,
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

/// The request that asks `provider` (with `key`) for `prompt`.
pub fn request(provider: &Provider, key: &str, prompt: &Prompt) -> HttpRequest {
    let base = provider.base_url.trim_end_matches('/');
    match provider.kind {
        Kind::OpenAi => post(
            format!("{base}/chat/completions"),
            vec![("authorization".into(), format!("Bearer {key}"))],
            &json!({
                "model": provider.model,
                "messages": [
                    {"role": "system", "content": prompt.system},
                    {"role": "user", "content": prompt.user},
                ],
                "max_tokens": prompt.max_tokens,
                "temperature": prompt.temperature,
            }),
        ),
        Kind::Anthropic => post(
            format!("{base}/v1/messages"),
            vec![("x-api-key".into(), key.to_string()), ("anthropic-version".into(), "2023-06-01".into())],
            &json!({
                "model": provider.model,
                "system": prompt.system,
                "messages": [{"role": "user", "content": prompt.user}],
                "max_tokens": prompt.max_tokens,
                "temperature": prompt.temperature,
            }),
        ),
        Kind::Gemini => post(
            format!("{base}/v1beta/models/{}:generateContent", provider.model),
            vec![("x-goog-api-key".into(), key.to_string())],
            &json!({
                "systemInstruction": {"parts": [{"text": prompt.system}]},
                "contents": [{"role": "user", "parts": [{"text": prompt.user}]}],
                "generationConfig": {"maxOutputTokens": prompt.max_tokens, "temperature": prompt.temperature},
            }),
        ),
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
            let text: String =
                blocks.iter().filter(|b| b["type"] == "text").filter_map(|b| b["text"].as_str()).collect();
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
fn clip(s: &str) -> String {
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
        let prompt = Prompt { system: "sys".into(), user: "usr".into(), max_tokens: 300, temperature: 0.7 };
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

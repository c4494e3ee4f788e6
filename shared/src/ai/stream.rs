//! The three providers' streaming APIs, as each documents them: how a prompt is asked for as a
//! stream of server-sent events, and how the events become text, token counts, the end, or a
//! reason to move to the next provider.

use serde_json::{json, Value as Json};

use super::providers::{self, clip, Failure, Prompt};
use crate::llm::{Kind, Provider};
use crate::ports::HttpRequest;

/// The request that asks `provider` for `prompt` as a stream: OpenAI's `stream` with the usage
/// in the last chunk, Anthropic's `stream`, Gemini's `streamGenerateContent` as server-sent
/// events.
pub fn request(provider: &Provider, key: &str, prompt: &Prompt) -> HttpRequest {
    let mut request = providers::request(provider, key, prompt);
    let mut body: Json = serde_json::from_slice(&request.body).unwrap_or(Json::Null);
    match provider.kind {
        Kind::OpenAi => {
            body["stream"] = json!(true);
            body["stream_options"] = json!({"include_usage": true});
        }
        Kind::Anthropic => body["stream"] = json!(true),
        Kind::Gemini => {
            request.url = request.url.replace(":generateContent", ":streamGenerateContent") + "?alt=sse";
        }
    }
    request.headers.push(("accept".into(), "text/event-stream".into()));
    request.body = body.to_string().into_bytes();
    request
}

/// What a stream said.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// More of the answer.
    Text(String),
    /// The provider failed or declined mid-stream.
    Fail(Failure),
    /// The answer is complete.
    Done,
}

/// Reads a provider's event stream as it arrives: events may be split across chunks anywhere.
pub struct Decoder {
    kind: Kind,
    buffer: Vec<u8>,
    /// The tokens the provider counted, once it said.
    pub tokens_in: Option<i64>,
    pub tokens_out: Option<i64>,
}

impl Decoder {
    pub fn new(kind: Kind) -> Decoder {
        Decoder { kind, buffer: Vec::new(), tokens_in: None, tokens_out: None }
    }

    /// The pieces of the events that `chunk` completes.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Piece> {
        self.buffer.extend_from_slice(chunk);
        let mut pieces = Vec::new();
        while let Some((end, skip)) = event_end(&self.buffer) {
            let event: Vec<u8> = self.buffer.drain(..end + skip).take(end).collect();
            let (name, data) = fields(&String::from_utf8_lossy(&event));
            if !data.is_empty() || !name.is_empty() {
                self.event(&name, &data, &mut pieces);
            }
        }
        pieces
    }

    /// The pieces of what is left when the stream ends (a last event without its blank line).
    pub fn finish(&mut self) -> Vec<Piece> {
        let rest = std::mem::take(&mut self.buffer);
        let mut pieces = Vec::new();
        let (name, data) = fields(&String::from_utf8_lossy(&rest));
        if !data.is_empty() {
            self.event(&name, &data, &mut pieces);
        }
        pieces
    }

    fn event(&mut self, name: &str, data: &str, out: &mut Vec<Piece>) {
        if self.kind == Kind::OpenAi && data.trim() == "[DONE]" {
            out.push(Piece::Done);
            return;
        }
        let Ok(v) = serde_json::from_str::<Json>(data) else {
            out.push(Piece::Fail(Failure::Malformed));
            return;
        };
        match self.kind {
            Kind::OpenAi => {
                if v["error"].is_object() {
                    out.push(Piece::Fail(Failure::ServerError { status: 500 }));
                    return;
                }
                if let Some(usage) = v["usage"].as_object() {
                    self.tokens_in = usage.get("prompt_tokens").and_then(Json::as_i64);
                    self.tokens_out = usage.get("completion_tokens").and_then(Json::as_i64);
                }
                let choice = &v["choices"][0];
                if let Some(refusal) = choice["delta"]["refusal"].as_str() {
                    out.push(Piece::Fail(Failure::Refused { reason: clip(refusal) }));
                } else if choice["finish_reason"] == "content_filter" {
                    out.push(Piece::Fail(Failure::Refused { reason: "content_filter".into() }));
                } else if let Some(text) = choice["delta"]["content"].as_str().filter(|t| !t.is_empty()) {
                    out.push(Piece::Text(text.to_string()));
                }
            }
            Kind::Anthropic => match (name, v["type"].as_str().unwrap_or(name)) {
                (_, "message_start") => {
                    self.tokens_in = v["message"]["usage"]["input_tokens"].as_i64();
                    self.tokens_out = v["message"]["usage"]["output_tokens"].as_i64();
                }
                (_, "content_block_delta") => {
                    if let Some(text) = v["delta"]["text"].as_str().filter(|t| !t.is_empty()) {
                        out.push(Piece::Text(text.to_string()));
                    }
                }
                (_, "message_delta") => {
                    if let Some(n) = v["usage"]["output_tokens"].as_i64() {
                        self.tokens_out = Some(n);
                    }
                    if v["delta"]["stop_reason"] == "refusal" {
                        out.push(Piece::Fail(Failure::Refused { reason: "refusal".into() }));
                    }
                }
                (_, "message_stop") => out.push(Piece::Done),
                (_, "error") => out.push(Piece::Fail(match v["error"]["type"].as_str() {
                    Some("overloaded_error") => Failure::Overloaded,
                    Some("rate_limit_error") => Failure::RateLimited { retry_after_s: 60 },
                    _ => Failure::ServerError { status: 500 },
                })),
                _ => {}
            },
            Kind::Gemini => {
                if let Some(reason) = v["promptFeedback"]["blockReason"].as_str() {
                    out.push(Piece::Fail(Failure::Refused { reason: clip(reason) }));
                    return;
                }
                if let Some(usage) = v["usageMetadata"].as_object() {
                    self.tokens_in = usage.get("promptTokenCount").and_then(Json::as_i64).or(self.tokens_in);
                    self.tokens_out = usage.get("candidatesTokenCount").and_then(Json::as_i64).or(self.tokens_out);
                }
                let candidate = &v["candidates"][0];
                let parts = candidate["content"]["parts"].as_array().map(Vec::as_slice).unwrap_or_default();
                let text: String = parts.iter().filter_map(|p| p["text"].as_str()).collect();
                if !text.is_empty() {
                    out.push(Piece::Text(text));
                }
                match candidate["finishReason"].as_str() {
                    Some(r @ ("SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII")) => {
                        out.push(Piece::Fail(Failure::Refused { reason: r.into() }))
                    }
                    Some("STOP" | "MAX_TOKENS") => out.push(Piece::Done),
                    _ => {}
                }
            }
        }
    }
}

/// Where the first event of `buffer` ends, and the length of the blank line that ends it.
fn event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    (0..buffer.len()).find_map(|i| {
        let rest = &buffer[i..];
        if rest.starts_with(b"\r\n\r\n") {
            Some((i, 4))
        } else if rest.starts_with(b"\n\n") || rest.starts_with(b"\r\r") {
            Some((i, 2))
        } else {
            None
        }
    })
}

/// An event's name and its data lines joined (the server-sent events format).
fn fields(event: &str) -> (String, String) {
    let (mut name, mut data) = (String::new(), Vec::new());
    for line in event.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => name = value.to_string(),
            "data" => data.push(value),
            _ => {}
        }
    }
    (name, data.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(kind: Kind, stream: &str, split: usize) -> (Vec<Piece>, Decoder) {
        let mut d = Decoder::new(kind);
        let mut pieces = Vec::new();
        for chunk in stream.as_bytes().chunks(split) {
            pieces.extend(d.feed(chunk));
        }
        pieces.extend(d.finish());
        (pieces, d)
    }

    fn text(pieces: &[Piece]) -> String {
        pieces.iter().filter_map(|p| if let Piece::Text(t) = p { Some(t.as_str()) } else { None }).collect()
    }

    #[test]
    fn each_stream_is_read_as_its_api_sends_it_split_anywhere() {
        let openai = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n\
                      data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n\
                      data: {\"choices\":[{\"delta\":{\"content\":\"lo é\"},\"finish_reason\":null}]}\n\n\
                      data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3}}\n\n\
                      data: [DONE]\n\n";
        let anthropic = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\r\n\r\n\
                         event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n\
                         event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\r\n\r\n\
                         event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo é\"}}\r\n\r\n\
                         event: message_delta\r\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":4}}\r\n\r\n\
                         event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n";
        let gemini = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"}}]}\n\n\
                      data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo é\"}],\"role\":\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":7,\"candidatesTokenCount\":2}}\n\n";
        for split in [1, 3, 7, 4096] {
            let (p, d) = all(Kind::OpenAi, openai, split);
            assert_eq!(
                (text(&p).as_str(), p.last(), d.tokens_in, d.tokens_out),
                ("Hello é", Some(&Piece::Done), Some(9), Some(3))
            );
            let (p, d) = all(Kind::Anthropic, anthropic, split);
            assert_eq!(
                (text(&p).as_str(), p.last(), d.tokens_in, d.tokens_out),
                ("Hello é", Some(&Piece::Done), Some(12), Some(4))
            );
            let (p, d) = all(Kind::Gemini, gemini, split);
            assert_eq!(
                (text(&p).as_str(), p.last(), d.tokens_in, d.tokens_out),
                ("Hello é", Some(&Piece::Done), Some(7), Some(2))
            );
        }
        let (p, _) = all(
            Kind::Anthropic,
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\"}}\n\n",
            5,
        );
        assert_eq!(p, [Piece::Fail(Failure::Overloaded)]);
        let (p, _) = all(Kind::Gemini, "data: {\"candidates\":[{\"finishReason\":\"SAFETY\"}]}\n\n", 5);
        assert_eq!(p, [Piece::Fail(Failure::Refused { reason: "SAFETY".into() })]);
        let (p, _) = all(Kind::OpenAi, "data: {not json\n\n", 5);
        assert_eq!(p, [Piece::Fail(Failure::Malformed)]);
    }

    #[test]
    fn streams_are_asked_for_as_each_api_says() {
        let provider = |kind, base: &str| Provider {
            name: "p".into(),
            kind,
            model: "m-1".into(),
            base_url: base.into(),
            key: None,
        };
        let prompt = Prompt { system: "s".into(), user: "u".into(), max_tokens: 9, temperature: 0.5, shape: None };
        let body = |r: &HttpRequest| serde_json::from_slice::<Json>(&r.body).unwrap();
        let r = request(&provider(Kind::OpenAi, "https://api.openai.com/v1"), "k", &prompt);
        assert_eq!(
            (body(&r)["stream"].as_bool(), body(&r)["stream_options"]["include_usage"].as_bool()),
            (Some(true), Some(true))
        );
        let r = request(&provider(Kind::Anthropic, "https://api.anthropic.com"), "k", &prompt);
        assert_eq!(body(&r)["stream"], true);
        let r = request(&provider(Kind::Gemini, "https://g"), "k", &prompt);
        assert_eq!(r.url, "https://g/v1beta/models/m-1:streamGenerateContent?alt=sse");
    }
}

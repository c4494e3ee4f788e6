//! JSON in and out: the success envelope, and parsing of request bodies into typed inputs
//! with field-level details for every failure (SPEC PL-1, PL-2).

use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

use super::Response;
use crate::error::{AppError, FieldError};

/// `{"success":true,"data":…}`
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    pub success: bool,
    pub data: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

pub fn to_response<T: Serialize>(status: u16, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => Response::new(status, "application/json; charset=utf-8", bytes),
        Err(_) => Response::new(
            500,
            "application/json; charset=utf-8",
            br#"{"success":false,"error":"an internal error occurred","code":"INTERNAL_ERROR"}"#.to_vec(),
        ),
    }
}

pub fn ok<T: Serialize>(status: u16, data: T) -> Response {
    to_response(status, &Envelope { success: true, data, message: None })
}

/// Success with a sentence for the user, e.g. that an edit sent a post back to review.
pub fn ok_with_message<T: Serialize>(status: u16, data: T, message: Option<String>) -> Response {
    to_response(status, &Envelope { success: true, data, message })
}

/// Parses a JSON body into `T`. Malformed JSON, a wrong type, a missing or unknown field each
/// come back as a VALIDATION_ERROR naming the field.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::field("body", "a JSON body is required"));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(field_error)?;
    de.end().map_err(|e| AppError::field("body", format!("malformed JSON: {e}")))?;
    refuse_control_characters(body)?;
    Ok(value)
}

/// Whether `c` may not come in as text: control characters, except tab and newline.
pub fn is_refused_char(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// A JSON string can carry a control character only escaped (`\u0000`, `\r`, `\b`, `\f`), so
/// the raw bytes tell cheaply whether one may be there; only then is the body walked to name
/// the field. No database ever sees such a character, and every host answers the same.
fn refuse_control_characters(body: &[u8]) -> Result<(), AppError> {
    let suspicious = body.windows(2).any(|w| w[0] == b'\\' && matches!(w[1], b'u' | b'r' | b'b' | b'f'));
    if !suspicious && !body.iter().any(|&b| b == 0x7f || b == 0xc2) {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else { return Ok(()) };
    match first_refused(&value, String::new()) {
        Some(field) => Err(AppError::field(
            if field.is_empty() { "body".to_string() } else { field },
            "must not contain control characters",
        )),
        None => Ok(()),
    }
}

fn first_refused(value: &serde_json::Value, path: String) -> Option<String> {
    match value {
        serde_json::Value::String(s) => s.chars().any(is_refused_char).then_some(path),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, v)| first_refused(v, format!("{path}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
            if k.chars().any(is_refused_char) {
                return Some(path.clone());
            }
            first_refused(v, here)
        }),
        _ => None,
    }
}

fn field_error(err: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return AppError::field("body", format!("malformed JSON: {inner}"));
    }
    let message = strip_position(&inner.to_string());
    // The path already ends with an unknown field's name.
    if let Some(name) = message.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
        let field = if path == "." { name.to_string() } else { path };
        return AppError::field(field, "unknown field");
    }
    // A missing field is reported at its parent; name the field itself.
    if let Some(name) = message.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
        return AppError::field(join(&path, name), "is required");
    }
    let field = if path == "." { "body".to_string() } else { path };
    AppError::Validation(vec![FieldError::new(field, message)])
}

fn join(parent: &str, name: &str) -> String {
    if parent == "." {
        name.to_string()
    } else {
        format!("{parent}.{name}")
    }
}

/// serde_json appends " at line 1 column 9"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Input {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    fn details(body: &str) -> Vec<FieldError> {
        match parse::<Input>(body.as_bytes()) {
            Err(AppError::Validation(d)) => d,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn wrong_type_names_the_nested_field() {
        let d = details(r#"{"name":"a","inner":{"count":"x"}}"#);
        assert_eq!(d[0].field, "inner.count");
        assert!(d[0].message.contains("invalid type"), "{}", d[0].message);
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        assert_eq!(details(r#"{"name":"a","evil":1}"#)[0].field, "evil");
        assert_eq!(details(r#"{}"#)[0].field, "name");
    }

    #[test]
    fn control_characters_are_refused_with_their_field() {
        let d = details(r#"{"name":"a\u0000b"}"#);
        assert_eq!((d[0].field.as_str(), d[0].message.as_str()), ("name", "must not contain control characters"));
        assert_eq!(details(r#"{"name":"a\rb"}"#)[0].field, "name");
        assert_eq!(details("{\"name\":\"a\u{85}b\"}")[0].field, "name");
        assert!(parse::<Input>(br#"{"name":"tab\there\nand a new line"}"#).is_ok());
        assert!(parse::<Input>(br#"{"name":"caf\u00e9"}"#).is_ok());
    }

    #[test]
    fn malformed_json_is_a_body_error() {
        let d = details(r#"{"name": "#);
        assert_eq!(d[0].field, "body");
        assert!(d[0].message.starts_with("malformed JSON"));
        assert_eq!(details(r#"{"name":"a"} trailing"#)[0].field, "body");
    }
}

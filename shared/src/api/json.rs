//! JSON in and out: the success envelope, and parsing of request bodies into typed inputs
//! with field-level details for every failure (SPEC PL-1, PL-2).

use std::marker::PhantomData;

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
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Err(AppError::field("body", "a JSON body is required")),
        // A struct would also be filled from an array, by position.
        Some(b'[') => return Err(AppError::field("body", "must be a JSON object")),
        Some(_) => {}
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value: T = match T::deserialize(&mut de) {
        Ok(value) => {
            de.end().map_err(|e| AppError::field("body", format!("malformed JSON: {e}")))?;
            value
        }
        // JSON has one number type: `2.0` is the integer 2 to any client (and to JSON Schema).
        // Only when a float met an integer field is the body read again with such numbers made
        // integers, so the common path pays nothing.
        Err(e) if e.to_string().starts_with("invalid type: floating point") => {
            let mut tree: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| AppError::field("body", format!("malformed JSON: {e}")))?;
            integral_floats_as_integers(&mut tree);
            // Read again as text, through the same deserializer: one instance of the code per
            // input type, not a second one over `Value`.
            let text = serde_json::to_vec(&tree).map_err(|e| AppError::Internal(e.to_string()))?;
            let mut de = serde_json::Deserializer::from_slice(&text);
            T::deserialize(&mut de).map_err(|e| field_error(&text, e))?
        }
        Err(e) => return Err(field_error(body, e)),
    };
    refuse_control_characters(body)?;
    Ok(value)
}

fn integral_floats_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0 && f.abs() < 9.0e15) {
                *n = serde_json::Number::from(f as i64);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// Parses an optional JSON body: none at all, or a JSON `null` (how a generated client sends
/// an optional body it was not given), is `T::default()`.
pub fn parse_optional<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, AppError> {
    let text = body.trim_ascii();
    if text.is_empty() || text == b"null" {
        Ok(T::default())
    } else {
        parse(body)
    }
}

/// For an optional field holding a struct (`#[serde(default, deserialize_with = "json::object")]`):
/// serde would also fill a struct from a JSON array, by position; Herald's inputs are objects.
/// Field paths in errors stay whole (`brandProfile.mood`).
pub fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    d.deserialize_option(Maybe(Object::<T>(PhantomData)))
}

/// For a list of structs: each item must be a JSON object (see [`object`]).
pub fn objects<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::de::DeserializeSeed::deserialize(List::<T>(PhantomData), d)
}

/// For an optional list of structs (see [`object`]).
pub fn opt_objects<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    d.deserialize_option(Maybe(List::<T>(PhantomData)))
}

/// Null, or what the seed reads.
struct Maybe<S>(S);

impl<'de, S: serde::de::DeserializeSeed<'de>> serde::de::Visitor<'de> for Maybe<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object, a list of them, or null")
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

/// A list whose items are read as objects.
struct List<T>(PhantomData<T>);

impl<'de, T: serde::Deserialize<'de>> serde::de::DeserializeSeed<'de> for List<T> {
    type Value = Vec<T>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for List<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of JSON objects")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(Object::<T>(PhantomData))? {
            out.push(item);
        }
        Ok(out)
    }
}

/// A struct read only from a JSON object.
struct Object<T>(PhantomData<T>);

impl<'de, T: serde::Deserialize<'de>> serde::de::DeserializeSeed<'de> for Object<T> {
    type Value = T;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Object<T> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
    }
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

/// Names the field an error is about from where in the body serde_json stopped: the keys and
/// indices open at that point (`inner.count`, `list[0]`). One instance of each input type's
/// deserializer, with no path-tracking wrapper around it (that wrapper was an eighth of the
/// Worker's code).
fn field_error(body: &[u8], err: serde_json::Error) -> AppError {
    if err.is_syntax() || err.is_eof() {
        return AppError::field("body", format!("malformed JSON: {err}"));
    }
    let path = path_at(body, err.line(), err.column());
    let message = strip_position(&err.to_string());
    // The path already ends with an unknown field's name.
    if message.starts_with("unknown field `") {
        return AppError::field(if path.is_empty() { "body".into() } else { path }, "unknown field");
    }
    // A missing field is reported after its parent object; name the field itself.
    if let Some(name) = message.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
        return AppError::field(join(&path, name), "is required");
    }
    let field = if path.is_empty() { "body".to_string() } else { path };
    AppError::Validation(vec![FieldError::new(field, message)])
}

/// A container open at some point of a JSON text: an object with the key last read (until the
/// comma after its value), or an array with the index of the item being read.
enum Open<'a> {
    Object(Option<&'a [u8]>),
    Array(usize),
}

/// The path of the value being read when serde_json stopped at `line`:`column` (1-based,
/// serde_json's own count of bytes into the line), in the body it had already read well.
fn path_at(body: &[u8], line: usize, column: usize) -> String {
    let line_start = match line {
        0 => return String::new(),
        1 => 0,
        n => match body.iter().enumerate().filter(|(_, &b)| b == b'\n').nth(n - 2) {
            Some((i, _)) => i + 1,
            None => return String::new(),
        },
    };
    let end = (line_start + column).min(body.len());
    let mut open: Vec<Open> = Vec::new();
    let mut i = 0;
    // In an object, whether the next string is a key (after `{` or `,`).
    let mut key_next = false;
    while i < end {
        match body[i] {
            b'{' => {
                open.push(Open::Object(None));
                key_next = true;
            }
            b'[' => open.push(Open::Array(0)),
            b'}' | b']' => {
                open.pop();
            }
            b',' => match open.last_mut() {
                Some(Open::Object(key)) => {
                    *key = None;
                    key_next = true;
                }
                Some(Open::Array(index)) => *index += 1,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                i = start;
                while i < body.len() && body[i] != b'"' {
                    i += if body[i] == b'\\' { 2 } else { 1 };
                }
                if key_next {
                    if let Some(Open::Object(key)) = open.last_mut() {
                        *key = Some(&body[start..i.min(body.len())]);
                    }
                    key_next = false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for step in &open {
        match step {
            Open::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&String::from_utf8_lossy(key));
            }
            Open::Object(None) => {}
            Open::Array(index) => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    path
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
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

    #[derive(Debug, Default, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Nested {
        #[serde(default, deserialize_with = "object")]
        inner: Option<Inner>,
        #[serde(default, deserialize_with = "objects")]
        list: Vec<Inner>,
        #[serde(default, deserialize_with = "opt_objects")]
        maybe: Option<Vec<Inner>>,
    }

    #[test]
    fn an_integral_float_is_an_integer_and_a_fraction_is_not() {
        let ok = parse::<Input>(br#"{"name":"a","inner":{"count":2.0}}"#).unwrap();
        assert_eq!(ok.inner.map(|i| i.count), Some(2));
        let d = details(r#"{"name":"a","inner":{"count":2.5}}"#);
        assert_eq!(d[0].field, "inner.count");
        // Trailing text after an integral float is still malformed.
        assert_eq!(details(r#"{"name":"a","inner":{"count":2.0}} x"#)[0].field, "body");
    }

    #[test]
    fn arrays_never_stand_for_objects() {
        assert_eq!(details(r#"["a", null]"#)[0].field, "body");
        let nested = |body: &str| match parse::<Nested>(body.as_bytes()) {
            Err(AppError::Validation(d)) => d[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(nested(r#"{"inner":[3]}"#), "inner");
        assert_eq!(nested(r#"{"list":[[3]]}"#), "list[0]");
        assert_eq!(nested(r#"{"maybe":[{"count":1},[3]]}"#), "maybe[1]");
        assert_eq!(nested(r#"{"inner":{"count":1,"evil":2}}"#), "inner.evil", "paths stay whole");
        let ok = parse::<Nested>(br#"{"inner":{"count":3},"list":[{"count":4}]}"#).unwrap();
        assert_eq!((ok.inner.map(|i| i.count), ok.list.len(), ok.maybe.is_none()), (Some(3), 1, true));
    }

    #[test]
    fn an_optional_body_may_be_absent_or_null() {
        assert!(parse_optional::<Nested>(b"").unwrap().inner.is_none());
        assert!(parse_optional::<Nested>(b" null ").unwrap().inner.is_none());
        assert!(parse_optional::<Nested>(br#"{"inner":{"count":1}}"#).unwrap().inner.is_some());
        assert!(parse_optional::<Nested>(b"[]").is_err());
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
        assert_eq!(details(r#"{"name":"a","inner":{}}"#)[0].field, "inner.count");
        let list = |body: &str| match parse::<Nested>(body.as_bytes()) {
            Err(AppError::Validation(d)) => (d[0].field.clone(), d[0].message.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(list(r#"{"list":[{"count":1},{}]}"#), ("list[1].count".into(), "is required".into()));
        assert_eq!(list(r#"{"list":[{"count":1},{"count":2,"x":[1,{"y":2}]}]}"#).0, "list[1].x");
        assert_eq!(list(r#"{"maybe":[{"count":1}],"list":[{"count":-1}]}"#).0, "list[0].count");
    }

    #[test]
    fn paths_are_found_across_lines_escapes_and_closed_values() {
        let body = "{\n  \"name\": \"a \\\" , { [ b\",\n  \"inner\": {\"count\":\n \"x\"}\n}";
        let d = details(body);
        assert_eq!(d[0].field, "inner.count", "{d:?}");
        assert_eq!(details("{\"inner\": {\"count\": 1}, \"name\": 7}")[0].field, "name");
        assert_eq!(details("[1]")[0].field, "body");
        assert_eq!(path_at(b"{}", 0, 0), "");
        assert_eq!(path_at(b"{\"a\":[{\"b\":[1,2,", 1, 15), "a[0].b[1]");
        assert_eq!(path_at(b"{\"a\":[{\"b\":[1,2,", 1, 16), "a[0].b[2]");
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

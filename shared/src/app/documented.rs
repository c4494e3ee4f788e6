//! Applies the areas' `DOCUMENTED` tables (the kit's `crate::api::documented`) to the document:
//! field rules to the component schemas, query rules to parameters, and each operation's
//! required or omitted fields to a copy of its input schema.

use serde_json::{json, Value as Json};

use crate::api::documented::{Documented, Rule, ID_PATTERN, NON_BLANK_PATTERN};
use crate::api::route::{Area, Route};
use crate::validate::{LINE_PATTERN, TEXT_PATTERN};

/// The `TimeZone` component: every IANA name Herald's time-zone database knows.
pub fn time_zones() -> Json {
    let mut zones: Vec<Json> = crate::zones::names().map(|name| json!(name)).collect();
    zones.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    json!({"type": "string", "description": "An IANA time zone such as Europe/Paris", "enum": zones})
}

/// Writes `rule` into `property` (a derived schema, maybe nullable), keeping its description.
pub fn apply(property: &mut Json, rule: Rule) {
    let Some(object) = property.as_object_mut() else { return };
    let nullable = match object.get("type") {
        Some(Json::Array(types)) => types.iter().any(|t| t == "null"),
        _ => object.get("oneOf").is_some_and(|o| o.to_string().contains("\"null\"")),
    };
    let text = |extra: Json| {
        let mut schema = json!({"type": if nullable { json!(["string", "null"]) } else { json!("string") }});
        merge(&mut schema, extra);
        schema
    };
    let described = object.get("description").cloned();
    let mut schema = match rule {
        Rule::Line(max) => text(json!({"minLength": 1, "maxLength": max, "pattern": LINE_PATTERN})),
        Rule::Text(max) => text(json!({"maxLength": max, "pattern": TEXT_PATTERN})),
        Rule::NonBlank(max) => text(json!({"minLength": 1, "maxLength": max, "pattern": NON_BLANK_PATTERN})),
        Rule::OneOf(words) => {
            let mut values: Vec<Json> = words.iter().map(|w| json!(w)).collect();
            if nullable {
                values.push(Json::Null);
            }
            text(json!({"enum": values}))
        }
        Rule::Range(min, max) => json!({
            "type": if nullable { json!(["integer", "null"]) } else { json!("integer") },
            "minimum": min, "maximum": max
        }),
        Rule::Date => text(json!({"format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"})),
        Rule::DateTime => text(json!({"format": "date-time"})),
        Rule::Id => text(json!({"format": "uuid", "pattern": ID_PATTERN})),
        Rule::IdOrEmpty => text(json!({"maxLength": 36, "pattern": format!("^$|{ID_PATTERN}")})),
        Rule::Email => text(json!({"format": "email", "maxLength": 254})),
        Rule::Url(max) => text(json!({"format": "uri", "maxLength": max, "pattern": "^https?://[^\\s]+$"})),
        Rule::TimeZone => {
            let zone = json!({"$ref": "#/components/schemas/TimeZone"});
            if nullable {
                json!({"oneOf": [zone, {"type": "null"}]})
            } else {
                zone
            }
        }
        Rule::Locale => text(json!({"maxLength": 35, "pattern": "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"})),
        Rule::Secret(min, max) => text(json!({"minLength": min, "maxLength": max, "pattern": NON_BLANK_PATTERN})),
        Rule::Pattern(pattern, max) => text(json!({"maxLength": max, "pattern": pattern})),
        Rule::Items(min, max, each) => {
            let mut items = object.get("items").cloned().unwrap_or_else(|| json!({"type": "string"}));
            apply(&mut items, *each);
            json!({
                "type": if nullable { json!(["array", "null"]) } else { json!("array") },
                "minItems": min, "maxItems": max, "items": items
            })
        }
        Rule::Each(each) => {
            let mut items = object.get("items").cloned().unwrap_or_else(|| json!({"type": "string"}));
            apply(&mut items, *each);
            json!({"type": if nullable { json!(["array", "null"]) } else { json!("array") }, "items": items})
        }
        Rule::Keep => return,
    };
    if let Some(description) = described {
        schema["description"] = description;
    }
    *property = schema;
}

fn merge(target: &mut Json, extra: Json) {
    if let (Some(t), Json::Object(e)) = (target.as_object_mut(), extra) {
        t.extend(e);
    }
}

/// Applies every table to the document: field rules to the component schemas, then each
/// operation's required fields to a copy of its input schema. Answers the rows that name a
/// schema, field or route the document does not have (the OpenAPI tests report them).
pub fn apply_all(doc: &mut Json, areas: &[Area]) -> Vec<String> {
    let mut unknown = Vec::new();
    let rows = || areas.iter().flat_map(|area| area.inputs.iter()).flat_map(|table| table.iter());
    let routes = || areas.iter().flat_map(|area| area.routes.iter());
    for row in rows() {
        if let Documented::Field { schema, field, rule } = row {
            match doc.pointer_mut(&format!("/components/schemas/{schema}/properties/{field}")) {
                Some(property) => apply(property, *rule),
                None => unknown.push(format!("{schema}.{field}")),
            }
        }
    }
    for row in rows() {
        if let Documented::Query { route, name, rule } = row {
            match parameter(doc, routes(), route, name) {
                Some(p) => apply(&mut p["schema"], *rule),
                None => unknown.push(format!("{route:?}?{name}")),
            }
        }
    }
    for row in rows() {
        let done = match row {
            Documented::Required { route, fields } => Some((route, variant(doc, routes(), route, fields, &[]))),
            Documented::Omitted { route, fields } => Some((route, variant(doc, routes(), route, &[], fields))),
            _ => None,
        };
        if let Some((route, None)) = done {
            unknown.push(format!("{route:?}"));
        }
    }
    unknown
}

fn operation_pointer<'r>(mut routes: impl Iterator<Item = &'r Route>, route: &str) -> Option<String> {
    let found = routes.find(|r| r.name == route)?;
    Some(format!("/paths/{}/{}", found.path.replace('~', "~0").replace('/', "~1"), found.method.to_ascii_lowercase()))
}

fn parameter<'d, 'r>(
    doc: &'d mut Json,
    routes: impl Iterator<Item = &'r Route>,
    route: &str,
    name: &str,
) -> Option<&'d mut Json> {
    let parameters = doc.pointer_mut(&format!("{}/parameters", operation_pointer(routes, route)?))?.as_array_mut()?;
    parameters.iter_mut().find(|p| p["in"] == "query" && p["name"] == name)
}

/// The request body of `route` becomes its input schema (inlined, or its inlined variant from
/// an earlier row) with `required` fields required (no longer nullable, and a text not blank:
/// Herald trims text and reads a blank one as absent) and `omitted` fields removed.
fn variant<'r>(
    doc: &mut Json,
    routes: impl Iterator<Item = &'r Route>,
    route: &str,
    required: &[&str],
    omitted: &[&str],
) -> Option<()> {
    let operation = operation_pointer(routes, route)?;
    let pointer = format!("{operation}/requestBody/content/application~1json/schema");
    let body = doc.pointer(&pointer)?;
    // An optional body is documented as `oneOf` null or the input; a required field makes it required.
    let reference = body
        .get("$ref")
        .or_else(|| body.get("oneOf").and_then(|parts| parts.as_array()?.iter().find_map(|p| p.get("$ref"))));
    let mut schema = match reference {
        Some(r) => {
            let name = r.as_str()?.trim_start_matches("#/components/schemas/").to_string();
            doc.pointer(&format!("/components/schemas/{name}"))?.clone()
        }
        None => body.get("properties").map(|_| body.clone())?,
    };
    let mut all = schema["required"].as_array().cloned().unwrap_or_default();
    for f in required {
        let property = schema.pointer_mut(&format!("/properties/{f}"))?;
        if let Some(Json::Array(types)) = property.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types[0].clone();
                property["type"] = only;
            }
        }
        if let Some(Json::Array(values)) = property.get_mut("enum") {
            values.retain(|v| !v.is_null());
        }
        if property["pattern"] == TEXT_PATTERN {
            property["pattern"] = json!(NON_BLANK_PATTERN);
            property["minLength"] = json!(1);
        }
        if !all.iter().any(|r| r == f) {
            all.push(json!(f));
        }
    }
    for f in omitted {
        schema.get_mut("properties")?.as_object_mut()?.remove(*f)?;
        all.retain(|r| r != f);
    }
    schema["required"] = Json::Array(all);
    *doc.pointer_mut(&pointer)? = schema;
    if !required.is_empty() {
        doc.pointer_mut(&format!("{operation}/requestBody"))?["required"] = json!(true);
    }
    Some(())
}

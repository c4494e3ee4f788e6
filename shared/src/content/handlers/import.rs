//! CSV import of posts (SPEC CT-8). Each row becomes a draft through the same code path as
//! `POST posts`, in its own atomic batch: a bad row is reported and never stops the good ones,
//! and never leaves half a post behind.

use serde::Serialize;
use utoipa::ToSchema;

use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::content::editing::create_one;
use crate::content::posts::{PostInput, TargetInput};
use crate::error::{AppError, ErrorEnvelope, FieldError};

pub const MAX_ROWS: usize = 500;
/// A CSV import may be larger than a JSON request.
pub const MAX_BYTES: usize = 1024 * 1024;
const COLUMNS: [&str; 6] = ["title", "body", "tags", "campaign_id", "client_id", "platforms"];

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RowReport {
    /// The line of the file, the header being line 1.
    pub line: u64,
    /// `created` or `failed`.
    pub status: String,
    pub post_id: Option<String>,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub created: usize,
    pub failed: usize,
    pub rows: Vec<RowReport>,
}

fn column_name(header: &str) -> String {
    // Accept camelCase and spaces as well: campaignId, "Campaign ID".
    let mut out = String::new();
    let mut prev_lower = false;
    for c in header.trim().chars() {
        if c.is_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_lowercase();
        out.extend(c.to_lowercase().map(|c| if c == ' ' || c == '-' { '_' } else { c }));
    }
    out
}

fn list(cell: &str) -> Vec<String> {
    cell.split(['|', ';']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

#[utoipa::path(post, path = "/api/v1/workspaces/{workspaceId}/posts/import", tag = "posts", security(("bearer" = [])),
    params(("workspaceId" = String, Path)),
    request_body(content = String, content_type = "text/csv",
        description = "A header row naming any of: title (required), body, tags, campaign_id, client_id, platforms. Lists (tags, platforms) are separated by `|` or `;`. At most 500 rows and 1 MiB."),
    responses((status = 200, description = "One report per row: created with its post id, or failed with field details", body = Envelope<ImportReport>),
              (status = 400, description = "VALIDATION_ERROR: the file itself is unreadable, has unknown columns or too many rows", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorEnvelope)))]
pub async fn import(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let text = std::str::from_utf8(&call.req.body).map_err(|_| AppError::field("body", "must be UTF-8 CSV"))?;
    let mut reader = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::Headers).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::field("body", format!("unreadable CSV header: {e}")))?
        .iter()
        .map(column_name)
        .collect();
    let unknown: Vec<FieldError> = headers
        .iter()
        .filter(|h| !COLUMNS.contains(&h.as_str()))
        .map(|h| FieldError::new(format!("columns.{h}"), format!("is not one of {}", COLUMNS.join(", "))))
        .collect();
    if !unknown.is_empty() {
        return Err(AppError::Validation(unknown));
    }
    if !headers.iter().any(|h| h == "title") {
        return Err(AppError::field("columns.title", "is required"));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| AppError::field("body", format!("unreadable CSV: {e}")))?;
        if rows.len() == MAX_ROWS {
            return Err(AppError::field("body", format!("must have at most {MAX_ROWS} rows")));
        }
        rows.push(record);
    }

    let mut reports = Vec::with_capacity(rows.len());
    for record in rows {
        let line = record.position().map_or(0, |p| p.line());
        let cell = |name: &str| {
            headers.iter().position(|h| h == name).and_then(|i| record.get(i)).map(str::trim).filter(|c| !c.is_empty())
        };
        let input = PostInput {
            title: Some(cell("title").unwrap_or_default().to_string()),
            body: cell("body").map(str::to_string),
            campaign_id: cell("campaign_id").map(str::to_string),
            client_id: cell("client_id").map(str::to_string),
            tags: cell("tags").map(list),
            targets: cell("platforms").map(|p| {
                list(p)
                    .into_iter()
                    .map(|platform| TargetInput { platform, account_id: None, text: None, options: None, media: None })
                    .collect()
            }),
            version: None,
        };
        reports.push(match create_one(ctx, call, input).await {
            Ok(post) => RowReport { line, status: "created".into(), post_id: Some(post.id), errors: Vec::new() },
            Err(AppError::Validation(errors)) => RowReport { line, status: "failed".into(), post_id: None, errors },
            Err(AppError::Conflict(m)) => {
                RowReport { line, status: "failed".into(), post_id: None, errors: vec![FieldError::new("row", m)] }
            }
            // Anything else (the database gone away) stops the import: later rows would fail alike.
            Err(other) => return Err(other),
        });
    }
    let created = reports.iter().filter(|r| r.post_id.is_some()).count();
    Ok(json::ok(200, ImportReport { created, failed: reports.len() - created, rows: reports }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_are_normalised() {
        assert_eq!(column_name("campaignId"), "campaign_id");
        assert_eq!(column_name(" Campaign ID "), "campaign_id");
        assert_eq!(column_name("title"), "title");
    }

    #[test]
    fn lists_split_on_bars_and_semicolons() {
        assert_eq!(list("a| b ;c;;"), ["a", "b", "c"]);
    }
}

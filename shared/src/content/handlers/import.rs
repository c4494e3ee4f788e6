//! CSV import of posts (SPEC CT-8). Each row becomes a draft through the same code path as
//! `POST posts`: a bad row is reported and never stops the good ones, and never leaves half a
//! post behind. What the rows name (clients, campaigns) is read once for all of them, and the
//! good rows are written [`ROWS_PER_BATCH`] to an atomic batch, so an import of the largest
//! file takes a dozen round trips to the database, inside D1's limit per invocation.

use serde::Serialize;
use utoipa::ToSchema;

use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::content::editing::{draft, Known};
use crate::content::posts::{PostInput, TargetInput};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::sql::{DbError, Statement};

pub const MAX_ROWS: usize = 500;
/// Good rows written in one atomic batch (each is a handful of statements).
pub const ROWS_PER_BATCH: usize = 50;
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

    let inputs: Vec<(u64, PostInput)> = rows
        .iter()
        .map(|record| {
            let line = record.position().map_or(0, |p| p.line());
            let cell = |name: &str| {
                headers
                    .iter()
                    .position(|h| h == name)
                    .and_then(|i| record.get(i))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
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
                        .map(|platform| TargetInput {
                            platform,
                            account_id: None,
                            text: None,
                            options: None,
                            media: None,
                        })
                        .collect()
                }),
                version: None,
            };
            (line, input)
        })
        .collect();
    let member = call.member()?;
    let clients: Vec<String> = inputs.iter().filter_map(|(_, i)| i.client_id.clone()).collect();
    let campaigns: Vec<String> = inputs.iter().filter_map(|(_, i)| i.campaign_id.clone()).collect();
    let known = Known::read(ctx.db, member, call, &clients, &campaigns).await?;

    let mut reports = Vec::with_capacity(inputs.len());
    // The good rows waiting for their batch: (index in `reports`, statements).
    let mut pending: Vec<(usize, Vec<Statement>)> = Vec::new();
    for (line, input) in inputs {
        match draft(ctx, call, input, &known).await {
            Ok((post, statements)) => {
                pending.push((reports.len(), statements));
                reports.push(RowReport { line, status: "created".into(), post_id: Some(post.id), errors: Vec::new() });
            }
            Err(AppError::Validation(errors)) => {
                reports.push(RowReport { line, status: "failed".into(), post_id: None, errors })
            }
            Err(other) => return Err(other),
        }
        if pending.len() == ROWS_PER_BATCH {
            write(ctx, std::mem::take(&mut pending), &mut reports).await?;
        }
    }
    write(ctx, pending, &mut reports).await?;
    let created = reports.iter().filter(|r| r.post_id.is_some()).count();
    Ok(json::ok(200, ImportReport { created, failed: reports.len() - created, rows: reports }))
}

/// Writes the good rows `pending` as one atomic batch. A batch that a concurrent change
/// refuses (a campaign or client deleted meanwhile) fails its rows, each with the reason;
/// anything else (the database gone away) stops the import: later rows would fail alike.
async fn write(
    ctx: &Context<'_>,
    pending: Vec<(usize, Vec<Statement>)>,
    reports: &mut [RowReport],
) -> Result<(), AppError> {
    if pending.is_empty() {
        return Ok(());
    }
    let statements: Vec<Statement> = pending.iter().flat_map(|(_, s)| s.iter().cloned()).collect();
    match ctx.db.batch(&statements).await {
        Ok(_) => Ok(()),
        Err(DbError::Constraint(_) | DbError::Unique(_)) => {
            for (i, _) in pending {
                let report = &mut reports[i];
                report.status = "failed".into();
                report.post_id = None;
                report.errors =
                    vec![FieldError::new("row", "changed meanwhile (a campaign or client went away); import it again")];
            }
            Ok(())
        }
        Err(other) => Err(other.into()),
    }
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

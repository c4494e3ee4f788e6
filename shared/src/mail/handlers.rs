//! Reading the development mailbox.

use super::{store, CaughtMail};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};

#[utoipa::path(get, path = "/api/v1/dev/mailbox", tag = "development",
    params(("to" = Option<String>, Query, description = "Only messages to this address")),
    responses(
        (status = 200, description = "Mail caught by the development mailbox, newest first. This route exists only when ENVIRONMENT=development.", body = Envelope<Vec<CaughtMail>>),
        (status = 404, description = "NOT_FOUND outside development", body = ErrorEnvelope),
    ))]
pub async fn mailbox(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    // Addresses are written to in their normalized form: look them up the same way.
    let to = call.req.query_param("to").map(|t| {
        crate::validate::Email::parse(&t).map_or_else(|_| t.trim().to_lowercase(), |e| e.as_str().to_string())
    });
    let mails = store::caught(ctx.db, to.as_deref()).await?;
    Ok(json::ok(200, mails))
}

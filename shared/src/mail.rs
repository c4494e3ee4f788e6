//! The Mail port and its two adapters that need no runtime: a development mail catcher kept in
//! the database (read at `GET /api/v1/dev/mailbox`) and a provider reached over the Http port
//! with a Resend-style API (`POST {base}/emails`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::params;
use crate::ports::{Http, HttpRequest};
use crate::sql::Sql;
use crate::validate::rfc3339;

pub use crate::ports::{Mail, MailMessage};

/// Keeps every message in `dev_mailbox`. Only for `ENVIRONMENT=development`.
pub struct DevMailbox<'a> {
    pub db: &'a dyn Sql,
    pub clock: &'a dyn crate::ports::Clock,
    pub random: &'a dyn crate::ports::Random,
}

#[async_trait(?Send)]
impl Mail for DevMailbox<'_> {
    async fn send(&self, m: &MailMessage) -> Result<(), AppError> {
        let now = self.clock.now_ms();
        // Increasing within the process, so two mails of one millisecond list newest first.
        let id = crate::api::new_id(self.clock, self.random);
        self.db
            .execute(
                "INSERT INTO dev_mailbox (id, to_address, subject, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                &params![id, m.to.as_str(), m.subject.as_str(), m.text.as_str(), now],
            )
            .await?;
        Ok(())
    }
}

/// No provider and not development: sending fails loudly rather than silently.
pub struct NoMail;

#[async_trait(?Send)]
impl Mail for NoMail {
    async fn send(&self, _: &MailMessage) -> Result<(), AppError> {
        Err(AppError::ServiceUnavailable("email is not configured on this server".into()))
    }
}

/// A mail provider with a Resend-style HTTP API.
pub struct HttpMail<'a> {
    pub http: &'a dyn Http,
    /// e.g. `https://api.resend.com`
    pub base_url: String,
    pub api_key: String,
    pub from: String,
}

#[derive(Serialize)]
struct ProviderMail<'m> {
    from: &'m str,
    to: [&'m str; 1],
    subject: &'m str,
    text: &'m str,
}

#[async_trait(?Send)]
impl Mail for HttpMail<'_> {
    async fn send(&self, m: &MailMessage) -> Result<(), AppError> {
        let body =
            serde_json::to_vec(&ProviderMail { from: &self.from, to: [&m.to], subject: &m.subject, text: &m.text })
                .map_err(|e| AppError::Internal(e.to_string()))?;
        let request = HttpRequest {
            method: "POST".into(),
            url: format!("{}/emails", self.base_url.trim_end_matches('/')),
            headers: vec![
                ("authorization".into(), format!("Bearer {}", self.api_key)),
                ("content-type".into(), "application/json".into()),
            ],
            body,
        };
        let response =
            self.http.send(request).await.map_err(|e| AppError::ExternalApi(format!("mail provider: {e}")))?;
        if (200..300).contains(&response.status) {
            Ok(())
        } else {
            Err(AppError::ExternalApi(format!("mail provider answered {}", response.status)))
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaughtMail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub created_at: String,
}

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
    let rows = match to {
        Some(to) => {
            ctx.db
                .query(
                    "SELECT id, to_address, subject, body, created_at FROM dev_mailbox \
                     WHERE to_address = ?1 ORDER BY created_at DESC, id DESC LIMIT 200",
                    &params![to],
                )
                .await?
        }
        None => {
            ctx.db
                .query(
                    "SELECT id, to_address, subject, body, created_at FROM dev_mailbox \
                     ORDER BY created_at DESC, id DESC LIMIT 200",
                    &[],
                )
                .await?
        }
    };
    let mails = rows
        .iter()
        .map(|r| {
            Ok(CaughtMail {
                id: r.text("id")?,
                to: r.text("to_address")?,
                subject: r.text("subject")?,
                text: r.text("body")?,
                created_at: rfc3339(r.int("created_at")?),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(json::ok(200, mails))
}

use crate::route;

/// The development mailbox.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "mail",
    routes: &[route!(GET "/api/v1/dev/mailbox", devMailbox, Development, mailbox)],
    inputs: &[],
};

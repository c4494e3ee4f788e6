//! The Mail port and its two adapters that need no runtime: a development mail catcher kept in
//! the database (read at `GET /api/v1/dev/mailbox`) and a provider reached over the Http port
//! with a Resend-style API (`POST {base}/emails`).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::AppError;
use crate::ports::{Http, HttpRequest};
use crate::sql::Sql;

pub mod handlers;
pub mod store;

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
        store::keep(self.db, &id, m, now).await
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
    from: String,
    to: [&'m str; 1],
    subject: &'m str,
    text: &'m str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'m str>,
}

/// `Name <address>`: the configured sender's address under the mail's own sender name, if any.
fn sender(configured: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => {
            let address = match (configured.find('<'), configured.rfind('>')) {
                (Some(a), Some(b)) if a < b => &configured[a + 1..b],
                _ => configured.trim(),
            };
            format!("{name} <{address}>")
        }
        None => configured.to_string(),
    }
}

#[async_trait(?Send)]
impl Mail for HttpMail<'_> {
    async fn send(&self, m: &MailMessage) -> Result<(), AppError> {
        let mail = ProviderMail {
            from: sender(&self.from, m.sender_name.as_deref()),
            to: [&m.to],
            subject: &m.subject,
            text: &m.text,
            reply_to: m.reply_to.as_deref(),
        };
        let body = serde_json::to_vec(&mail).map_err(|e| AppError::Internal(e.to_string()))?;
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
    /// The sender's display name (a workspace's brand).
    pub sender_name: Option<String>,
    /// Where replies go (a workspace's support address).
    pub reply_to: Option<String>,
}

use crate::route;

/// The development mailbox.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "mail",
    routes: &[route!(GET "/api/v1/dev/mailbox", devMailbox, Development, handlers::mailbox)],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[],
};

#[cfg(test)]
mod tests {
    use super::sender;

    #[test]
    fn a_brand_names_the_sender_and_the_address_stays_the_configured_one() {
        assert_eq!(sender("Herald <mail@herald.test>", Some("Acme Studio")), "Acme Studio <mail@herald.test>");
        assert_eq!(sender("mail@herald.test", Some("Acme")), "Acme <mail@herald.test>");
        assert_eq!(sender("Herald <mail@herald.test>", None), "Herald <mail@herald.test>");
    }
}

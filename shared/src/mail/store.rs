//! The only SQL on `dev_mailbox`, the development mail catcher.

use super::{CaughtMail, MailMessage};
use crate::error::AppError;
use crate::params;
use crate::sql::Sql;
use crate::validate::rfc3339;

pub async fn keep(db: &dyn Sql, id: &str, m: &MailMessage, now: i64) -> Result<(), AppError> {
    db.execute(
        "INSERT INTO dev_mailbox (id, to_address, subject, body, created_at, sender_name, reply_to) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &params![
            id,
            m.to.as_str(),
            m.subject.as_str(),
            m.text.as_str(),
            now,
            m.sender_name.clone(),
            m.reply_to.clone()
        ],
    )
    .await?;
    Ok(())
}

/// The newest 200 caught mails, to `to` only when given.
pub async fn caught(db: &dyn Sql, to: Option<&str>) -> Result<Vec<CaughtMail>, AppError> {
    let rows = match to {
        Some(to) => {
            db.query(
                "SELECT id, to_address, subject, body, created_at, sender_name, reply_to FROM dev_mailbox \
                 WHERE to_address = ?1 ORDER BY created_at DESC, id DESC LIMIT 200",
                &params![to],
            )
            .await?
        }
        None => {
            db.query(
                "SELECT id, to_address, subject, body, created_at, sender_name, reply_to FROM dev_mailbox \
                 ORDER BY created_at DESC, id DESC LIMIT 200",
                &[],
            )
            .await?
        }
    };
    rows.iter()
        .map(|r| {
            Ok(CaughtMail {
                id: r.text("id")?,
                to: r.text("to_address")?,
                subject: r.text("subject")?,
                text: r.text("body")?,
                created_at: rfc3339(r.int("created_at")?),
                sender_name: r.opt_text("sender_name")?,
                reply_to: r.opt_text("reply_to")?,
            })
        })
        .collect()
}

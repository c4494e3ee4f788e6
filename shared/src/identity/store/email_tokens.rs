//! The only SQL on `email_tokens`: single-use tokens sent by mail, stored as their hash. The
//! rows of the last hour are also each account's mail limit.

use crate::error::AppError;
use crate::params;
use crate::sql::{Sql, Statement};

/// A token to store for `user_id`, mailed to `email` for `purpose`.
pub struct NewToken<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub purpose: &'a str,
    pub email: &'a str,
    pub token_hash: String,
    pub expires_at: i64,
    pub now: i64,
}

/// The insert, then a guard that fails the batch (a constraint error, undoing the insert) when
/// the account now has more than `per_hour` tokens of that purpose from the hour before `now`.
pub fn insert_within(t: NewToken<'_>, hour_ago: i64, per_hour: i64) -> [Statement; 2] {
    [
        Statement::new(
            "INSERT INTO email_tokens (id, user_id, purpose, email, token_hash, expires_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![t.id, t.user_id, t.purpose, t.email, t.token_hash, t.expires_at, t.now],
        ),
        Statement::guard(
            "SELECT 1 WHERE (SELECT COUNT(*) FROM email_tokens WHERE user_id = ?1 AND purpose = ?2 \
             AND created_at > ?3) <= ?4",
            params![t.user_id, t.purpose, hour_ago, per_hour],
        ),
    ]
}

pub async fn delete(db: &dyn Sql, id: &str) -> Result<(), AppError> {
    db.execute("DELETE FROM email_tokens WHERE id = ?1", &params![id]).await?;
    Ok(())
}

/// A token as stored.
pub struct Stored {
    pub id: String,
    pub user_id: String,
    pub email: String,
    pub expires_at: i64,
    pub spent: bool,
}

pub async fn by_hash(db: &dyn Sql, token_hash: &str, purpose: &str) -> Result<Option<Stored>, AppError> {
    let row = db
        .query_one(
            "SELECT id, user_id, email, expires_at, used_at FROM email_tokens WHERE token_hash = ?1 AND purpose = ?2",
            &params![token_hash, purpose],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Stored {
        id: row.text("id")?,
        user_id: row.text("user_id")?,
        email: row.text("email")?,
        expires_at: row.int("expires_at")?,
        spent: row.opt_int("used_at")?.is_some(),
    }))
}

/// Spends token `id` at `now` (only if unspent and unexpired, and with `to_current_address`
/// only while the account's address is still the one it was sent to), then a guard that
/// fails the batch unless this request, `nonce`, spent it.
pub fn spend(id: &str, nonce: &str, now: i64, to_current_address: bool) -> [Statement; 2] {
    let address = if to_current_address {
        " AND EXISTS (SELECT 1 FROM users u WHERE u.id = email_tokens.user_id AND u.email = email_tokens.email)"
    } else {
        ""
    };
    [
        Statement::new(
            format!(
                "UPDATE email_tokens SET used_at = ?2, used_by = ?3 WHERE id = ?1 AND used_at IS NULL \
                 AND expires_at > ?2{address}"
            ),
            params![id, now, nonce],
        ),
        Statement::guard("SELECT 1 FROM email_tokens WHERE id = ?1 AND used_by = ?2", params![id, nonce]),
    ]
}

/// Spends every unspent token of `purpose` of `user_id`.
pub fn spend_all(user_id: &str, purpose: &str, now: i64) -> Statement {
    Statement::new(
        "UPDATE email_tokens SET used_at = ?3 WHERE user_id = ?1 AND purpose = ?2 AND used_at IS NULL",
        params![user_id, purpose, now],
    )
}

/// Purges the tokens that expired before `before`.
pub async fn purge(db: &dyn Sql, before: i64) -> Result<u64, AppError> {
    Ok(db.execute("DELETE FROM email_tokens WHERE expires_at < ?1", &params![before]).await?)
}

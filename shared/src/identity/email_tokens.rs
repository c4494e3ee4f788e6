//! Single-use tokens sent by mail: address verification, password reset and address change
//! (SPEC IAM-1). 32 random bytes in base64url; only their SHA-256 is stored; a token is spent
//! by one guarded update, in the batch that does what it allows. The rows of the last hour
//! are also each account's mail limit, so it holds whatever limits run in front.

use super::tokens;
use crate::api::Context;
use crate::error::AppError;
use crate::params;
use crate::sql::{DbError, Statement};

const HOUR_MS: i64 = 3600 * 1000;

/// At most this many mails of one purpose per account and hour.
pub const MAILS_PER_HOUR: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
    EmailChange,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
            Purpose::EmailChange => "email_change",
        }
    }

    /// How long a token lives: a reset one hour, the others a day.
    pub fn ttl_ms(self) -> i64 {
        match self {
            Purpose::Reset => HOUR_MS,
            Purpose::Verify | Purpose::EmailChange => 24 * HOUR_MS,
        }
    }
}

/// A token to put in a mail, and its row.
pub struct Issued {
    pub id: String,
    pub token: String,
}

/// Stores a new token of `purpose` for `user_id`, to be mailed to `email`. `None` when the
/// account already had its mails of that purpose this hour: counted in the same batch as the
/// insert, which the count undoes.
pub async fn issue(
    ctx: &Context<'_>,
    user_id: &str,
    purpose: Purpose,
    email: &str,
) -> Result<Option<Issued>, AppError> {
    let token = tokens::opaque_token(ctx.random.bytes());
    let id = ctx.new_id();
    let now = ctx.clock.now_ms();
    let written = ctx
        .db
        .batch(&[
            Statement::new(
                "INSERT INTO email_tokens (id, user_id, purpose, email, token_hash, expires_at, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    id.as_str(),
                    user_id,
                    purpose.as_str(),
                    email,
                    tokens::token_hash(&token),
                    now + purpose.ttl_ms(),
                    now
                ],
            ),
            Statement::guard(
                "SELECT 1 WHERE (SELECT COUNT(*) FROM email_tokens WHERE user_id = ?1 AND purpose = ?2 \
                 AND created_at > ?3) <= ?4",
                params![user_id, purpose.as_str(), now - HOUR_MS, MAILS_PER_HOUR],
            ),
        ])
        .await;
    match written {
        Ok(_) => Ok(Some(Issued { id, token })),
        Err(DbError::Constraint(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Forgets a token whose mail could not be sent.
pub async fn discard(ctx: &Context<'_>, id: &str) -> Result<(), AppError> {
    ctx.db.execute("DELETE FROM email_tokens WHERE id = ?1", &params![id]).await?;
    Ok(())
}

/// The same answer for an unknown, expired, spent or mistyped token.
pub fn invalid() -> AppError {
    AppError::field("token", "is invalid, expired or already used")
}

/// An unspent, unexpired token, as found.
pub struct Pending {
    pub id: String,
    pub user_id: String,
    /// Where it was sent.
    pub email: String,
}

pub async fn find(ctx: &Context<'_>, token: &str, purpose: Purpose) -> Result<Pending, AppError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 200 {
        return Err(invalid());
    }
    let row = ctx
        .db
        .query_one(
            "SELECT id, user_id, email, expires_at, used_at FROM email_tokens WHERE token_hash = ?1 AND purpose = ?2",
            &params![tokens::token_hash(token), purpose.as_str()],
        )
        .await?
        .ok_or_else(invalid)?;
    if row.opt_int("used_at")?.is_some() || row.int("expires_at")? <= ctx.clock.now_ms() {
        return Err(invalid());
    }
    Ok(Pending { id: row.text("id")?, user_id: row.text("user_id")?, email: row.text("email")? })
}

/// The head of the batch that uses `pending`: the update that spends it (only if unspent and
/// unexpired, and with `to_current_address` only while the account's address is still the one
/// it was sent to), then a guard that fails the batch unless this request, `nonce`, spent it.
pub fn spend(pending: &Pending, nonce: &str, now: i64, to_current_address: bool) -> [Statement; 2] {
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
            params![pending.id.as_str(), now, nonce],
        ),
        Statement::guard(
            "SELECT 1 FROM email_tokens WHERE id = ?1 AND used_by = ?2",
            params![pending.id.as_str(), nonce],
        ),
    ]
}

/// Spends every other unspent token of `purpose` of `user_id`: a new password kills the
/// reset links still out.
pub fn spend_all(user_id: &str, purpose: Purpose, now: i64) -> Statement {
    Statement::new(
        "UPDATE email_tokens SET used_at = ?3 WHERE user_id = ?1 AND purpose = ?2 AND used_at IS NULL",
        params![user_id, purpose.as_str(), now],
    )
}

/// Maps a failed batch headed by [`spend`]: a failed guard means the token was not spendable.
pub fn spend_failed(e: DbError) -> AppError {
    match e {
        DbError::Constraint(_) => invalid(),
        other => other.into(),
    }
}

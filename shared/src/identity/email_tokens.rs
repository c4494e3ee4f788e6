//! Single-use tokens sent by mail: address verification, password reset and address change
//! (SPEC IAM-1). 32 random bytes in base64url; only their SHA-256 is stored; a token is spent
//! by one guarded update, in the batch that does what it allows. The rows of the last hour
//! are also each account's mail limit, so it holds whatever limits run in front.

use super::store::email_tokens as store;
use super::tokens;
use crate::api::Context;
use crate::error::AppError;
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
    let new = store::NewToken {
        id: &id,
        user_id,
        purpose: purpose.as_str(),
        email,
        token_hash: tokens::token_hash(&token),
        expires_at: now + purpose.ttl_ms(),
        now,
    };
    match ctx.db.batch(&store::insert_within(new, now - HOUR_MS, MAILS_PER_HOUR)).await {
        Ok(_) => Ok(Some(Issued { id, token })),
        Err(DbError::Constraint(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Forgets a token whose mail could not be sent.
pub async fn discard(ctx: &Context<'_>, id: &str) -> Result<(), AppError> {
    store::delete(ctx.db, id).await
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
    let stored = store::by_hash(ctx.db, &tokens::token_hash(token), purpose.as_str()).await?.ok_or_else(invalid)?;
    if stored.spent || stored.expires_at <= ctx.clock.now_ms() {
        return Err(invalid());
    }
    Ok(Pending { id: stored.id, user_id: stored.user_id, email: stored.email })
}

/// The head of the batch that uses `pending`: the update that spends it (only if unspent and
/// unexpired, and with `to_current_address` only while the account's address is still the one
/// it was sent to), then a guard that fails the batch unless this request, `nonce`, spent it.
pub fn spend(pending: &Pending, nonce: &str, now: i64, to_current_address: bool) -> [Statement; 2] {
    store::spend(&pending.id, nonce, now, to_current_address)
}

/// Spends every other unspent token of `purpose` of `user_id`: a new password kills the
/// reset links still out.
pub fn spend_all(user_id: &str, purpose: Purpose, now: i64) -> Statement {
    store::spend_all(user_id, purpose.as_str(), now)
}

/// Maps a failed batch headed by [`spend`]: a failed guard means the token was not spendable.
pub fn spend_failed(e: DbError) -> AppError {
    match e {
        DbError::Constraint(_) => invalid(),
        other => other.into(),
    }
}

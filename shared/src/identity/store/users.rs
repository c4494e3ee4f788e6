//! The only SQL on `users`.

use serde_json::{Map, Value as Json};

use crate::error::AppError;
use crate::identity::model::{Email, UserView};
use crate::params;
use crate::sql::{DbError, Row, Sql, Statement};
use crate::validate::rfc3339;

const COLUMNS: &str =
    "id, email, email_verified_at, name, password_hash, timezone, locale, preferences, created_at, updated_at";

pub struct StoredUser {
    pub view: UserView,
    pub password_hash: Option<String>,
}

fn decode(row: &Row) -> Result<StoredUser, DbError> {
    let preferences = match row.json("preferences")? {
        Json::Object(map) => map,
        _ => Map::new(),
    };
    Ok(StoredUser {
        view: UserView {
            id: row.text("id")?,
            email: row.text("email")?,
            email_verified: row.opt_int("email_verified_at")?.is_some(),
            name: row.text("name")?,
            timezone: row.text("timezone")?,
            locale: row.text("locale")?,
            preferences,
            created_at: rfc3339(row.int("created_at")?),
            updated_at: rfc3339(row.int("updated_at")?),
        },
        password_hash: row.opt_text("password_hash")?,
    })
}

pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub now_ms: i64,
}

pub fn insert(u: &NewUser<'_>) -> Statement {
    Statement::new(
        "INSERT INTO users (id, email, name, password_hash, timezone, locale, preferences, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 'UTC', 'en', '{}', ?5, ?5)",
        params![u.id, u.email, u.name, u.password_hash, u.now_ms],
    )
}

pub async fn by_id(db: &dyn Sql, id: &str) -> Result<Option<StoredUser>, AppError> {
    let read = by_id_read(id);
    first_of(&db.query(&read.sql, &read.params).await?)
}

/// [`by_id`]'s read, to send with others in one round trip; [`first_of`] reads its answer.
pub fn by_id_read(id: &str) -> Statement {
    Statement::new(format!("SELECT {COLUMNS} FROM users WHERE id = ?1"), params![id])
}

/// The user [`by_id_read`] found, if any.
pub fn first_of(rows: &[Row]) -> Result<Option<StoredUser>, AppError> {
    Ok(rows.first().map(decode).transpose()?)
}

/// The reads of the addresses of the users `ids` (`id`, `email`), to send in one round trip
/// (`Sql::reads`).
pub fn emails_among(ids: &[String]) -> Vec<crate::sql::Statement> {
    crate::sql::in_chunks(&[], ids, |list| format!("SELECT id, email FROM users WHERE id IN ({list})"))
}

/// The account of `email`, also when it was stored before addresses were normalized.
pub async fn by_email(db: &dyn Sql, email: &Email) -> Result<Option<StoredUser>, AppError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = ?1 OR email = ?2 ORDER BY email = ?1 DESC LIMIT 1");
    let legacy = email.legacy().unwrap_or(email.as_str());
    match db.query_one(&sql, &params![email.as_str(), legacy]).await? {
        Some(row) => Ok(Some(decode(&row)?)),
        None => Ok(None),
    }
}

pub async fn set_password_hash(db: &dyn Sql, id: &str, hash: &str, now_ms: i64) -> Result<(), AppError> {
    db.execute("UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1", &params![id, hash, now_ms])
        .await?;
    Ok(())
}

pub struct ProfileChange {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub preferences: Option<String>,
}

pub fn update_profile(id: &str, c: ProfileChange, now_ms: i64) -> Statement {
    Statement::new(
        "UPDATE users SET name = COALESCE(?2, name), timezone = COALESCE(?3, timezone), \
         locale = COALESCE(?4, locale), preferences = COALESCE(?5, preferences), updated_at = ?6 \
         WHERE id = ?1",
        params![id, c.name, c.timezone, c.locale, c.preferences, now_ms],
    )
}

/// The owner proved the address (a verification or reset link); the first proof is kept.
pub fn mark_verified(id: &str, now_ms: i64) -> Statement {
    Statement::new(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, ?2), updated_at = ?2 WHERE id = ?1",
        params![id, now_ms],
    )
}

pub fn set_password(id: &str, hash: &str, now_ms: i64) -> Statement {
    Statement::new("UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1", params![id, hash, now_ms])
}

/// A confirmed address change: the new address was proved by the link sent to it.
pub fn set_email(id: &str, email: &str, now_ms: i64) -> Statement {
    Statement::new(
        "UPDATE users SET email = ?2, email_verified_at = ?3, updated_at = ?3 WHERE id = ?1",
        params![id, email, now_ms],
    )
}

/// Removes an account that never proved its address (its verification mail could not go).
pub async fn forget_unverified(db: &dyn Sql, id: &str) -> Result<(), AppError> {
    db.execute("DELETE FROM users WHERE id = ?1 AND email_verified_at IS NULL", &params![id]).await?;
    Ok(())
}

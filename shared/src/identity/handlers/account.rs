//! Account basics (SPEC IAM-1): proving the address, resetting and changing the password, and
//! changing the address. Every token travels by mail only; the answers that anyone may ask for
//! (sign-up, forgotten password) say the same whether or not the address has an account.

use super::gone;
use crate::identity::email_tokens::{self as et, Purpose};
use crate::identity::model::*;
use crate::identity::{mails, sessions, users};
use serde_json::json;

use crate::activity;
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::mail::MailMessage;
use crate::sql::{DbError, Statement};

fn limited() -> AppError {
    AppError::RateLimited(format!("at most {} of these mails an hour: try again later", et::MAILS_PER_HOUR))
}

/// Sends a mail carrying `issued`; a token whose mail could not go is forgotten.
async fn send(ctx: &Context<'_>, issued: &et::Issued, message: MailMessage) -> Result<(), AppError> {
    if let Err(err) = ctx.mail.send(&message).await {
        et::discard(ctx, &issued.id).await?;
        return Err(err);
    }
    Ok(())
}

/// A notice carries no token and the change it reports is made: failing to send it is logged,
/// not answered.
async fn notify(ctx: &Context<'_>, message: MailMessage) {
    if let Err(err) = ctx.mail.send(&message).await {
        tracing::warn!(subject = %message.subject, %err, "a notice could not be mailed");
    }
}

/// Sign-up with a new address: the account, unverified, and its verification mail. An account
/// whose mail cannot be sent is removed, so the address stays free.
pub(super) async fn create_unverified(
    ctx: &Context<'_>,
    email: &Email,
    name: &str,
    hash: &str,
) -> Result<(), AppError> {
    let id = ctx.new_id();
    let new_user =
        users::NewUser { id: &id, email: email.as_str(), name, password_hash: hash, now_ms: ctx.clock.now_ms() };
    match ctx.db.batch(&[users::insert(&new_user)]).await {
        Ok(_) => {}
        // Lost a race with another sign-up for this address: that one's mail is on its way.
        Err(DbError::Unique(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    let issued = et::issue(ctx, &id, Purpose::Verify, email.as_str())
        .await?
        .ok_or_else(|| AppError::Internal("a new account is over its mail limit".into()))?;
    if let Err(err) = ctx.mail.send(&mails::verification(&ctx.config.app_url, email.as_str(), &issued.token)).await {
        users::forget_unverified(ctx.db, &id).await?;
        return Err(err);
    }
    Ok(())
}

/// Sign-up with an address that has an account: its owner is told, with a way back in (a
/// reset link, which also proves the address), within the account's reset mail limit.
pub(super) async fn tell_owner_of_signup(ctx: &Context<'_>, owner: &UserView) -> Result<(), AppError> {
    if let Some(issued) = et::issue(ctx, &owner.id, Purpose::Reset, &owner.email).await? {
        send(ctx, &issued, mails::already_registered(&ctx.config.app_url, &owner.email, &issued.token)).await?;
    }
    Ok(())
}

async fn me(ctx: &Context<'_>, call: &Call<'_>) -> Result<users::StoredUser, AppError> {
    users::by_id(ctx.db, &call.caller()?.user_id).await?.ok_or_else(gone)
}

pub(crate) async fn check_password(
    ctx: &Context<'_>,
    user: &users::StoredUser,
    given: &str,
    field: &str,
) -> Result<(), AppError> {
    let matches = match &user.password_hash {
        Some(stored) => ctx.hasher.verify(given, stored).await,
        None => false,
    };
    if matches {
        Ok(())
    } else {
        Err(AppError::field(field, "is not the account's current password"))
    }
}

#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth",
    request_body = TokenInput,
    responses(
        (status = 200, description = "The address is verified and the account signed in (a new session); the refresh token is also set as an HTTP-only cookie. The token is spent", body = Envelope<AuthSession>),
        (status = 400, description = "VALIDATION_ERROR: the token is invalid, expired (24 hours), already used, or was sent to an address the account no longer has", body = ErrorEnvelope),
    ))]
pub async fn verify_email(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: TokenInput = json::parse(&call.req.body)?;
    let pending = et::find(ctx, &input.token, Purpose::Verify).await?;
    let now = ctx.clock.now_ms();
    let mut issued = sessions::start(ctx, &pending.user_id, &sessions::device_of(call.req));
    let mut writes = et::spend(&pending, &ctx.new_id(), now, true).to_vec();
    writes.push(users::mark_verified(&pending.user_id, now));
    writes.push(logged(ctx, call, &pending.user_id, "email.verify", None, Some(json!({ "email": pending.email }))));
    writes.append(&mut issued.statements);
    ctx.db.batch(&writes).await.map_err(et::spend_failed)?;
    let user = users::by_id(ctx.db, &pending.user_id).await?.ok_or_else(et::invalid)?;
    Ok(sessions::with_session(ctx, 200, sessions::session(ctx, user.view, issued)?))
}

#[utoipa::path(post, path = "/api/v1/auth/resend-verification", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 202, description = "A new verification mail is on its way to the caller's address (earlier links stay valid until they expire)", body = Envelope<MailAccepted>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the address is already verified", body = ErrorEnvelope),
        (status = 429, description = "RATE_LIMITED: at most 3 verification mails an hour per account", body = ErrorEnvelope),
        (status = 502, description = "EXTERNAL_API_ERROR: the mail provider failed", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: no mail provider is configured", body = ErrorEnvelope),
    ))]
pub async fn resend_verification(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let user = me(ctx, call).await?.view;
    if user.email_verified {
        return Err(AppError::Conflict("this address is already verified".into()));
    }
    let issued = et::issue(ctx, &user.id, Purpose::Verify, &user.email).await?.ok_or_else(limited)?;
    send(ctx, &issued, mails::verification(&ctx.config.app_url, &user.email, &issued.token)).await?;
    Ok(json::ok(202, MailAccepted { email: user.email }))
}

#[utoipa::path(post, path = "/api/v1/auth/forgot-password", tag = "auth",
    request_body = ForgotPasswordInput,
    responses(
        (status = 202, description = "The same answer whether or not the address has an account. If it has, a reset link valid one hour is mailed to it, at most 3 an hour per account (past that, silently none)", body = Envelope<MailAccepted>),
        (status = 400, description = "VALIDATION_ERROR: not an email address", body = ErrorEnvelope),
        (status = 502, description = "EXTERNAL_API_ERROR: the mail provider failed", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: no mail provider is configured", body = ErrorEnvelope),
    ))]
pub async fn forgot_password(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ForgotPasswordInput = json::parse(&call.req.body)?;
    let email = Email::parse(&input.email).map_err(|m| AppError::field("email", m))?;
    if let Some(user) = users::by_email(ctx.db, &email).await? {
        if let Some(issued) = et::issue(ctx, &user.view.id, Purpose::Reset, &user.view.email).await? {
            send(ctx, &issued, mails::reset(&ctx.config.app_url, &user.view.email, &issued.token)).await?;
        }
    }
    let message = "If this address has an account, a link to choose a new password is on its way.".to_string();
    Ok(json::ok_with_message(202, MailAccepted { email: email.as_str().to_string() }, Some(message)))
}

#[utoipa::path(post, path = "/api/v1/auth/reset-password", tag = "auth",
    request_body = ResetPasswordInput,
    responses(
        (status = 200, description = "The password is replaced, the address counts as verified (the link proved it), every session of the account is revoked and the refresh cookie cleared; sign in again. The token and every other reset link of the account are spent", body = Envelope<PasswordUpdated>),
        (status = 400, description = "VALIDATION_ERROR: a weak newPassword, or the token is invalid, expired (one hour), already used, or was sent to an address the account no longer has", body = ErrorEnvelope),
    ))]
pub async fn reset_password(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ResetPasswordInput = json::parse(&call.req.body)?;
    let password = Password::parse(&input.new_password).map_err(|m| AppError::field("newPassword", m))?;
    let pending = et::find(ctx, &input.token, Purpose::Reset).await?;
    let salt: [u8; 16] = ctx.random.bytes();
    let hash = ctx.hasher.hash(password.as_str(), &salt).await?;
    let now = ctx.clock.now_ms();
    let mut writes = et::spend(&pending, &ctx.new_id(), now, true).to_vec();
    writes.extend([
        users::set_password(&pending.user_id, &hash, now),
        users::mark_verified(&pending.user_id, now),
        sessions::revoke_all(&pending.user_id, None, now),
        et::spend_all(&pending.user_id, Purpose::Reset, now),
        logged(ctx, call, &pending.user_id, "password.reset", None, None),
    ]);
    ctx.db.batch(&writes).await.map_err(et::spend_failed)?;
    notify(ctx, mails::password_changed(&pending.email)).await;
    Ok(json::ok(200, PasswordUpdated { password_updated: true }).with_header("set-cookie", sessions::clear_cookie()))
}

#[utoipa::path(post, path = "/api/v1/users/me/password", tag = "users", security(("bearer" = [])),
    request_body = ChangePasswordInput,
    responses(
        (status = 200, description = "The password is replaced; every other session is revoked (the caller's stays) and any reset link still out is spent. A notice goes to the account's address", body = Envelope<PasswordUpdated>),
        (status = 400, description = "VALIDATION_ERROR: currentPassword is wrong, or newPassword is weak", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn change_password(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ChangePasswordInput = json::parse(&call.req.body)?;
    let password = Password::parse(&input.new_password).map_err(|m| AppError::field("newPassword", m))?;
    let user = me(ctx, call).await?;
    check_password(ctx, &user, &input.current_password, "currentPassword").await?;
    let salt: [u8; 16] = ctx.random.bytes();
    let hash = ctx.hasher.hash(password.as_str(), &salt).await?;
    let now = ctx.clock.now_ms();
    let id = user.view.id.as_str();
    let keep = call.caller()?.session_id.as_deref();
    ctx.db
        .batch(&[
            users::set_password(id, &hash, now),
            sessions::revoke_all(id, keep, now),
            et::spend_all(id, Purpose::Reset, now),
            logged(ctx, call, id, "password.change", None, None),
        ])
        .await?;
    notify(ctx, mails::password_changed(&user.view.email)).await;
    Ok(json::ok(200, PasswordUpdated { password_updated: true }))
}

#[utoipa::path(post, path = "/api/v1/users/me/email", tag = "users", security(("bearer" = [])),
    request_body = ChangeEmailInput,
    responses(
        (status = 202, description = "A confirmation link (24 hours) is mailed to the new address; the address changes only when it is followed (POST /api/v1/auth/confirm-email), and the old address is then told. The same answer when the new address already has an account, which gets no mail", body = Envelope<MailAccepted>),
        (status = 400, description = "VALIDATION_ERROR: password is wrong, or newEmail is invalid or already the caller's", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
        (status = 429, description = "RATE_LIMITED: at most 3 address changes asked an hour per account", body = ErrorEnvelope),
        (status = 502, description = "EXTERNAL_API_ERROR: the mail provider failed", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: no mail provider is configured", body = ErrorEnvelope),
    ))]
pub async fn change_email(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: ChangeEmailInput = json::parse(&call.req.body)?;
    let new_email = Email::parse(&input.new_email).map_err(|m| AppError::field("newEmail", m))?;
    let user = me(ctx, call).await?;
    check_password(ctx, &user, &input.password, "password").await?;
    if new_email.as_str() == user.view.email {
        return Err(AppError::field("newEmail", "is already the account's address"));
    }
    let taken = users::by_email(ctx.db, &new_email).await?.is_some();
    // Counted even when taken, so that asking again and again is limited the same way.
    let issued = et::issue(ctx, &user.view.id, Purpose::EmailChange, new_email.as_str()).await?.ok_or_else(limited)?;
    if !taken {
        send(ctx, &issued, mails::confirm_new_address(&ctx.config.app_url, new_email.as_str(), &issued.token)).await?;
    }
    let message = "Follow the link sent to the new address to switch to it.".to_string();
    Ok(json::ok_with_message(202, MailAccepted { email: new_email.as_str().to_string() }, Some(message)))
}

#[utoipa::path(post, path = "/api/v1/auth/confirm-email", tag = "auth",
    request_body = TokenInput,
    responses(
        (status = 200, description = "The account now uses the new address, verified; a notice went to the old one. The token is spent", body = Envelope<UserView>),
        (status = 400, description = "VALIDATION_ERROR: the token is invalid, expired (24 hours) or already used", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: the new address has meanwhile become another account's", body = ErrorEnvelope),
    ))]
pub async fn confirm_email(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: TokenInput = json::parse(&call.req.body)?;
    let pending = et::find(ctx, &input.token, Purpose::EmailChange).await?;
    let before = users::by_id(ctx.db, &pending.user_id).await?.ok_or_else(et::invalid)?;
    let now = ctx.clock.now_ms();
    let mut writes = et::spend(&pending, &ctx.new_id(), now, false).to_vec();
    writes.push(users::set_email(&pending.user_id, &pending.email, now));
    let (was, becomes) = (json!({ "email": before.view.email }), json!({ "email": pending.email }));
    writes.push(logged(ctx, call, &pending.user_id, "email.change", Some(was), Some(becomes)));
    ctx.db.batch(&writes).await.map_err(|e| match e {
        DbError::Unique(_) => AppError::Conflict("this address now belongs to another account".into()),
        other => et::spend_failed(other),
    })?;
    notify(ctx, mails::address_changed(&before.view.email, &pending.email)).await;
    let user = users::by_id(ctx.db, &pending.user_id).await?.ok_or_else(et::invalid)?;
    Ok(json::ok(200, user.view))
}

/// The account-log entry of a change to the account, to run in the change's batch.
fn logged(
    ctx: &Context<'_>,
    call: &Call<'_>,
    user_id: &str,
    action: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Statement {
    activity::record_account(ctx, call, user_id, activity::AccountChange { action, before, after })
}

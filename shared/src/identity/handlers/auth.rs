//! Signing up, in and out, and the profile.

use super::gone;
use serde_json::Value as Json;

use super::account;
use crate::activity;
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope};
use crate::identity::model::*;
use crate::identity::{sessions, users};
use crate::validate::{self, Fields};

const PREFERENCES_MAX_BYTES: usize = 16 * 1024;

#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth",
    request_body = SignupInput,
    responses(
        (status = 201, description = "Only when REQUIRE_EMAIL_VERIFICATION is off: account created and signed in; the refresh token is also set as an HTTP-only cookie", body = Envelope<AuthSession>),
        (status = 202, description = "Verification on (the default): the same answer whether the address is new or already has an account. A new account gets a verification mail (POST /api/v1/auth/verify-email signs it in); the owner of an existing one gets a mail saying so, with a password reset link. No token is returned", body = Envelope<SignupPending>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 409, description = "CONFLICT: only with verification off, the email is taken", body = ErrorEnvelope),
        (status = 413, description = "PAYLOAD_TOO_LARGE", body = ErrorEnvelope),
        (status = 502, description = "EXTERNAL_API_ERROR: the mail provider failed (nothing is kept)", body = ErrorEnvelope),
        (status = 503, description = "SERVICE_UNAVAILABLE: verification is on and no mail provider is configured", body = ErrorEnvelope),
    ))]
pub async fn signup(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: SignupInput = json::parse(&call.req.body)?;
    let mut f = Fields::default();
    let email = f.take("email", Email::parse(&input.email));
    let password = f.take("password", Password::parse(&input.password));
    let name = f.take("name", validate::name(&input.name));
    let (Some(email), Some(password), Some(name)) = (email, password, name) else {
        return Err(f.error());
    };
    // Hashed whether or not the address is taken, so timing does not tell which it was.
    let salt: [u8; 16] = ctx.random.bytes();
    let hash = ctx.hasher.hash(password.as_str(), &salt).await?;
    let existing = users::by_email(ctx.db, &email).await?;
    if !ctx.config.require_email_verification {
        if existing.is_some() {
            return Err(AppError::Conflict("an account with this email already exists".into()));
        }
        let id = ctx.new_id();
        let mut issued = sessions::start(ctx, &id, &sessions::device_of(call.req));
        let new_user = users::NewUser {
            id: &id,
            email: email.as_str(),
            name: &name,
            password_hash: &hash,
            now_ms: ctx.clock.now_ms(),
        };
        let mut writes = vec![users::insert(&new_user)];
        writes.append(&mut issued.statements);
        ctx.db.batch(&writes).await.map_err(|e| match AppError::from(e) {
            // Lost a race with another signup for the same address.
            AppError::Conflict(_) => AppError::Conflict("an account with this email already exists".into()),
            other => other,
        })?;
        let user = users::by_id(ctx.db, &id).await?.ok_or_else(|| AppError::Internal("new user vanished".into()))?;
        return Ok(sessions::with_session(ctx, 201, sessions::session(ctx, user.view, issued)?));
    }
    match existing {
        Some(owner) => account::tell_owner_of_signup(ctx, &owner.view).await?,
        None => account::create_unverified(ctx, &email, &name, &hash).await?,
    }
    let pending = SignupPending { email: email.as_str().to_string(), verification_required: true };
    let message = "Check your mail: we sent a link to finish signing up.".to_string();
    Ok(json::ok_with_message(202, pending, Some(message)))
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in, in a new session named after the User-Agent. An account whose address is not verified yet signs in too (user.emailVerified is false): it cannot accept invitations or be attached to a client until it is", body = Envelope<AuthSession>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED: wrong email or password", body = ErrorEnvelope),
    ))]
pub async fn login(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: LoginInput = json::parse(&call.req.body)?;
    let refused = || AppError::Unauthorized("invalid email or password".into());
    let email = Email::parse(&input.email).map_err(|_| refused())?;
    let user = users::by_email(ctx.db, &email).await?;
    let Some((user, stored)) = user.and_then(|u| u.password_hash.clone().map(|h| (u, h))) else {
        // Spend the same effort as a real check, so timing does not reveal which emails exist.
        let _ = ctx.hasher.hash(&input.password, &[0u8; 16]).await;
        return Err(refused());
    };
    if !ctx.hasher.verify(&input.password, &stored).await {
        return Err(refused());
    }
    if ctx.hasher.needs_rehash(&stored) {
        let salt: [u8; 16] = ctx.random.bytes();
        let upgraded = ctx.hasher.hash(&input.password, &salt).await?;
        users::set_password_hash(ctx.db, &user.view.id, &upgraded, ctx.clock.now_ms()).await?;
    }
    let issued = sessions::start(ctx, &user.view.id, &sessions::device_of(call.req));
    ctx.db.batch(&issued.statements).await?;
    Ok(sessions::with_session(ctx, 200, sessions::session(ctx, user.view, issued)?))
}

fn refresh_token_of(call: &Call<'_>) -> Result<Option<String>, AppError> {
    let body_token = json::parse_optional::<RefreshInput>(&call.req.body)?.refresh_token;
    Ok(body_token.or_else(|| call.req.cookie(sessions::COOKIE).map(str::to_string)).filter(|t| !t.is_empty()))
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body(content = Option<RefreshInput>, description = "Optional when the refresh cookie is sent"),
    responses(
        (status = 200, description = "A new access token and a new refresh token; the presented one is spent", body = Envelope<AuthSession>),
        (status = 401, description = "UNAUTHORIZED: unknown, expired or spent token (a spent one revokes its whole family)", body = ErrorEnvelope),
    ))]
pub async fn refresh(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let token = refresh_token_of(call)?.ok_or_else(|| AppError::Unauthorized("a refresh token is required".into()))?;
    let old = sessions::spendable(ctx, &token).await?;
    let user = users::by_id(ctx.db, &old.user_id)
        .await?
        .ok_or_else(|| AppError::Unauthorized("account no longer exists".into()))?;
    let issued = sessions::rotate(ctx, &old.user_id, &old.family_id);
    // The old token is spent and its successor stored in one batch: never one without the other.
    sessions::spend_and_rotate(ctx, &old, &issued).await?;
    Ok(sessions::with_session(ctx, 200, sessions::session(ctx, user.view, issued)?))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body(content = Option<RefreshInput>, description = "Optional when the refresh cookie is sent"),
    responses(
        (status = 200, description = "The session's refresh tokens are revoked and the cookie cleared", body = Envelope<LoggedOut>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
    ))]
pub async fn logout(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    if let Some(token) = refresh_token_of(call)? {
        sessions::revoke_by_token(ctx, &token).await?;
    }
    Ok(json::ok(200, LoggedOut { logged_out: true }).with_header("set-cookie", sessions::clear_cookie()))
}

#[utoipa::path(get, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's profile", body = Envelope<UserView>),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn get_me(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let user = users::by_id(ctx.db, &call.caller()?.user_id).await?.ok_or_else(gone)?;
    Ok(json::ok(200, user.view))
}

#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users", security(("bearer" = [])),
    request_body = UpdateMeInput,
    responses(
        (status = 200, description = "The updated profile", body = Envelope<UserView>),
        (status = 400, description = "VALIDATION_ERROR", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHORIZED", body = ErrorEnvelope),
    ))]
pub async fn update_me(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: UpdateMeInput = json::parse(&call.req.body)?;
    let user_id = &call.caller()?.user_id;
    let mut f = Fields::default();
    let name = f.take_opt("name", input.name, |n| validate::name(&n));
    let timezone = f.take_opt("timezone", input.timezone, |t| validate::timezone(&t));
    let locale = f.take_opt("locale", input.locale, |l| validate::locale(&l));
    let patch = f.take_opt("preferences", input.preferences, |p| validate::object(p, PREFERENCES_MAX_BYTES));
    if !f.is_ok() {
        return Err(f.error());
    }
    let current = users::by_id(ctx.db, user_id).await?.ok_or_else(gone)?;
    let preferences = match patch {
        Some(patch) => {
            let mut merged = current.view.preferences.clone();
            validate::merge_patch(&mut merged, patch);
            let text = serde_json::to_string(&Json::Object(merged)).map_err(|e| AppError::Internal(e.to_string()))?;
            if text.len() > PREFERENCES_MAX_BYTES {
                return Err(AppError::field(
                    "preferences",
                    format!("must be at most {PREFERENCES_MAX_BYTES} bytes of JSON"),
                ));
            }
            Some(text)
        }
        None => None,
    };
    let change = users::ProfileChange { name, timezone, locale, preferences };
    let logged = profile_change(&current.view, &change);
    let mut writes = vec![users::update_profile(user_id, change, ctx.clock.now_ms())];
    if let Some((before, after)) = logged {
        let entry = activity::AccountChange { action: "profile.update", before: Some(before), after: Some(after) };
        writes.push(activity::record_account(ctx, call, user_id, entry));
    }
    ctx.db.batch(&writes).await?;
    let user = users::by_id(ctx.db, user_id).await?.ok_or_else(gone)?;
    Ok(json::ok(200, user.view))
}

/// The fields `change` really changes, as they were and as they become; none when it changes
/// nothing (an edit that sets what is already there is not logged).
fn profile_change(current: &UserView, change: &users::ProfileChange) -> Option<(Json, Json)> {
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    let mut compare = |field: &str, was: Json, becomes: Option<Json>| {
        if let Some(becomes) = becomes.filter(|b| *b != was) {
            before.insert(field.to_string(), was);
            after.insert(field.to_string(), becomes);
        }
    };
    compare("name", Json::from(current.name.clone()), change.name.clone().map(Json::from));
    compare("timezone", Json::from(current.timezone.clone()), change.timezone.clone().map(Json::from));
    compare("locale", Json::from(current.locale.clone()), change.locale.clone().map(Json::from));
    let preferences = change.preferences.as_deref().and_then(|p| serde_json::from_str::<Json>(p).ok());
    compare("preferences", Json::Object(current.preferences.clone()), preferences);
    (!after.is_empty()).then(|| (Json::Object(before), Json::Object(after)))
}

//! The Cloudflare Worker: one Worker serves every route. This file only translates between
//! workerd and the domain; the adapters of the ports live beside it.

mod d1;
mod platform;

use herald::identity::password::{Argon2Hasher, HashProfile};
use herald::mail::{DevMailbox, HttpMail, Mail, NoMail};
use herald::ports::{Config, Environment};
use worker::{event, Env, Headers, Request, Response, Result};

use crate::d1::D1Sql;
use crate::platform::{FetchHttp, JsClock, JsRandom};

#[event(start)]
fn start() {
    use tracing_subscriber::prelude::*;
    let fmt_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .without_time()
        .with_writer(tracing_web::MakeConsoleWriter);
    let _ = tracing_subscriber::registry().with(fmt_layer).try_init();
}

fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name)
        .ok()
        .map(|v| v.to_string())
        .filter(|v| !v.is_empty())
}

fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .ok()
        .map(|v| v.to_string())
        .or_else(|| var(env, name))
        .filter(|v| !v.is_empty())
}

/// Reads settings and secrets; `None` when the Worker cannot run safely (no JWT key).
fn config(env: &Env) -> Option<Config> {
    let environment = Environment::parse(&var(env, "ENVIRONMENT").unwrap_or_default());
    let jwt_secret = secret(env, "JWT_SECRET").filter(|s| s.len() >= 32)?;
    let mut config = Config::new(environment, jwt_secret.into_bytes());
    if let Some(origins) = var(env, "ALLOWED_ORIGINS") {
        config.allowed_origins = origins
            .split(',')
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect();
    }
    if let Some(url) = var(env, "APP_URL") {
        config.app_url = url;
    }
    Some(config)
}

fn misconfigured() -> Result<Response> {
    tracing::error!("JWT_SECRET is missing or shorter than 32 bytes");
    let body = br#"{"success":false,"error":"the server is not configured","code":"SERVICE_UNAVAILABLE","requestId":"none"}"#;
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    Ok(Response::from_bytes(body.to_vec())?
        .with_status(503)
        .with_headers(headers))
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: worker::Context) -> Result<Response> {
    let Some(config) = config(&env) else {
        return misconfigured();
    };
    let db = D1Sql::new(env.d1("DB")?);
    let profile = var(&env, "PASSWORD_HASH_PROFILE")
        .and_then(|p| HashProfile::parse(&p))
        .unwrap_or(HashProfile::FreePlan);
    let hasher = Argon2Hasher::new(profile);
    let http = FetchHttp;
    let catcher = DevMailbox {
        db: &db,
        clock: &JsClock,
        random: &JsRandom,
    };
    let provider = secret(&env, "MAIL_API_KEY").map(|api_key| HttpMail {
        http: &http,
        base_url: var(&env, "MAIL_API_URL").unwrap_or_else(|| "https://api.resend.com".into()),
        api_key,
        from: var(&env, "MAIL_FROM").unwrap_or_else(|| "Herald <no-reply@herald.invalid>".into()),
    });
    let mail: &dyn Mail = match (&provider, config.environment) {
        (Some(p), _) => p,
        (None, Environment::Development) => &catcher,
        (None, _) => &NoMail,
    };
    let ctx = herald::Context {
        db: &db,
        clock: &JsClock,
        random: &JsRandom,
        hasher: &hasher,
        mail,
        config: &config,
    };

    let url = req.url()?;
    let mut domain = herald::Request::new(req.method().as_ref(), url.path());
    domain.query = url.query().unwrap_or_default().to_string();
    domain.headers = req.headers().entries().collect();
    // A body declared too large is not read at all; the domain answers 413 from the header.
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|l| l.parse::<usize>().ok());
    if declared.is_none_or(|l| l <= config.max_body_bytes) {
        domain.body = req.bytes().await.unwrap_or_default();
    }

    let answer = herald::handle(&ctx, domain).await;
    let headers = Headers::new();
    for (k, v) in &answer.headers {
        headers.append(k, v)?;
    }
    Ok(Response::from_bytes(answer.body)?
        .with_status(answer.status)
        .with_headers(headers))
}

//! Authentication and authorization, done once for every route from the route table:
//! handlers receive a caller who is known and allowed (SPEC IAM-9, IAM-10).

use crate::api::route::{Access, Params, Route};
use crate::api::{Call, Caller, Context, Request};
use crate::error::AppError;
use crate::identity::tokens;
use crate::sql::Scope;

pub async fn authorize<'r>(
    ctx: &Context<'_>,
    req: &'r Request,
    route: &'static Route,
    params: Params,
) -> Result<Call<'r>, AppError> {
    let mut call = Call { req, route, params, caller: None, member: std::sync::OnceLock::new() };
    match route.access {
        Access::Public | Access::Development => {}
        Access::Scheduler => {
            let expected = ctx.config.tick_secret.as_deref().unwrap_or_default();
            let given = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or_default();
            if expected.is_empty() || !crate::api::constant_time_eq(expected.as_bytes(), given.trim().as_bytes()) {
                return Err(AppError::Unauthorized("a valid scheduler token is required".into()));
            }
        }
        Access::User => {
            let caller = authenticate(ctx, req)?;
            ctx.db.set_scope(Scope { user_id: Some(caller.user_id.clone()), ..Scope::default() });
            call.caller = Some(caller);
        }
        Access::Workspace(_) => {
            let caller = authenticate(ctx, req)?;
            let workspace_id = call.params.get("workspaceId")?.to_string();
            ctx.db.set_scope(Scope {
                user_id: Some(caller.user_id.clone()),
                workspace_id: Some(workspace_id.clone()),
                ..Scope::default()
            });
            call.caller = Some(caller);
            // A route that folds the check into its handler's reads admits the caller there
            // (`Call::admit`), in the same round trip as its data.
            if !route.folds_membership {
                admit(ctx, &call).await?;
            }
        }
    }
    Ok(call)
}

/// The membership check on its own round trip: the caller as a member of the route's workspace
/// with the route's permission (404 for a workspace they are not in, 403 for a role without
/// it), made the call's member. Also what a folding POST takes before its Idempotency-Key is
/// reserved or replayed: a stored answer goes only to a caller who is still a member.
pub(super) async fn admit(ctx: &Context<'_>, call: &Call<'_>) -> Result<(), AppError> {
    if !matches!(call.route.access, Access::Workspace(_)) || call.member.get().is_some() {
        return Ok(());
    }
    // The same read and the same checks as a route that folds them (`Call::admit`).
    let read = call.membership_read()?;
    call.admit(&ctx.db.query(&read.sql, &read.params).await?)?;
    Ok(())
}

pub(super) fn authenticate(ctx: &Context<'_>, req: &Request) -> Result<Caller, AppError> {
    let header = req.header("authorization").ok_or_else(|| AppError::Unauthorized("authentication required".into()))?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| AppError::Unauthorized("expected a Bearer token".into()))?;
    let claims = tokens::verify_access_claims(&ctx.config.jwt_secret, token.trim(), ctx.clock.now_ms())?;
    Ok(Caller { user_id: claims.sub, session_id: claims.sid })
}

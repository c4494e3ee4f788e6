//! From a matched route to its handler.

use super::access::Call;
use super::routes::RouteId::*;
use super::{openapi, Context, Response};
use crate::error::AppError;
use crate::{health, identity, mail, maintenance, workspaces};

pub async fn dispatch(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    match call.route.id {
        Health => health::health(ctx, call).await,
        OpenApi => Ok(openapi::serve()),
        Signup => identity::api::signup(ctx, call).await,
        Login => identity::api::login(ctx, call).await,
        Refresh => identity::api::refresh(ctx, call).await,
        Logout => identity::api::logout(ctx, call).await,
        GetMe => identity::api::get_me(ctx, call).await,
        UpdateMe => identity::api::update_me(ctx, call).await,
        ListWorkspaces => workspaces::api::list(ctx, call).await,
        CreateWorkspace => workspaces::api::create(ctx, call).await,
        GetWorkspace => workspaces::api::get(ctx, call).await,
        UpdateWorkspace => workspaces::api::update(ctx, call).await,
        ArchiveWorkspace => workspaces::api::archive(ctx, call).await,
        ListMembers => workspaces::api::list_members(ctx, call).await,
        UpdateMember => workspaces::api::update_member(ctx, call).await,
        RemoveMember => workspaces::api::remove_member(ctx, call).await,
        CreateInvite => workspaces::api::invite(ctx, call).await,
        AcceptInvite => workspaces::api::accept_invite(ctx, call).await,
        DevMailbox => mail::mailbox(ctx, call).await,
        Tick => maintenance::tick_route(ctx, call).await,
    }
}

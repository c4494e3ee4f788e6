//! From a matched route to its handler.

use super::access::Call;
use super::routes::RouteId::*;
use super::{openapi, Context, Response};
use crate::error::AppError;
use crate::{activity, agency, content, health, identity, mail, maintenance, workspaces};

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
        ActivityList => activity::list(ctx, call).await,
        ListClients => agency::clients::list(ctx, call).await,
        CreateClient => agency::clients::create(ctx, call).await,
        GetClient => agency::clients::get(ctx, call).await,
        UpdateClient => agency::clients::update(ctx, call).await,
        ArchiveClient => agency::clients::archive(ctx, call).await,
        AttachClientMember => agency::clients::attach(ctx, call).await,
        DetachClientMember => agency::clients::detach(ctx, call).await,
        ListPersonas => agency::personas::list(ctx, call).await,
        CreatePersona => agency::personas::create(ctx, call).await,
        GetPersona => agency::personas::get(ctx, call).await,
        UpdatePersona => agency::personas::update(ctx, call).await,
        DeletePersona => agency::personas::delete(ctx, call).await,
        ListCampaigns => agency::campaigns::list(ctx, call).await,
        CreateCampaign => agency::campaigns::create(ctx, call).await,
        GetCampaign => agency::campaigns::get(ctx, call).await,
        UpdateCampaign => agency::campaigns::update(ctx, call).await,
        ArchiveCampaign => agency::campaigns::archive(ctx, call).await,
        ListPosts => content::posts_api::list(ctx, call).await,
        CreatePost => content::posts_api::create(ctx, call).await,
        GetPost => content::posts_api::get(ctx, call).await,
        UpdatePost => content::posts_api::update(ctx, call).await,
        DeletePost => content::posts_api::delete(ctx, call).await,
        ArchivePost => content::posts_api::archive(ctx, call).await,
        UnarchivePost => content::posts_api::unarchive(ctx, call).await,
        ListVersions => content::versions::list(ctx, call).await,
        DiffVersions => content::versions::compare(ctx, call).await,
        GetVersion => content::versions::get(ctx, call).await,
        RestoreVersion => content::versions::restore(ctx, call).await,
    }
}

//! The route table: every endpoint, its path under `/api/v1` (SPEC PL-3) and what a caller
//! needs to reach it (SPEC IAM-9). The OpenAPI test checks this table against the document.

use crate::api::permissions::Permission;
pub use crate::api::route::{is_id, Access, Params, Route, RouteId};
use crate::error::AppError;
use crate::ports::{Config, Environment};

const fn r(method: &'static str, path: &'static str, id: RouteId, access: Access) -> Route {
    Route { method, path, id, access }
}

use Access::*;
use Permission as P;
use RouteId::*;

pub const ROUTES: &[Route] = &[
    r("GET", "/health", Health, Public),
    r("GET", "/api/v1/openapi.json", OpenApi, Public),
    r("POST", "/api/v1/auth/signup", Signup, Public),
    r("POST", "/api/v1/auth/login", Login, Public),
    r("POST", "/api/v1/auth/refresh", Refresh, Public),
    r("POST", "/api/v1/auth/logout", Logout, Public),
    r("GET", "/api/v1/users/me", GetMe, User),
    r("PATCH", "/api/v1/users/me", UpdateMe, User),
    // Account basics: the tokens come by mail and are the credential of the public ones.
    r("POST", "/api/v1/auth/verify-email", VerifyEmail, Public),
    r("POST", "/api/v1/auth/resend-verification", ResendVerification, User),
    r("POST", "/api/v1/auth/forgot-password", ForgotPassword, Public),
    r("POST", "/api/v1/auth/reset-password", ResetPassword, Public),
    r("POST", "/api/v1/auth/confirm-email", ConfirmEmail, Public),
    r("POST", "/api/v1/users/me/password", ChangePassword, User),
    r("POST", "/api/v1/users/me/email", ChangeEmail, User),
    r("GET", "/api/v1/users/me/sessions", ListSessions, User),
    r("DELETE", "/api/v1/users/me/sessions", RevokeSessions, User),
    r("DELETE", "/api/v1/users/me/sessions/{sessionId}", RevokeSession, User),
    r("GET", "/api/v1/users/me/activity", ListAccountActivity, User),
    r("GET", "/api/v1/workspaces", ListWorkspaces, User),
    r("POST", "/api/v1/workspaces", CreateWorkspace, User),
    r("GET", "/api/v1/workspaces/{workspaceId}", GetWorkspace, Workspace(P::WorkspaceRead)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}", UpdateWorkspace, Workspace(P::WorkspaceUpdate)),
    r("DELETE", "/api/v1/workspaces/{workspaceId}", ArchiveWorkspace, Workspace(P::WorkspaceArchive)),
    r("GET", "/api/v1/workspaces/{workspaceId}/members", ListMembers, Workspace(P::MembersRead)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}/members/{userId}", UpdateMember, Workspace(P::MembersManage)),
    // Leaving is always allowed; removing someone else is checked by the use case.
    r("DELETE", "/api/v1/workspaces/{workspaceId}/members/{userId}", RemoveMember, Workspace(P::WorkspaceRead)),
    r("GET", "/api/v1/workspaces/{workspaceId}/invites", ListInvites, Workspace(P::MembersInvite)),
    r("POST", "/api/v1/workspaces/{workspaceId}/invites", CreateInvite, Workspace(P::MembersInvite)),
    r("DELETE", "/api/v1/workspaces/{workspaceId}/invites/{inviteId}", RevokeInvite, Workspace(P::MembersInvite)),
    r("POST", "/api/v1/workspaces/{workspaceId}/invites/{inviteId}/resend", ResendInvite, Workspace(P::MembersInvite)),
    r("POST", "/api/v1/invites/accept", AcceptInvite, User),
    r("GET", "/api/v1/dev/mailbox", DevMailbox, Development),
    r("POST", "/api/v1/internal/tick", Tick, Scheduler),
    r("GET", "/api/v1/workspaces/{workspaceId}/activity", ActivityList, Workspace(P::ActivityRead)),
    r("GET", "/api/v1/workspaces/{workspaceId}/clients", ListClients, Workspace(P::ClientsRead)),
    r("POST", "/api/v1/workspaces/{workspaceId}/clients", CreateClient, Workspace(P::ClientsManage)),
    r("GET", "/api/v1/workspaces/{workspaceId}/clients/{clientId}", GetClient, Workspace(P::ClientsRead)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}/clients/{clientId}", UpdateClient, Workspace(P::ClientsManage)),
    r("DELETE", "/api/v1/workspaces/{workspaceId}/clients/{clientId}", ArchiveClient, Workspace(P::ClientsManage)),
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/clients/{clientId}/members",
        AttachClientMember,
        Workspace(P::ClientsManage),
    ),
    r(
        "DELETE",
        "/api/v1/workspaces/{workspaceId}/clients/{clientId}/members/{userId}",
        DetachClientMember,
        Workspace(P::ClientsManage),
    ),
    r("GET", "/api/v1/workspaces/{workspaceId}/personas", ListPersonas, Workspace(P::PersonasRead)),
    r("POST", "/api/v1/workspaces/{workspaceId}/personas", CreatePersona, Workspace(P::PersonasManage)),
    r("GET", "/api/v1/workspaces/{workspaceId}/personas/{personaId}", GetPersona, Workspace(P::PersonasRead)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}/personas/{personaId}", UpdatePersona, Workspace(P::PersonasManage)),
    r("DELETE", "/api/v1/workspaces/{workspaceId}/personas/{personaId}", DeletePersona, Workspace(P::PersonasManage)),
    r("GET", "/api/v1/workspaces/{workspaceId}/campaigns", ListCampaigns, Workspace(P::CampaignsRead)),
    r("POST", "/api/v1/workspaces/{workspaceId}/campaigns", CreateCampaign, Workspace(P::CampaignsWrite)),
    r("GET", "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", GetCampaign, Workspace(P::CampaignsRead)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", UpdateCampaign, Workspace(P::CampaignsWrite)),
    r(
        "DELETE",
        "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}",
        ArchiveCampaign,
        Workspace(P::CampaignsArchive),
    ),
    r("GET", "/api/v1/workspaces/{workspaceId}/posts", ListPosts, Workspace(P::PostsRead)),
    r("POST", "/api/v1/workspaces/{workspaceId}/posts", CreatePost, Workspace(P::PostsWrite)),
    r("POST", "/api/v1/workspaces/{workspaceId}/posts/import", ImportPosts, Workspace(P::PostsWrite)),
    r("GET", "/api/v1/workspaces/{workspaceId}/posts/{postId}", GetPost, Workspace(P::PostsRead)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}/posts/{postId}", UpdatePost, Workspace(P::PostsWrite)),
    r("DELETE", "/api/v1/workspaces/{workspaceId}/posts/{postId}", DeletePost, Workspace(P::PostsDelete)),
    r("POST", "/api/v1/workspaces/{workspaceId}/posts/{postId}/archive", ArchivePost, Workspace(P::PostsDelete)),
    r("POST", "/api/v1/workspaces/{workspaceId}/posts/{postId}/unarchive", UnarchivePost, Workspace(P::PostsDelete)),
    r("GET", "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions", ListVersions, Workspace(P::PostsRead)),
    r("GET", "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/diff", DiffVersions, Workspace(P::PostsRead)),
    r("GET", "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}", GetVersion, Workspace(P::PostsRead)),
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}/restore",
        RestoreVersion,
        Workspace(P::PostsWrite),
    ),
    r("GET", "/api/v1/workspaces/{workspaceId}/media", ListMedia, Workspace(P::MediaRead)),
    r("POST", "/api/v1/workspaces/{workspaceId}/media/uploads", CreateMediaUpload, Workspace(P::MediaWrite)),
    r("GET", "/api/v1/workspaces/{workspaceId}/media/{mediaId}", GetMedia, Workspace(P::MediaRead)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}/media/{mediaId}", UpdateMedia, Workspace(P::MediaWrite)),
    r("DELETE", "/api/v1/workspaces/{workspaceId}/media/{mediaId}", DeleteMedia, Workspace(P::MediaWrite)),
    r("POST", "/api/v1/workspaces/{workspaceId}/media/{mediaId}/complete", CompleteMedia, Workspace(P::MediaWrite)),
    // The body is the file: not JSON, and not bound by max_body_bytes (see media::streams_body).
    r("PUT", "/api/v1/workspaces/{workspaceId}/media/{mediaId}/content", PutMediaContent, Workspace(P::MediaWrite)),
    r("GET", "/api/v1/workspaces/{workspaceId}/media/{mediaId}/content", GetMediaContent, Workspace(P::MediaRead)),
    // Signed for the platforms that pull media by URL (media::links).
    r("GET", "/api/v1/media-links/{workspaceId}/{mediaId}", MediaLink, Public),
    r("GET", "/api/v1/workspaces/{workspaceId}/media/{mediaId}/usage", GetMediaUsage, Workspace(P::MediaRead)),
    r("GET", "/api/v1/workspaces/{workspaceId}/templates", ListTemplates, Workspace(P::TemplatesRead)),
    r("POST", "/api/v1/workspaces/{workspaceId}/templates", CreateTemplate, Workspace(P::TemplatesWrite)),
    r("GET", "/api/v1/workspaces/{workspaceId}/templates/{templateId}", GetTemplate, Workspace(P::TemplatesRead)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}/templates/{templateId}", UpdateTemplate, Workspace(P::TemplatesWrite)),
    r(
        "DELETE",
        "/api/v1/workspaces/{workspaceId}/templates/{templateId}",
        ArchiveTemplate,
        Workspace(P::TemplatesWrite),
    ),
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/templates/{templateId}/render",
        RenderTemplate,
        Workspace(P::TemplatesRead),
    ),
    // Renders a post's content for POST /posts, so it asks what writing that post asks.
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/templates/{templateId}/posts",
        TemplateToPost,
        Workspace(P::PostsWrite),
    ),
    r("GET", "/api/v1/workspaces/{workspaceId}/approval-workflow", GetWorkflow, Workspace(P::WorkspaceRead)),
    r("PUT", "/api/v1/workspaces/{workspaceId}/approval-workflow", PutWorkflow, Workspace(P::WorkflowManage)),
    r(
        "GET",
        "/api/v1/workspaces/{workspaceId}/clients/{clientId}/approval-workflow",
        GetClientWorkflow,
        Workspace(P::WorkspaceRead),
    ),
    r(
        "PUT",
        "/api/v1/workspaces/{workspaceId}/clients/{clientId}/approval-workflow",
        PutClientWorkflow,
        Workspace(P::WorkflowManage),
    ),
    r("POST", "/api/v1/workspaces/{workspaceId}/posts/{postId}/submit", SubmitPost, Workspace(P::PostsSubmit)),
    r("GET", "/api/v1/workspaces/{workspaceId}/approvals", ListApprovals, Workspace(P::ApprovalsRead)),
    r("GET", "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}", GetApproval, Workspace(P::ApprovalsRead)),
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}/approve",
        ApproveApproval,
        Workspace(P::ApprovalsDecide),
    ),
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}/reject",
        RejectApproval,
        Workspace(P::ApprovalsDecide),
    ),
    r("GET", "/api/v1/workspaces/{workspaceId}/posts/{postId}/approvals", PostApprovals, Workspace(P::ApprovalsRead)),
    r("GET", "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", ListComments, Workspace(P::CommentsRead)),
    r("POST", "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", CreateComment, Workspace(P::CommentsWrite)),
    r(
        "DELETE",
        "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments/{commentId}",
        DeleteComment,
        Workspace(P::CommentsWrite),
    ),
    r("GET", "/api/v1/workspaces/{workspaceId}/notifications", ListNotifications, Workspace(P::NotificationsRead)),
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/notifications/read-all",
        ReadAllNotifications,
        Workspace(P::NotificationsRead),
    ),
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/notifications/{notificationId}/read",
        ReadNotification,
        Workspace(P::NotificationsRead),
    ),
    r("GET", "/api/v1/workspaces/{workspaceId}/review-links", ListReviewLinks, Workspace(P::ReviewLinksManage)),
    r("POST", "/api/v1/workspaces/{workspaceId}/review-links", CreateReviewLink, Workspace(P::ReviewLinksManage)),
    r(
        "DELETE",
        "/api/v1/workspaces/{workspaceId}/review-links/{linkId}",
        RevokeReviewLink,
        Workspace(P::ReviewLinksManage),
    ),
    // Review links: outside /api/v1, for someone without an account; the token is the credential.
    r("GET", "/review/{token}", ReviewPage, Public),
    r("POST", "/review/{token}/posts/{postId}/approve", ReviewApprove, Public),
    r("POST", "/review/{token}/posts/{postId}/request-changes", ReviewRequestChanges, Public),
    r("POST", "/review/{token}/ideas/{ideaId}/approve", ReviewIdeaApprove, Public),
    r("POST", "/review/{token}/ideas/{ideaId}/request-changes", ReviewIdeaRequestChanges, Public),
    r("GET", "/review/{token}/media/{mediaId}", ReviewMedia, Public),
    r("GET", "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", ListIdeas, Workspace(P::IdeasRead)),
    r("POST", "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", CreateIdea, Workspace(P::IdeasWrite)),
    r("GET", "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", GetIdea, Workspace(P::IdeasRead)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", UpdateIdea, Workspace(P::IdeasWrite)),
    r("POST", "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/approve", ApproveIdea, Workspace(P::IdeasDecide)),
    r("POST", "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/reject", RejectIdea, Workspace(P::IdeasDecide)),
    r("POST", "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/post", IdeaToPost, Workspace(P::PostsWrite)),
    r("GET", "/api/v1/workspaces/{workspaceId}/social-accounts", ListAccounts, Workspace(P::AccountsRead)),
    r("POST", "/api/v1/workspaces/{workspaceId}/social-accounts", ConnectAccount, Workspace(P::AccountsManage)),
    r("POST", "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/start", OAuthStart, Workspace(P::AccountsManage)),
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/social-accounts/oauth/callback",
        OAuthCallback,
        Workspace(P::AccountsManage),
    ),
    r("GET", "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}", GetAccount, Workspace(P::AccountsRead)),
    r(
        "PUT",
        "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}/slots",
        PutSlots,
        Workspace(P::AccountsManage),
    ),
    r(
        "GET",
        "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}/next-slot",
        NextSlot,
        Workspace(P::AccountsRead),
    ),
    r(
        "DELETE",
        "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}",
        DisconnectAccount,
        Workspace(P::AccountsManage),
    ),
    r("POST", "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", SchedulePost, Workspace(P::PostsSchedule)),
    r("POST", "/api/v1/workspaces/{workspaceId}/posts/{postId}/publish-now", PublishNow, Workspace(P::PostsSchedule)),
    r("PATCH", "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule", ReschedulePost, Workspace(P::PostsSchedule)),
    r(
        "DELETE",
        "/api/v1/workspaces/{workspaceId}/posts/{postId}/schedule",
        CancelSchedule,
        Workspace(P::PostsSchedule),
    ),
    r("GET", "/api/v1/workspaces/{workspaceId}/posts/{postId}/publications", PostPublications, Workspace(P::PostsRead)),
    r("GET", "/api/v1/workspaces/{workspaceId}/publications", ListPublications, Workspace(P::PostsRead)),
    r("GET", "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", ListIdeaComments, Workspace(P::CommentsRead)),
    r(
        "POST",
        "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments",
        CreateIdeaComment,
        Workspace(P::CommentsWrite),
    ),
    r(
        "DELETE",
        "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments/{commentId}",
        DeleteIdeaComment,
        Workspace(P::CommentsWrite),
    ),
];

/// A CSV import may be larger than a JSON request.
pub const IMPORT_MAX_BYTES: usize = 1024 * 1024;

/// The largest body `route` accepts.
pub fn body_limit(config: &Config, route: &Route) -> usize {
    match route.id {
        ImportPosts => IMPORT_MAX_BYTES.max(config.max_body_bytes),
        // The file itself: each type's own limit is checked by the handler; the Worker streams it.
        PutMediaContent => crate::media::model::VIDEO_MAX_BYTES as usize,
        _ => config.max_body_bytes,
    }
}

/// For hosts deciding whether to read a request's body at all: the limit of its route, or the
/// JSON limit when no route matches.
pub fn body_limit_for(config: &Config, method: &str, path: &str) -> usize {
    find(config, method, path).map_or(config.max_body_bytes, |(route, _)| body_limit(config, route))
}

/// Finds the route for a request: 404 when no path matches, 405 (with the methods the path
/// has) when the path exists under other methods, 400 when an id in the path is not an id.
pub fn find(config: &Config, method: &str, path: &str) -> Result<(&'static Route, Params), AppError> {
    let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
    // Methods the path takes where its ids are ids, and where they are not: `PATCH
    // /posts/import` is a 405 (the literal path takes POST), not a malformed `postId`.
    let (mut allowed, mut allowed_any, mut bad_id) = (Vec::new(), Vec::new(), None);
    for route in ROUTES {
        if route.access == Development && config.environment != Environment::Development {
            continue;
        }
        if route.access == Scheduler && config.tick_secret.is_none() {
            continue;
        }
        if let Some(params) = matches(route.path, path) {
            let ids = params.check_ids();
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                match ids {
                    Ok(()) => return Ok((route, params)),
                    Err(e) => {
                        bad_id.get_or_insert(e);
                        continue;
                    }
                }
            }
            allowed_any.push(route.method);
            if ids.is_ok() {
                allowed.push(route.method);
            }
        }
    }
    let allowed = match (allowed.is_empty(), bad_id) {
        (false, _) => allowed,
        (true, Some(e)) => return Err(e),
        (true, None) if !allowed_any.is_empty() => allowed_any,
        (true, None) => return Err(AppError::NotFound(format!("no route for {method} {path}"))),
    };
    let mut allowed: Vec<&'static str> = allowed;
    allowed.dedup();
    if allowed.contains(&"GET") {
        allowed.push("HEAD");
    }
    allowed.push("OPTIONS");
    Err(AppError::MethodNotAllowed(allowed.join(", ")))
}

fn matches(pattern: &'static str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut pat = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (pat.next(), got.next()) {
            (None, None) => return Some(Params(params)),
            (Some(p), Some(g)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    params.push((name, g.to_string()));
                } else if p != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(env: Environment) -> Config {
        Config::new(env, b"k".to_vec())
    }

    #[test]
    fn paths_match_with_parameters() {
        let (w, u) = ("0190aaaa-0000-7000-8000-000000000001", "0190aaaa-0000-7000-8000-000000000002");
        let (route, params) =
            find(&cfg(Environment::Production), "PATCH", &format!("/api/v1/workspaces/{w}/members/{u}")).unwrap();
        assert_eq!(route.id, UpdateMember);
        assert_eq!(params.get("workspaceId").unwrap(), w);
        assert_eq!(params.get("userId").unwrap(), u);
    }

    #[test]
    fn ids_in_paths_are_parsed_as_ids() {
        let c = cfg(Environment::Production);
        for bad in ["w1", "0190AAAA-0000-7000-8000-000000000001", "0190aaaa-0000-7000-8000-00000000000%00", "x\0y"] {
            match find(&c, "GET", &format!("/api/v1/workspaces/{bad}")) {
                Err(AppError::Validation(d)) => assert_eq!(d[0].field, "workspaceId"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_literal_path_under_another_method_is_not_allowed_rather_than_a_bad_id() {
        let c = cfg(Environment::Production);
        let path = "/api/v1/workspaces/0190aaaa-0000-7000-8000-000000000001/posts/import";
        match find(&c, "PATCH", path) {
            Err(AppError::MethodNotAllowed(allow)) => assert_eq!(allow, "POST, OPTIONS"),
            other => panic!("{other:?}"),
        }
        assert!(find(&c, "POST", path).is_ok());
    }

    #[test]
    fn a_known_path_with_another_method_is_not_allowed() {
        match find(&cfg(Environment::Production), "PUT", "/api/v1/workspaces") {
            Err(AppError::MethodNotAllowed(allow)) => assert_eq!(allow, "GET, POST, HEAD, OPTIONS"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_paths_and_methods_are_not_found() {
        let c = cfg(Environment::Production);
        assert!(find(&c, "GET", "/api/v1/nope").is_err());
        assert!(find(&c, "PUT", "/api/v1/workspaces").is_err());
        assert!(find(&c, "GET", "/api/v1/workspaces//members").is_err());
    }

    #[test]
    fn the_mailbox_exists_only_in_development() {
        assert!(find(&cfg(Environment::Production), "GET", "/api/v1/dev/mailbox").is_err());
        assert!(find(&cfg(Environment::Test), "GET", "/api/v1/dev/mailbox").is_err());
        assert!(find(&cfg(Environment::Development), "GET", "/api/v1/dev/mailbox").is_ok());
    }
}

//! A route as the kit knows it: its id, method, path and access rule, the path parameters a
//! request brought, and what an id looks like. The table of every route is the app's
//! (`crate::app::routes`).

use super::permissions::Permission;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteId {
    Health,
    OpenApi,
    Signup,
    Login,
    Refresh,
    Logout,
    GetMe,
    UpdateMe,
    VerifyEmail,
    ResendVerification,
    ForgotPassword,
    ResetPassword,
    ConfirmEmail,
    ChangePassword,
    ChangeEmail,
    ListSessions,
    RevokeSessions,
    RevokeSession,
    ListAccountActivity,
    ListWorkspaces,
    CreateWorkspace,
    GetWorkspace,
    UpdateWorkspace,
    ArchiveWorkspace,
    ListMembers,
    UpdateMember,
    RemoveMember,
    ListInvites,
    CreateInvite,
    RevokeInvite,
    ResendInvite,
    AcceptInvite,
    DevMailbox,
    Tick,
    ActivityList,
    ListClients,
    CreateClient,
    GetClient,
    UpdateClient,
    ArchiveClient,
    AttachClientMember,
    DetachClientMember,
    ListPersonas,
    CreatePersona,
    GetPersona,
    UpdatePersona,
    DeletePersona,
    ListCampaigns,
    CreateCampaign,
    GetCampaign,
    UpdateCampaign,
    ArchiveCampaign,
    ListPosts,
    CreatePost,
    GetPost,
    UpdatePost,
    DeletePost,
    ArchivePost,
    UnarchivePost,
    ListVersions,
    DiffVersions,
    GetVersion,
    RestoreVersion,
    ListMedia,
    CreateMediaUpload,
    GetMedia,
    UpdateMedia,
    DeleteMedia,
    CompleteMedia,
    PutMediaContent,
    GetMediaContent,
    MediaLink,
    GetMediaUsage,
    ImportPosts,
    ListTemplates,
    CreateTemplate,
    GetTemplate,
    UpdateTemplate,
    ArchiveTemplate,
    RenderTemplate,
    TemplateToPost,
    GetWorkflow,
    PutWorkflow,
    GetClientWorkflow,
    PutClientWorkflow,
    SubmitPost,
    ListApprovals,
    GetApproval,
    ApproveApproval,
    RejectApproval,
    PostApprovals,
    ListComments,
    CreateComment,
    DeleteComment,
    ListNotifications,
    ReadNotification,
    ReadAllNotifications,
    ListReviewLinks,
    CreateReviewLink,
    RevokeReviewLink,
    ReviewPage,
    ReviewApprove,
    ReviewRequestChanges,
    ReviewIdeaApprove,
    ReviewIdeaRequestChanges,
    ReviewMedia,
    ListIdeas,
    CreateIdea,
    GetIdea,
    UpdateIdea,
    ApproveIdea,
    RejectIdea,
    IdeaToPost,
    ListAccounts,
    ConnectAccount,
    OAuthStart,
    OAuthCallback,
    GetAccount,
    PutSlots,
    NextSlot,
    DisconnectAccount,
    SchedulePost,
    PublishNow,
    ReschedulePost,
    CancelSchedule,
    PostPublications,
    ListPublications,
    ListIdeaComments,
    CreateIdeaComment,
    DeleteIdeaComment,
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Any signed-in user.
    User,
    /// A member of the workspace in the path whose role grants the permission.
    Workspace(Permission),
    /// Exists only when `ENVIRONMENT=development`.
    Development,
    /// For schedulers: `Authorization: Bearer <TICK_SECRET>`; exists only when that is set.
    Scheduler,
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub id: RouteId,
    pub access: Access,
}

/// Path parameters, by name.
#[derive(Debug, Default, Clone)]
pub struct Params(pub(crate) Vec<(&'static str, String)>);

impl Params {
    /// Path parameters named `…Id` are ids; anything else is refused with the parameter named,
    /// before it reaches a query.
    pub(crate) fn check_ids(&self) -> Result<(), AppError> {
        for (name, value) in &self.0 {
            if name.ends_with("Id") && !is_id(value) {
                return Err(AppError::field(*name, "must be an id (a lower-case UUID)"));
            }
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Result<&str, AppError> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| AppError::Internal(format!("route has no parameter {name}")))
    }
}

/// Whether `s` is an id as Herald writes them: a hyphenated lower-case UUID.
pub fn is_id(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

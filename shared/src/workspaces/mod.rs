//! Workspaces (tenants), their members and roles, and invitations
//! (SPEC IAM-5, IAM-6, IAM-7, IAM-10).

pub mod branding;
pub mod handlers;
pub mod invites;
pub mod members;
pub mod model;
pub use crate::api::permissions;
pub mod store;

use crate::{plans, route};

/// Workspaces, members and invitations.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "workspaces",
    routes: &[
        route!(GET "/api/v1/workspaces", listWorkspaces, User, handlers::list),
        route!(POST "/api/v1/workspaces", createWorkspace, User, handlers::create).trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}", getWorkspace, Workspace(WorkspaceRead), handlers::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}", updateWorkspace, Workspace(WorkspaceUpdate), handlers::update).trips(4),
        route!(DELETE "/api/v1/workspaces/{workspaceId}", archiveWorkspace, Workspace(WorkspaceArchive), handlers::archive).trips(3),
        route!(POST "/api/v1/workspaces/{workspaceId}/erase", eraseWorkspace, Workspace(WorkspaceArchive), handlers::erase).trips(3).while_suspended(),
        route!(GET "/api/v1/workspaces/{workspaceId}/members", listMembers, Workspace(MembersRead), handlers::list_members).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/members/{userId}", updateMember, Workspace(MembersManage), handlers::update_member).trips(4),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/members/{userId}", removeMember, Workspace(WorkspaceRead), handlers::remove_member).trips(3).while_suspended(),
        route!(GET "/api/v1/workspaces/{workspaceId}/invites", listInvites, Workspace(MembersInvite), handlers::list_invites).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/invites", createInvite, Workspace(MembersInvite), handlers::invite).trips(4),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/invites/{inviteId}", revokeInvite, Workspace(MembersInvite), handlers::revoke_invite).trips(3),
        route!(POST "/api/v1/workspaces/{workspaceId}/invites/{inviteId}/resend", resendInvite, Workspace(MembersInvite), handlers::resend_invite).trips(5),
        route!(POST "/api/v1/invites/accept", acceptInvite, User, handlers::accept_invite).trips(4).credential(),
        route!(GET "/api/v1/workspaces/{workspaceId}/billing/subscription", getSubscription, Workspace(WorkspaceUpdate), plans::handlers::get).folds_membership().trips(1),
        route!(PUT "/api/v1/internal/workspaces/{workspaceId}/subscription", changeSubscription, Scheduler, plans::handlers::change).trips(3),
        route!(POST "/api/v1/workspaces/{workspaceId}/billing/checkout", createCheckout, Workspace(BillingManage), plans::handlers::checkout).folds_membership().trips(1).while_suspended(),
        route!(POST "/api/v1/workspaces/{workspaceId}/billing/portal", createPortalSession, Workspace(BillingManage), plans::handlers::portal).folds_membership().trips(1).while_suspended(),
        route!(POST "/api/v1/billing/stripe/webhook", stripeWebhook, Public, plans::handlers::webhook).body(crate::api::route::Body::Large(512 * 1024)).unlimited().trips(2),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[model::DOCUMENTED],
};

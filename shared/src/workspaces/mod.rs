//! Workspaces (tenants), their members and roles, and invitations
//! (SPEC IAM-5, IAM-6, IAM-7, IAM-10).

pub mod api;
pub mod invites;
pub mod members;
pub mod model;
pub use crate::api::permissions;
pub mod store;

use crate::route;

/// Workspaces, members and invitations.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "workspaces",
    routes: &[
        route!(GET "/api/v1/workspaces", listWorkspaces, User, api::list),
        route!(POST "/api/v1/workspaces", createWorkspace, User, api::create),
        route!(GET "/api/v1/workspaces/{workspaceId}", getWorkspace, Workspace(WorkspaceRead), api::get),
        route!(PATCH "/api/v1/workspaces/{workspaceId}", updateWorkspace, Workspace(WorkspaceUpdate), api::update),
        route!(DELETE "/api/v1/workspaces/{workspaceId}", archiveWorkspace, Workspace(WorkspaceArchive), api::archive),
        route!(GET "/api/v1/workspaces/{workspaceId}/members", listMembers, Workspace(MembersRead), api::list_members),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/members/{userId}", updateMember, Workspace(MembersManage), api::update_member),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/members/{userId}", removeMember, Workspace(WorkspaceRead), api::remove_member),
        route!(GET "/api/v1/workspaces/{workspaceId}/invites", listInvites, Workspace(MembersInvite), api::list_invites),
        route!(POST "/api/v1/workspaces/{workspaceId}/invites", createInvite, Workspace(MembersInvite), api::invite),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/invites/{inviteId}", revokeInvite, Workspace(MembersInvite), api::revoke_invite),
        route!(POST "/api/v1/workspaces/{workspaceId}/invites/{inviteId}/resend", resendInvite, Workspace(MembersInvite), api::resend_invite),
        route!(POST "/api/v1/invites/accept", acceptInvite, User, api::accept_invite).credential(),
    ],
    inputs: &[model::DOCUMENTED],
};

//! Roles and the one permission table (SPEC IAM-6, IAM-9). Every route names a permission;
//! this table alone says which roles hold it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Workspace roles, from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Writer,
    Viewer,
    /// An agency's customer: sees only the clients it is attached to.
    Client,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Owner, Role::Admin, Role::Editor, Role::Writer, Role::Viewer, Role::Client];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Writer => "writer",
            Role::Viewer => "viewer",
            Role::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Higher is more powerful.
    pub fn rank(self) -> u8 {
        match self {
            Role::Owner => 6,
            Role::Admin => 5,
            Role::Editor => 4,
            Role::Writer => 3,
            Role::Viewer => 2,
            Role::Client => 1,
        }
    }

    /// Nobody grants a role above their own.
    pub fn may_grant(self, role: Role) -> bool {
        role.rank() <= self.rank()
    }

    /// A member may change or remove only members whose role is not above their own.
    pub fn may_manage(self, other: Role) -> bool {
        other.rank() <= self.rank()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    WorkspaceRead,
    WorkspaceUpdate,
    WorkspaceArchive,
    MembersRead,
    MembersInvite,
    MembersManage,
    ActivityRead,
    ClientsRead,
    ClientsManage,
    PersonasRead,
    PersonasManage,
    CampaignsRead,
    CampaignsWrite,
    CampaignsArchive,
    PostsRead,
    PostsWrite,
    PostsDelete,
    MediaRead,
    MediaWrite,
    TemplatesRead,
    TemplatesWrite,
    WorkflowManage,
    PostsSubmit,
    ApprovalsRead,
    ApprovalsDecide,
    CommentsRead,
    CommentsWrite,
    NotificationsRead,
    ReviewLinksManage,
    IdeasRead,
    IdeasWrite,
    IdeasDecide,
    AccountsRead,
    AccountsManage,
    PostsSchedule,
    BillingManage,
    EventsRead,
    EventsWrite,
    TasksRead,
    TasksWrite,
}

use Role::*;

/// The permission table.
const TABLE: &[(Permission, &[Role])] = &[
    (Permission::WorkspaceRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::WorkspaceUpdate, &[Owner, Admin]),
    (Permission::WorkspaceArchive, &[Owner]),
    (Permission::MembersRead, &[Owner, Admin, Editor, Writer, Viewer]),
    (Permission::MembersInvite, &[Owner, Admin]),
    (Permission::MembersManage, &[Owner, Admin]),
    (Permission::ActivityRead, &[Owner, Admin]),
    // Client members read only the clients they are attached to (see agency::visibility).
    (Permission::ClientsRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::ClientsManage, &[Owner, Admin, Editor]),
    (Permission::PersonasRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::PersonasManage, &[Owner, Admin, Editor]),
    (Permission::CampaignsRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::CampaignsWrite, &[Owner, Admin, Editor, Writer]),
    (Permission::CampaignsArchive, &[Owner, Admin, Editor]),
    // Client members read only their clients' posts.
    (Permission::PostsRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::PostsWrite, &[Owner, Admin, Editor, Writer]),
    (Permission::PostsDelete, &[Owner, Admin, Editor]),
    (Permission::MediaRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::MediaWrite, &[Owner, Admin, Editor, Writer]),
    // Client members read only their clients' templates, snippets, hashtag groups and signatures.
    (Permission::TemplatesRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::TemplatesWrite, &[Owner, Admin, Editor, Writer]),
    (Permission::WorkflowManage, &[Owner, Admin]),
    (Permission::PostsSubmit, &[Owner, Admin, Editor, Writer]),
    (Permission::ApprovalsRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    // Who decides a stage is the workflow's business; this only lets them ask.
    (Permission::ApprovalsDecide, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    // Client members read and write only client-visible comments (see collab::comments).
    (Permission::CommentsRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::CommentsWrite, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::NotificationsRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    // Review links let someone without an account see posts and decide their client stage.
    (Permission::ReviewLinksManage, &[Owner, Admin, Editor]),
    (Permission::AccountsRead, &[Owner, Admin, Editor, Writer, Viewer]),
    (Permission::AccountsManage, &[Owner, Admin]),
    (Permission::PostsSchedule, &[Owner, Admin, Editor]),
    // Paying is the owner's (checkout, the provider's portal); owners and admins see the plan.
    (Permission::BillingManage, &[Owner]),
    (Permission::IdeasRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::IdeasWrite, &[Owner, Admin, Editor, Writer]),
    // Who decides which stage is the workflow's business (agency::ideas).
    (Permission::IdeasDecide, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    // The team's calendar events (meetings, shoots, launches): not a Client member's.
    (Permission::EventsRead, &[Owner, Admin, Editor, Writer, Viewer]),
    (Permission::EventsWrite, &[Owner, Admin, Editor, Writer]),
    // Client members read only their clients' tasks (see collab::tasks).
    (Permission::TasksRead, &[Owner, Admin, Editor, Writer, Viewer, Client]),
    (Permission::TasksWrite, &[Owner, Admin, Editor, Writer]),
];

impl Permission {
    pub const ALL: [Permission; 40] = [
        Permission::WorkspaceRead,
        Permission::WorkspaceUpdate,
        Permission::WorkspaceArchive,
        Permission::MembersRead,
        Permission::MembersInvite,
        Permission::MembersManage,
        Permission::ActivityRead,
        Permission::ClientsRead,
        Permission::ClientsManage,
        Permission::PersonasRead,
        Permission::PersonasManage,
        Permission::CampaignsRead,
        Permission::CampaignsWrite,
        Permission::CampaignsArchive,
        Permission::PostsRead,
        Permission::PostsWrite,
        Permission::PostsDelete,
        Permission::MediaRead,
        Permission::MediaWrite,
        Permission::TemplatesRead,
        Permission::TemplatesWrite,
        Permission::WorkflowManage,
        Permission::PostsSubmit,
        Permission::ApprovalsRead,
        Permission::ApprovalsDecide,
        Permission::CommentsRead,
        Permission::CommentsWrite,
        Permission::NotificationsRead,
        Permission::ReviewLinksManage,
        Permission::IdeasRead,
        Permission::IdeasWrite,
        Permission::IdeasDecide,
        Permission::AccountsRead,
        Permission::AccountsManage,
        Permission::PostsSchedule,
        Permission::BillingManage,
        Permission::EventsRead,
        Permission::EventsWrite,
        Permission::TasksRead,
        Permission::TasksWrite,
    ];

    pub fn granted_to(self, role: Role) -> bool {
        TABLE.iter().any(|(p, roles)| *p == self && roles.contains(&role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_is_in_the_table_and_owner_holds_all() {
        for p in Permission::ALL {
            assert!(TABLE.iter().any(|(q, _)| *q == p), "{p:?} missing");
            assert!(p.granted_to(Owner));
        }
    }

    #[test]
    fn nobody_grants_above_their_role() {
        assert!(Admin.may_grant(Admin));
        assert!(!Admin.may_grant(Owner));
        assert!(Owner.may_grant(Owner));
        assert!(!Editor.may_grant(Admin));
    }
}

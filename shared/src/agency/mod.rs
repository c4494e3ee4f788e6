//! The agency side (SPEC AG-1, AG-2, AG-3): an agency's clients with their brand profiles,
//! personas, and campaigns. A member with the Client role sees only the clients they are
//! attached to, and only what belongs to those clients.
//!
//! Its rooms: `handlers` (one module per resource), `model` (the types and their parsers),
//! `store` (the only SQL on the area's tables); `clients`, `campaigns` and `ideas` keep their
//! rules and the paths other areas use.

pub mod campaigns;
pub mod clients;
pub mod handlers;
pub mod ideas;
pub mod model;
pub mod store;

use crate::api::permissions::Role;
use crate::api::{Call, Member};
use crate::error::AppError;

/// The one rule of what a Client member sees, as SQL (a `&'static str`): rows whose `$column`
/// names a client the user bound at `$param` is attached to, and every row when that parameter
/// is `''` (a caller who is not a Client member; see [`client_limit`]).
/// `client_visible!("client_id", "?2")`.
#[macro_export]
macro_rules! client_visible {
    ($column:literal, $param:literal) => {
        concat!(
            "(",
            $param,
            " = '' OR ",
            $column,
            " IN (SELECT client_id FROM client_members WHERE user_id = ",
            $param,
            "))"
        )
    };
}

/// [`client_visible!`] for a statement that runs before the caller's role is known (in the same
/// round trip as the membership check): `$workspace` and `$user` are the workspace and the
/// caller; a Client member of that workspace sees only its clients' rows.
#[macro_export]
macro_rules! client_visible_to {
    ($column:literal, $workspace:literal, $user:literal) => {
        concat!(
            "(NOT EXISTS (SELECT 1 FROM memberships WHERE workspace_id = ",
            $workspace,
            " AND user_id = ",
            $user,
            " AND role = 'client') OR ",
            $column,
            " IN (SELECT client_id FROM client_members WHERE user_id = ",
            $user,
            "))"
        )
    };
}

/// The user whose client attachments limit what the caller sees, or "" when nothing is limited:
/// the parameter of [`client_visible!`].
pub fn client_limit(call: &Call<'_>, member: &Member) -> Result<String, AppError> {
    Ok(if member.role == Role::Client { call.caller()?.user_id.clone() } else { String::new() })
}

pub use crate::validate::{labels, opt_text};

use crate::route;

/// Clients, personas, campaigns and ideas.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "agency",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/clients", listClients, Workspace(ClientsRead), handlers::clients::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/clients", createClient, Workspace(ClientsManage), handlers::clients::create),
        route!(GET "/api/v1/workspaces/{workspaceId}/clients/{clientId}", getClient, Workspace(ClientsRead), handlers::clients::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/clients/{clientId}", updateClient, Workspace(ClientsManage), handlers::clients::update).folds_membership().trips(2),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/clients/{clientId}", archiveClient, Workspace(ClientsManage), handlers::clients::archive).folds_membership().trips(2),
        route!(POST "/api/v1/workspaces/{workspaceId}/clients/{clientId}/members", attachClientMember, Workspace(ClientsManage), handlers::clients::attach).trips(5),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/clients/{clientId}/members/{userId}", detachClientMember, Workspace(ClientsManage), handlers::clients::detach).trips(4),
        route!(GET "/api/v1/workspaces/{workspaceId}/personas", listPersonas, Workspace(PersonasRead), handlers::personas::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/personas", createPersona, Workspace(PersonasManage), handlers::personas::create).trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/personas/{personaId}", getPersona, Workspace(PersonasRead), handlers::personas::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/personas/{personaId}", updatePersona, Workspace(PersonasManage), handlers::personas::update),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/personas/{personaId}", deletePersona, Workspace(PersonasManage), handlers::personas::delete),
        route!(GET "/api/v1/workspaces/{workspaceId}/campaigns", listCampaigns, Workspace(CampaignsRead), handlers::campaigns::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/campaigns", createCampaign, Workspace(CampaignsWrite), handlers::campaigns::create).trips(4),
        route!(GET "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", getCampaign, Workspace(CampaignsRead), handlers::campaigns::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", updateCampaign, Workspace(CampaignsWrite), handlers::campaigns::update).folds_membership().trips(2),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", archiveCampaign, Workspace(CampaignsArchive), handlers::campaigns::archive).folds_membership().trips(2),
        route!(GET "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", listIdeas, Workspace(IdeasRead), handlers::ideas::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", createIdea, Workspace(IdeasWrite), handlers::ideas::create).trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", getIdea, Workspace(IdeasRead), handlers::ideas::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", updateIdea, Workspace(IdeasWrite), handlers::ideas::update).trips(3),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[
        model::campaigns::DOCUMENTED,
        model::clients::DOCUMENTED,
        model::personas::DOCUMENTED,
        model::ideas::DOCUMENTED,
    ],
};

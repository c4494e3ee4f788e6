//! The agency side (SPEC AG-1, AG-2, AG-3): an agency's clients with their brand profiles,
//! personas, and campaigns. A member with the Client role sees only the clients they are
//! attached to, and only what belongs to those clients.

pub mod campaigns;
pub mod clients;
pub mod ideas;
pub mod personas;

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
        route!(GET "/api/v1/workspaces/{workspaceId}/clients", listClients, Workspace(ClientsRead), clients::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/clients", createClient, Workspace(ClientsManage), clients::create),
        route!(GET "/api/v1/workspaces/{workspaceId}/clients/{clientId}", getClient, Workspace(ClientsRead), clients::get),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/clients/{clientId}", updateClient, Workspace(ClientsManage), clients::update),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/clients/{clientId}", archiveClient, Workspace(ClientsManage), clients::archive),
        route!(POST "/api/v1/workspaces/{workspaceId}/clients/{clientId}/members", attachClientMember, Workspace(ClientsManage), clients::attach),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/clients/{clientId}/members/{userId}", detachClientMember, Workspace(ClientsManage), clients::detach),
        route!(GET "/api/v1/workspaces/{workspaceId}/personas", listPersonas, Workspace(PersonasRead), personas::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/personas", createPersona, Workspace(PersonasManage), personas::create),
        route!(GET "/api/v1/workspaces/{workspaceId}/personas/{personaId}", getPersona, Workspace(PersonasRead), personas::get),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/personas/{personaId}", updatePersona, Workspace(PersonasManage), personas::update),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/personas/{personaId}", deletePersona, Workspace(PersonasManage), personas::delete),
        route!(GET "/api/v1/workspaces/{workspaceId}/campaigns", listCampaigns, Workspace(CampaignsRead), campaigns::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/campaigns", createCampaign, Workspace(CampaignsWrite), campaigns::create),
        route!(GET "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", getCampaign, Workspace(CampaignsRead), campaigns::get),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", updateCampaign, Workspace(CampaignsWrite), campaigns::update),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}", archiveCampaign, Workspace(CampaignsArchive), campaigns::archive),
        route!(GET "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", listIdeas, Workspace(IdeasRead), ideas::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/campaigns/{campaignId}/ideas", createIdea, Workspace(IdeasWrite), ideas::create),
        route!(GET "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", getIdea, Workspace(IdeasRead), ideas::get),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}", updateIdea, Workspace(IdeasWrite), ideas::update),
    ],
    inputs: &[campaigns::DOCUMENTED, clients::DOCUMENTED, personas::DOCUMENTED, ideas::DOCUMENTED],
};

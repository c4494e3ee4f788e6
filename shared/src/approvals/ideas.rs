//! Deciding an idea (SPEC AG-5): the agency's stage, then the client's, by the stages of the
//! approval workflow, and a draft post made from an approved idea. The ideas themselves are
//! the agency's (`crate::agency::ideas`). Here: who decided and how, which event a decision
//! is, and what a review link may decide; `reviewing::decide_idea` records a decision.

use crate::agency::ideas::{IdeaEvent, IdeaStatus, IdeaView};
use crate::api::documented::{field, required, Documented, Rule};

/// Who decided an idea's stage, and how.
pub struct Decided<'a> {
    /// The user the decision row names: the member, or a review link's creator.
    pub by: &'a str,
    pub link_id: Option<&'a str>,
    pub comment: Option<String>,
    /// Under an "all" rule, every approver the stage needs: an approval closes the stage only
    /// once each of them has approved it. Empty for "any", and for a review link (which
    /// speaks for the reviewer it was made for and closes the stage).
    pub all_of: Vec<String>,
}

/// What a member's decision read with the idea, so that recording it reads nothing more. A
/// review link's decision (the client stage, closed at once) needs none of it.
#[derive(Default)]
pub struct ReadWith {
    /// Who approved the idea's open stage in its current round.
    pub approved: Vec<String>,
    /// Who may decide the client stage, when the idea has a client.
    pub client_approvers: Option<Vec<String>>,
    /// (user id, address) of the workspace's members and the idea's author.
    pub addresses: Option<crate::collab::notifications::Recipients>,
}

/// The event a decision is on an idea in `status`: the client's once the agency approved it,
/// else the agency's.
pub fn event_of(status: IdeaStatus, approve: bool) -> IdeaEvent {
    match (status == IdeaStatus::AgencyApproved, approve) {
        (false, true) => IdeaEvent::AgencyApprove,
        (false, false) => IdeaEvent::AgencyReject,
        (true, true) => IdeaEvent::ClientApprove,
        (true, false) => IdeaEvent::ClientReject,
    }
}

/// Whether a review link may decide `idea` in its current status: only at the client stage.
pub fn decidable_by_link(idea: &IdeaView) -> bool {
    idea.client_id.is_some() && idea.status == IdeaStatus::AgencyApproved
}

/// An idea in review by the agency first: the link's reader decides once they approved it.
pub fn waiting_for_team(idea: &IdeaView) -> bool {
    idea.client_id.is_some() && idea.status == IdeaStatus::Generated
}

/// What the decisions check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] =
    &[field("IdeaDecisionInput", "comment", Rule::Text(5000)), required("rejectIdea", &["comment"])];

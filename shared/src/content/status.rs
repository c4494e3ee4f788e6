//! The one state machine of a post (SPEC CT-1, AP-2, PB-3). Every status change goes through
//! [`PostStatus::apply`], so an illegal change cannot be written anywhere.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    InReview,
    Approved,
    Scheduled,
    Publishing,
    Published,
    Failed,
    Archived,
}

/// What can happen to a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Sent for approval.
    Submit,
    Approve,
    /// Changes requested: back to the writer.
    Reject,
    /// The content changed. After approval, that sends the post back to review.
    Edit,
    Schedule,
    Unschedule,
    /// The publisher picked it up.
    StartPublishing,
    Succeed,
    Fail,
    /// A failed post goes back to its schedule to try again.
    Retry,
    Archive,
    Unarchive,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {from} post cannot {event}")]
pub struct IllegalTransition {
    pub from: &'static str,
    pub event: &'static str,
}

impl PostStatus {
    pub const ALL: [PostStatus; 8] = [
        PostStatus::Draft,
        PostStatus::InReview,
        PostStatus::Approved,
        PostStatus::Scheduled,
        PostStatus::Publishing,
        PostStatus::Published,
        PostStatus::Failed,
        PostStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::InReview => "in_review",
            PostStatus::Approved => "approved",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Publishing => "publishing",
            PostStatus::Published => "published",
            PostStatus::Failed => "failed",
            PostStatus::Archived => "archived",
        }
    }

    pub fn parse(s: &str) -> Option<PostStatus> {
        PostStatus::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The status after `event`, or why it cannot happen.
    pub fn apply(self, event: Event) -> Result<PostStatus, IllegalTransition> {
        use Event as E;
        use PostStatus as S;
        let next = match (self, event) {
            (S::Draft, E::Submit) => S::InReview,
            (S::InReview, E::Approve) => S::Approved,
            (S::InReview, E::Reject) => S::Draft,
            // Editing a draft or a post under review keeps it where it is; an approved or
            // scheduled post goes back to review, and a failed one back to draft.
            (S::Draft | S::InReview, E::Edit) => self,
            (S::Approved | S::Scheduled, E::Edit) => S::InReview,
            (S::Failed, E::Edit) => S::Draft,
            (S::Approved, E::Schedule) => S::Scheduled,
            (S::Scheduled, E::Unschedule) => S::Approved,
            (S::Scheduled, E::StartPublishing) => S::Publishing,
            (S::Publishing, E::Succeed) => S::Published,
            (S::Publishing, E::Fail) => S::Failed,
            (S::Failed, E::Retry) => S::Scheduled,
            (S::Draft | S::InReview | S::Approved | S::Failed | S::Published, E::Archive) => S::Archived,
            (S::Archived, E::Unarchive) => S::Draft,
            _ => return Err(IllegalTransition { from: self.as_str(), event: event.as_str() }),
        };
        Ok(next)
    }
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Submit => "be submitted",
            Event::Approve => "be approved",
            Event::Reject => "be rejected",
            Event::Edit => "be edited",
            Event::Schedule => "be scheduled",
            Event::Unschedule => "be unscheduled",
            Event::StartPublishing => "start publishing",
            Event::Succeed => "be marked published",
            Event::Fail => "fail",
            Event::Retry => "be retried",
            Event::Archive => "be archived",
            Event::Unarchive => "be unarchived",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Event::*;
    use super::PostStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_runs_from_draft_to_published() {
        let mut s = Draft;
        for e in [Submit, Approve, Schedule, StartPublishing, Succeed] {
            s = s.apply(e).unwrap();
        }
        assert_eq!(s, Published);
    }

    #[test]
    fn an_edit_after_approval_sends_the_post_back_to_review() {
        assert_eq!(Approved.apply(Edit), Ok(InReview));
        assert_eq!(Scheduled.apply(Edit), Ok(InReview));
        assert_eq!(Draft.apply(Edit), Ok(Draft));
    }

    #[test]
    fn published_and_publishing_posts_cannot_be_edited() {
        assert!(Published.apply(Edit).is_err());
        assert!(Publishing.apply(Edit).is_err());
        assert!(Publishing.apply(Archive).is_err());
        assert!(Archived.apply(Edit).is_err());
    }

    #[test]
    fn every_status_has_a_way_forward_and_a_name() {
        for s in PostStatus::ALL {
            assert_eq!(PostStatus::parse(s.as_str()), Some(s));
        }
        assert!(Draft.apply(Schedule).is_err(), "only approved posts are scheduled");
        assert_eq!(Archived.apply(Unarchive), Ok(Draft));
        assert_eq!(Failed.apply(Retry), Ok(Scheduled));
        let err = Draft.apply(Approve).unwrap_err();
        assert_eq!(err.to_string(), "a draft post cannot be approved");
    }
}

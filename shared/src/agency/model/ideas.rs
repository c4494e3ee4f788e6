//! An idea, its state machine and decisions, and the input that proposes or reworks it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::campaigns::PLATFORMS;
use crate::api::documented::{field, required, Documented, Rule};
use crate::error::FieldError;
use crate::validate::{labels, opt_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IdeaStatus {
    Generated,
    AgencyApproved,
    Rejected,
    ClientApproved,
    ClientRejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdeaEvent {
    AgencyApprove,
    AgencyReject,
    ClientApprove,
    ClientReject,
    /// The idea was reworked after a rejection: it is proposed again.
    Revise,
}

impl IdeaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IdeaStatus::Generated => "generated",
            IdeaStatus::AgencyApproved => "agency_approved",
            IdeaStatus::Rejected => "rejected",
            IdeaStatus::ClientApproved => "client_approved",
            IdeaStatus::ClientRejected => "client_rejected",
        }
    }

    pub fn parse(s: &str) -> Option<IdeaStatus> {
        [Self::Generated, Self::AgencyApproved, Self::Rejected, Self::ClientApproved, Self::ClientRejected]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// The one state machine of an idea.
    pub fn apply(self, event: IdeaEvent) -> Result<IdeaStatus, String> {
        use IdeaEvent as E;
        use IdeaStatus as S;
        match (self, event) {
            (S::Generated, E::AgencyApprove) => Ok(S::AgencyApproved),
            (S::Generated, E::AgencyReject) => Ok(S::Rejected),
            (S::AgencyApproved, E::ClientApprove) => Ok(S::ClientApproved),
            (S::AgencyApproved, E::ClientReject) => Ok(S::ClientRejected),
            (S::Generated | S::Rejected | S::ClientRejected, E::Revise) => Ok(S::Generated),
            (s, e) => Err(format!("a {} idea cannot take {e:?}", s.as_str())),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdeaInput {
    /// `post` or `reel`; defaults to post.
    pub kind: Option<String>,
    pub title: Option<String>,
    /// The opening line or first seconds.
    pub hook: Option<String>,
    pub caption: Option<String>,
    pub hashtags: Option<Vec<String>>,
    pub platforms: Option<Vec<String>>,
    /// The idea's structure; replaces the stored one whole.
    pub details: Option<IdeaDetails>,
}

/// What makes an idea ready to produce: for a post its format, visual and call to action; for a
/// reel also the script's beats, its length and an audio idea.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IdeaDetails {
    /// `single image`, `carousel`, `video`, `text`, `story`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// What is to be seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visual: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_to_action: Option<String>,
    /// A reel's script, beat by beat.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub beats: Vec<String>,
    /// A reel's length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<i64>,
    /// A reel's sound: a track, a trend or a voice-over idea.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio: Option<String>,
}

impl IdeaDetails {
    /// The details, checked and trimmed; each invalid field is added to `errors` under `at`.
    pub fn checked(self, at: &str, errors: &mut Vec<FieldError>) -> IdeaDetails {
        let mut text = |field: &str, value: Option<String>, max: usize| {
            opt_text(value, max).unwrap_or_else(|m| {
                errors.push(FieldError::new(format!("{at}.{field}"), m));
                None
            })
        };
        let format = text("format", self.format, 100);
        let visual = text("visual", self.visual, 1000);
        let call_to_action = text("callToAction", self.call_to_action, 300);
        let audio = text("audio", self.audio, 300);
        let mut beats = Vec::new();
        if self.beats.len() > 20 {
            errors.push(FieldError::new(format!("{at}.beats"), "must have at most 20 items"));
        }
        for (i, beat) in self.beats.into_iter().take(20).enumerate() {
            match opt_text(Some(beat), 500) {
                Ok(Some(b)) => beats.push(b),
                Ok(None) => errors.push(FieldError::new(format!("{at}.beats[{i}]"), "must not be empty")),
                Err(m) => errors.push(FieldError::new(format!("{at}.beats[{i}]"), m)),
            }
        }
        if self.duration_seconds.is_some_and(|d| !(1..=600).contains(&d)) {
            errors.push(FieldError::new(format!("{at}.durationSeconds"), "must be from 1 to 600"));
        }
        IdeaDetails { format, visual, call_to_action, beats, duration_seconds: self.duration_seconds, audio }
    }

    pub fn is_empty(&self) -> bool {
        *self == IdeaDetails::default()
    }
}

#[derive(Debug, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct IdeaDecisionInput {
    /// Required to reject.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdeaDecision {
    pub user_id: String,
    /// `agency` or `client`.
    pub stage: String,
    /// `approve` or `reject`.
    pub decision: String,
    pub comment: Option<String>,
    /// Set when the decision came through a review link (`userId` is then the link's creator).
    pub review_link_id: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdeaView {
    pub id: String,
    pub campaign_id: String,
    pub client_id: Option<String>,
    pub kind: String,
    pub title: String,
    pub hook: Option<String>,
    pub caption: Option<String>,
    pub hashtags: Vec<String>,
    pub platforms: Vec<String>,
    /// Format, visual, call to action; a reel's beats, duration and audio.
    pub details: IdeaDetails,
    /// `manual`, `ai` (proposed by a model) or `static` (built-in ideas when no model answered).
    pub source: String,
    /// The AI generation that proposed it.
    pub generation_id: Option<String>,
    pub status: IdeaStatus,
    /// The draft post made from it, once it was.
    pub post_id: Option<String>,
    pub decisions: Vec<IdeaDecision>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// When the idea entered its current status (or was last reworked).
    #[serde(skip)]
    pub stage_opened_at: i64,
    /// Which opening of the stage this is: it rises each time the idea enters a status or is
    /// reworked. Under an "all" rule the stage's approvals are the decisions of this round,
    /// never those of an earlier wording, even one decided in the same millisecond.
    #[serde(skip)]
    pub stage_round: i64,
}

/// Applies `input` onto `base`, adding every invalid field to `errors`.
pub fn parse(input: IdeaInput, base: &mut IdeaView, errors: &mut Vec<FieldError>) {
    let mut take = |field: &str, r: Result<(), String>| {
        if let Err(m) = r {
            errors.push(FieldError::new(field, m));
        }
    };
    if let Some(k) = input.kind {
        take(
            "kind",
            if k == "post" || k == "reel" {
                base.kind = k;
                Ok(())
            } else {
                Err("must be post or reel".into())
            },
        );
    }
    if let Some(t) = input.title {
        take("title", crate::validate::line(&t, crate::validate::TITLE_MAX_CHARS).map(|t| base.title = t));
    }
    if let Some(h) = input.hook {
        take("hook", opt_text(Some(h), 500).map(|h| base.hook = h));
    }
    if let Some(c) = input.caption {
        take("caption", opt_text(Some(c), 5000).map(|c| base.caption = c));
    }
    if let Some(h) = input.hashtags {
        take("hashtags", labels(h, 30).map(|h| base.hashtags = h));
    }
    if let Some(p) = input.platforms {
        let known = p.iter().all(|x| PLATFORMS.contains(&x.as_str()));
        take(
            "platforms",
            if known { labels(p, 8).map(|p| base.platforms = p) } else { Err("names an unknown platform".into()) },
        );
    }
    if let Some(d) = input.details {
        base.details = d.checked("details", errors);
    }
}

/// What `parse` checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("IdeaInput", "kind", Rule::OneOf(&["post", "reel"])),
    field("IdeaInput", "title", Rule::Line(300)),
    field("IdeaInput", "hook", Rule::Text(500)),
    field("IdeaInput", "caption", Rule::Text(5000)),
    field("IdeaInput", "hashtags", Rule::Items(0, 30, &Rule::NonBlank(100))),
    field("IdeaInput", "platforms", Rule::Items(0, 8, &Rule::OneOf(&PLATFORMS))),
    field("IdeaDetails", "format", Rule::Text(100)),
    field("IdeaDetails", "visual", Rule::Text(1000)),
    field("IdeaDetails", "callToAction", Rule::Text(300)),
    field("IdeaDetails", "beats", Rule::Items(0, 20, &Rule::NonBlank(500))),
    field("IdeaDetails", "durationSeconds", Rule::Range(1, 600)),
    field("IdeaDetails", "audio", Rule::Text(300)),
    required("createIdea", &["title"]),
];

#[cfg(test)]
mod tests {
    use super::IdeaEvent::*;
    use super::IdeaStatus::*;

    #[test]
    fn ideas_pass_the_agency_then_the_client() {
        assert_eq!(Generated.apply(AgencyApprove), Ok(AgencyApproved));
        assert_eq!(AgencyApproved.apply(ClientApprove), Ok(ClientApproved));
        assert_eq!(AgencyApproved.apply(ClientReject), Ok(ClientRejected));
        assert_eq!(Generated.apply(AgencyReject), Ok(Rejected));
        assert!(Generated.apply(ClientApprove).is_err(), "the client decides only after the agency");
        assert!(ClientApproved.apply(Revise).is_err());
        assert_eq!(ClientRejected.apply(Revise), Ok(Generated));
    }
}

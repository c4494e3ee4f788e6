//! Review links (SPEC AG-5): an Editor shares some posts with someone who has no account — a
//! client — through a signed, expiring link. The link opens a small server-rendered page
//! (`review_page`) whose Approve and Request changes buttons act through the same approval
//! workflow as members do. A link can be revoked.
//!
//! The token: 32 random bytes (base64url), shown once when the link is made. Only its SHA-256
//! is stored, so nobody — not even a database reader — can rebuild a link, and a token is found
//! by looking its hash up: no comparison of secrets that could leak through timing. A link is
//! refused (404, the same for every reason) when its token is unknown or altered, when it has
//! expired or was revoked, when its workspace is archived, or when its creator no longer holds
//! the permission to make one: a link is never stronger than whoever made it.
//!
//! What a link decides: the client stage of a workflow that has one for the post, and nothing
//! else — never an internal stage, whoever made the link. A decision closes that stage's pending request
//! whatever its rule (the link speaks for the reviewer it was made for), moves the post through
//! its state machine, and records a vote. `approval_votes.user_id` must be a user: the vote
//! names the link's creator, who answers for the link, carries the link in `review_link_id`,
//! and its comment starts with "via review link (reviewer name)" so the history says how the
//! decision was made. The activity entries have no actor (nobody signed in) and name the link.
//!
//! Ideas: a link can show campaign ideas too (`review_link_ideas`); `handlers::review_ideas` decides them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::documented::{field, Documented, Rule};
use crate::api::permissions::Role;
use crate::api::{percent_decode, Call, Member};
use crate::error::{AppError, FieldError};
use crate::validate::rfc3339;
use crate::workflows::{Stages, Workflow};

/// A week, unless the creator says otherwise.
pub const DEFAULT_HOURS: i64 = 168;
pub const MAX_HOURS: i64 = 720;
pub const MAX_MINUTES: i64 = MAX_HOURS * 60;
pub const MAX_POSTS: usize = 50;
pub const MAX_COMMENT_CHARS: usize = 5000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ReviewLinkInput {
    /// The posts to review, in the order the page shows them. Each must be a post of this
    /// workspace the caller sees, not deleted.
    #[serde(default)]
    pub post_ids: Vec<String>,
    /// The campaign ideas to review, shown after the posts. Each must be an idea of this
    /// workspace the caller sees. Posts and ideas together: 1 to 50.
    #[serde(default)]
    pub idea_ids: Vec<String>,
    /// 1 to 720; 168 (a week) when neither this nor `expiresInMinutes` is given.
    pub expires_in_hours: Option<i64>,
    /// 1 to 43200, instead of `expiresInHours`.
    pub expires_in_minutes: Option<i64>,
    /// Who the link is for, shown in the approval history.
    pub reviewer_name: Option<String>,
    pub reviewer_email: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewLinkView {
    pub id: String,
    pub post_ids: Vec<String>,
    pub idea_ids: Vec<String>,
    pub reviewer_name: Option<String>,
    pub reviewer_email: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    /// active, expired or revoked.
    pub status: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReviewLinkCreated {
    #[serde(flatten)]
    pub link: ReviewLinkView,
    /// The secret of the link. Shown this once: only its hash is stored.
    pub token: String,
    /// `/review/{token}`, served by this API.
    pub path: String,
    /// The full address under this API's configured public address (`PUBLIC_URL`, else
    /// `APP_URL`); request headers never choose it.
    pub url: String,
}

/// The form an Approve or Request changes button sends.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct ReviewDecisionForm {
    /// The post version the page showed: a decision on another version is refused (409).
    version: i64,
    /// What should change: required to request changes, optional to approve (at most 5000
    /// characters).
    comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Active,
    Expired,
    Revoked,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Expired => "expired",
            LinkState::Revoked => "revoked",
        }
    }
}

/// A link's state at `now_ms`: it dies at `expires_at` exactly.
pub fn state(expires_at: i64, revoked_at: Option<i64>, now_ms: i64) -> LinkState {
    if revoked_at.is_some() {
        LinkState::Revoked
    } else if now_ms >= expires_at {
        LinkState::Expired
    } else {
        LinkState::Active
    }
}

/// The stage a review link decides for a post under `wf`: only ever the client stage. A link
/// speaks for the client; the internal stage is the team's, decided by its approvers in person,
/// so a post without a client stage is never decided through a link.
pub fn link_stage(wf: &Workflow, post_has_client: bool) -> Option<&'static str> {
    match wf.stages {
        Stages::InternalThenClient if post_has_client => Some("client"),
        Stages::None | Stages::Internal | Stages::InternalThenClient => None,
    }
}

/// The comment stored with a vote cast through a link.
pub fn vote_comment(reviewer: Option<&str>, comment: Option<&str>) -> String {
    let via = match reviewer {
        Some(name) => format!("via review link ({name})"),
        None => "via review link".to_string(),
    };
    match comment {
        Some(c) => format!("{via}: {c}"),
        None => via,
    }
}

/// The origin links are given under: see [`ReviewLinkCreated::url`]. Always configuration
/// (`PUBLIC_URL`, else `APP_URL`), never a request header: a forged `Host` must not turn a
/// link Herald hands out into one to another site.
pub fn public_origin(config: &crate::ports::Config) -> String {
    config.public_origin()
}

/// A form-encoded body (`application/x-www-form-urlencoded`), as name/value pairs.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// A review form's fields: the comment (required to request changes, at most 5000
/// characters) and `pin` — what pins the decision to what the page showed — required and
/// `valid`. Every problem at once, each on its field.
pub(crate) fn decision_form(
    body: &[u8],
    approve: bool,
    pin: &str,
    pin_hint: &str,
    valid: impl Fn(&str) -> bool,
) -> Result<(Option<String>, String), AppError> {
    let form = parse_form(body);
    let comment = form_value(&form, "comment").map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    let mut errors = Vec::new();
    if !approve && comment.is_none() {
        errors.push(FieldError::new("comment", "say what should change"));
    }
    if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS) {
        errors.push(FieldError::new("comment", format!("must be at most {MAX_COMMENT_CHARS} characters")));
    }
    for (name, value) in &form {
        if name.chars().chain(value.chars()).any(crate::api::json::is_refused_char) {
            let shown: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
            errors.push(FieldError::new(shown, "must not contain control characters"));
        }
    }
    let pinned = form_value(&form, pin).map(str::trim).filter(|v| !v.is_empty() && valid(v)).map(str::to_string);
    if pinned.is_none() {
        errors.push(FieldError::new(pin, format!("is required: {pin_hint}")));
    }
    match pinned {
        Some(p) if errors.is_empty() => Ok((comment, p)),
        _ => Err(AppError::Validation(errors)),
    }
}

pub(crate) fn form_value<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

// ── Links ───────────────────────────────────────────────────────────────────────────────

/// A link as stored, with its posts in order.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: String,
    pub workspace_id: String,
    pub reviewer_name: Option<String>,
    pub reviewer_email: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub post_ids: Vec<String>,
    pub idea_ids: Vec<String>,
}

impl Link {
    pub fn view(&self, now_ms: i64) -> ReviewLinkView {
        ReviewLinkView {
            id: self.id.clone(),
            post_ids: self.post_ids.clone(),
            idea_ids: self.idea_ids.clone(),
            reviewer_name: self.reviewer_name.clone(),
            reviewer_email: self.reviewer_email.clone(),
            created_by: self.created_by.clone(),
            created_at: rfc3339(self.created_at),
            expires_at: rfc3339(self.expires_at),
            revoked_at: self.revoked_at.map(rfc3339),
            status: state(self.expires_at, self.revoked_at, now_ms).as_str().into(),
        }
    }
}

/// Trimmed ids without repeats, in their order.
pub fn distinct(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids.iter().map(|p| p.trim().to_string()) {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// What every refused link answers, whatever the reason: 404.
pub fn refused() -> AppError {
    AppError::NotFound("review link not found, expired or revoked".into())
}

/// The request as the link acts: in the link's workspace, with no signed-in caller (activity
/// entries have no actor). The role is never consulted: the route's access rule is Public and
/// the use cases called with it check only the workspace.
pub(crate) fn acting<'r>(call: &Call<'r>, link: &Link) -> Call<'r> {
    Call {
        req: call.req,
        route: call.route,
        params: call.params.clone(),
        caller: None,
        member: std::sync::OnceLock::from(Member { workspace_id: link.workspace_id.clone(), role: Role::Client }),
    }
}

/// What `create` checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("ReviewLinkInput", "expiresInHours", Rule::Range(1, MAX_HOURS)),
    field("ReviewLinkInput", "expiresInMinutes", Rule::Range(1, MAX_MINUTES)),
    field("ReviewLinkInput", "postIds", Rule::Items(0, MAX_POSTS, &Rule::Id)),
    field("ReviewLinkInput", "ideaIds", Rule::Items(0, MAX_POSTS, &Rule::Id)),
    field("ReviewLinkInput", "reviewerName", Rule::Line(100)),
    field("ReviewLinkInput", "reviewerEmail", Rule::Email),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::tokens;
    use crate::ports::Clock;

    /// A clock that says what it is told.
    struct FixedClock(i64);
    impl Clock for FixedClock {
        fn now_ms(&self) -> i64 {
            self.0
        }
    }

    #[test]
    fn a_review_link_expires_at_its_time_exactly_and_revocation_wins() {
        let made = 1_700_000_000_000;
        let expires = made + DEFAULT_HOURS * 3_600_000;
        for (now, want) in [
            (made, LinkState::Active),
            (expires - 1, LinkState::Active),
            (expires, LinkState::Expired),
            (expires + 86_400_000, LinkState::Expired),
        ] {
            assert_eq!(state(expires, None, FixedClock(now).now_ms()), want, "at {now}");
        }
        assert_eq!(state(expires, Some(made + 1), made + 2), LinkState::Revoked);
        assert_eq!(state(expires, Some(made + 1), expires + 1), LinkState::Revoked);
    }

    #[test]
    fn a_review_link_acts_only_at_the_client_stage() {
        let mut wf = Workflow::default();
        assert_eq!(link_stage(&wf, true), None, "no workflow: nothing to decide");
        wf.stages = Stages::Internal;
        assert_eq!(link_stage(&wf, true), None, "the internal stage is never a link's");
        wf.stages = Stages::InternalThenClient;
        assert_eq!(link_stage(&wf, true), Some("client"));
        assert_eq!(link_stage(&wf, false), None, "a post without a client has no client stage");
    }

    #[test]
    fn a_tampered_review_token_has_another_hash() {
        let token = tokens::opaque_token([7; 32]);
        let mut tampered = token.clone().into_bytes();
        tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_ne!(tokens::token_hash(&token), tokens::token_hash(&tampered));
        assert_eq!(token.len(), 43);
    }

    #[test]
    fn review_forms_are_decoded() {
        let form = parse_form(b"version=3&comment=Shorter%2C+please%21+%E2%9C%93&empty=&bad=%zz%4");
        assert_eq!(form_value(&form, "version"), Some("3"));
        assert_eq!(form_value(&form, "comment"), Some("Shorter, please! ✓"));
        assert_eq!(form_value(&form, "empty"), Some(""));
        assert_eq!(form_value(&form, "bad"), Some("%zz%4"));
        assert_eq!(form_value(&form, "missing"), None);
        assert!(parse_form(b"").is_empty());
    }

    #[test]
    fn review_votes_say_they_came_through_a_link() {
        assert_eq!(vote_comment(Some("Ana"), Some("Shorter")), "via review link (Ana): Shorter");
        assert_eq!(vote_comment(None, None), "via review link");
    }

    #[test]
    fn review_urls_come_from_configuration_only() {
        let mut config = crate::ports::Config::new(crate::ports::Environment::Production, b"k".to_vec());
        config.app_url = "https://app.example/".into();
        assert_eq!(public_origin(&config), "https://app.example");
        config.public_url = Some("https://api.example".into());
        assert_eq!(public_origin(&config), "https://api.example");
    }
}

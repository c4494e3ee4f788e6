//! Collaboration's types: comments and what they are on, notices and notifications, with the
//! `DOCUMENTED` table of what a comment's parser checks.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::documented::{field, Documented, Rule};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// The agency's team only.
    Internal,
    /// Also the client's members.
    Client,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Internal => "internal",
            Visibility::Client => "client",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    pub body: String,
    /// Defaults to internal; Client members always write client-visible comments.
    pub visibility: Option<Visibility>,
    /// Members to notify. Each must be able to read the comment where it is: a Client member
    /// only a client-visible one, on its own client's post or idea.
    pub mentions: Option<Vec<String>>,
}

/// A comment as its input parsed for its author and subject: what is written.
pub struct NewComment {
    pub body: String,
    pub visibility: Visibility,
    /// Members of the workspace, each once, who may read the comment.
    pub mentions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentView {
    pub id: String,
    /// `post` or `idea`.
    pub subject_type: String,
    pub subject_id: String,
    pub author_id: String,
    pub body: String,
    pub visibility: Visibility,
    pub mentions: Vec<String>,
    pub created_at: String,
}

/// What kind of thing is commented on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Post,
    Idea,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Post => "post",
            SubjectKind::Idea => "idea",
        }
    }
}

/// The most members one comment may mention.
pub const MAX_MENTIONS: usize = 50;

/// What is commented on: a post or an idea the caller may see.
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
    pub title: String,
    /// The client whose Client members see it; none: no Client member does.
    pub client_id: Option<String>,
}

/// Who a workspace's notice mails are from, as its brand shows it (white-label): the name its
/// clients see, the sender name on `From`, and its support address for replies.
#[derive(Debug, Clone, Default)]
pub struct MailFrom {
    pub workspace: String,
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    /// The workspace's Slack webhook, read with the brand: its notices go there too.
    pub slack: Option<SlackHook>,
}

/// A workspace's Slack webhook as stored: its URL sealed, and the kinds of notices it takes.
#[derive(Debug, Clone)]
pub struct SlackHook {
    pub sealed: String,
    pub kinds: Vec<String>,
}

/// A Slack incoming webhook for the workspace's notices.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SlackInput {
    /// The channel's incoming webhook as Slack gives it (`https://hooks.slack.com/services/…`, or
    /// GovSlack's `hooks.slack-gov.com`), without query or fragment. A secret: kept sealed, never
    /// shown again. A first message is posted to it before it is kept, and a webhook Slack
    /// refuses is not kept.
    pub webhook_url: String,
    /// The kinds of notices posted to the channel.
    pub kinds: Vec<String>,
}

/// The workspace's Slack webhook, without its URL.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackView {
    pub connected: bool,
    /// The webhook's host (its URL is never shown).
    pub host: Option<String>,
    pub kinds: Vec<String>,
    pub updated_at: Option<String>,
    /// The last post the channel's server refused or that could not be made, until the
    /// webhook is saved again.
    pub last_failure: Option<SlackFailure>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackFailure {
    pub at: String,
    /// The server's status and answer (Slack's error code, such as `no_service`), or why it
    /// could not be reached.
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SlackRemoved {
    pub removed: bool,
}

/// The people a notice may go to, (user id, address) each, and who its mails are from.
#[derive(Debug, Clone, Default)]
pub struct Recipients {
    pub people: Vec<(String, String)>,
    pub from: MailFrom,
}

impl Recipients {
    /// Those of them that `keep` keeps, from the same sender.
    pub fn among(&self, keep: impl Fn(&str) -> bool) -> Recipients {
        let people = self.people.iter().filter(|(id, _)| keep(id)).cloned().collect();
        Recipients { people, from: self.from.clone() }
    }
}

/// One notice to several recipients.
pub struct Notice<'a> {
    /// e.g. `approval.requested`, `approval.approved`, `approval.rejected`, `comment.mention`.
    pub kind: &'a str,
    pub title: String,
    pub body: String,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub subject_type: String,
    pub subject_id: String,
    pub read: bool,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub unread: i64,
    pub next_cursor: Option<String>,
}

/// A notification in the list across workspaces, with the workspace it is of.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    pub workspace_id: String,
    pub workspace_name: String,
    #[serde(flatten)]
    pub notification: NotificationView,
}

/// How many unread notifications the caller has in one workspace.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceUnread {
    pub workspace_id: String,
    pub workspace_name: String,
    pub unread: i64,
}

/// The caller's notifications in every workspace they are a member of.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Inbox {
    pub items: Vec<InboxItem>,
    /// Unread ones in all of them.
    pub unread: i64,
    /// Each workspace with unread ones, by name.
    pub workspaces: Vec<WorkspaceUnread>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Marked {
    pub marked: u64,
}

/// The notices a workspace may post to Slack.
pub const SLACK_KINDS: &[&str] = &[
    "approval.requested",
    "approval.approved",
    "approval.rejected",
    "idea.requested",
    "idea.approved",
    "idea.rejected",
    "comment.mention",
    "account.needs_reconnect",
    "task.assigned",
];

/// The longest webhook URL kept.
pub const MAX_WEBHOOK_URL: usize = 2048;

/// What `comments::parse` and `slack::parse` check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("CommentInput", "body", Rule::NonBlank(5000)),
    field("CommentInput", "mentions", Rule::Items(0, MAX_MENTIONS, &Rule::Id)),
    field("SlackInput", "webhookUrl", Rule::Url(MAX_WEBHOOK_URL)),
    field("SlackInput", "kinds", Rule::Items(1, SLACK_KINDS.len(), &Rule::OneOf(SLACK_KINDS))),
];

//! Posts: their model and the rules of writing one (SPEC CT-1, CT-2, CT-3, CT-7); their SQL is
//! in `store::posts`. Every change of title, body or targets is stored as a new immutable
//! version in the same atomic batch as the post, so the history can never disagree with the
//! post.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::status::PostStatus;
use crate::api::documented::{field, omitted, required, Documented, Rule};
use crate::error::{AppError, FieldError};
use crate::platforms::Platform;

use crate::workflows::opening::Subject;

pub const MAX_BODY_CHARS: usize = 65_535;
pub const MAX_TARGETS: usize = 20;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetInput {
    /// x, linkedin, facebook, instagram, threads, tiktok, bluesky or mastodon
    pub platform: String,
    /// A connected social account of the workspace, on this platform: the target is that
    /// account's own (two pages of one platform get different texts). Without it the target
    /// is the platform's, for every account of the platform that has none of its own.
    pub account_id: Option<String>,
    /// This target's own text; the post's body when absent.
    pub text: Option<String>,
    /// Platform-specific options (e.g. `{"replySettings":"following"}`), kept as given.
    #[schema(value_type = Option<Object>)]
    pub options: Option<Json>,
    /// Media asset ids, in order.
    pub media: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostInput {
    pub title: Option<String>,
    pub body: Option<String>,
    pub campaign_id: Option<String>,
    pub client_id: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Replaces every target.
    #[serde(default, deserialize_with = "crate::api::json::opt_objects")]
    pub targets: Option<Vec<TargetInput>>,
    /// On update: the version the edit was made from. A stale one answers 409.
    pub version: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TargetView {
    pub id: String,
    pub platform: Platform,
    /// The account this target is for; null for the platform's target, used by every account
    /// of the platform without one of its own.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The target's own text, or null when it uses the post's body (always null under privacy mode).
    pub text: Option<String>,
    #[schema(value_type = Object)]
    pub options: Map<String, Json>,
    pub media: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PostView {
    pub id: String,
    pub title: String,
    /// Null when the workspace keeps no bodies (privacy mode).
    pub body: Option<String>,
    /// SHA-256 of the title, body and targets: what privacy mode keeps.
    pub content_hash: String,
    pub status: PostStatus,
    pub campaign_id: Option<String>,
    pub client_id: Option<String>,
    pub tags: Vec<String>,
    pub author_id: String,
    /// The current version number.
    pub version: i64,
    /// Written under privacy mode: no body was stored.
    pub private: bool,
    pub targets: Vec<TargetView>,
    pub created_at: String,
    pub updated_at: String,
}

impl PostView {
    /// What opens this post's review, at its version.
    pub fn review_subject(&self) -> Subject<'_> {
        Subject {
            post_id: &self.id,
            client_id: self.client_id.as_deref(),
            author_id: &self.author_id,
            version: self.version,
        }
    }
}

/// The content that versions record.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub title: String,
    pub body: String,
    pub targets: Vec<TargetView>,
}

impl Content {
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.title.as_bytes());
        h.update([0]);
        h.update(self.body.as_bytes());
        h.update([0]);
        let targets: Vec<HashedTarget<'_>> = self.targets.iter().map(HashedTarget::from).collect();
        h.update(serde_json::to_vec(&targets).unwrap_or_default());
        hex::encode(h.finalize())
    }
}

/// A target as the content hash reads it: a platform's target hashes exactly as it did before
/// targets could name an account, so hashes kept under privacy mode stay valid.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HashedTarget<'a> {
    id: &'a str,
    platform: Platform,
    text: &'a Option<String>,
    options: &'a Map<String, Json>,
    media: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

impl<'a> From<&'a TargetView> for HashedTarget<'a> {
    fn from(t: &'a TargetView) -> Self {
        HashedTarget {
            id: &t.id,
            platform: t.platform,
            text: &t.text,
            options: &t.options,
            media: &t.media,
            account_id: t.account_id.as_deref(),
        }
    }
}

/// A title is one line of at most 300 characters: no control characters at all.
pub fn parse_title(input: &str) -> Result<String, String> {
    crate::validate::line(input, crate::validate::TITLE_MAX_CHARS)
}

/// A body may hold tabs and newlines, and no other control character.
pub fn parse_body(input: String) -> Result<String, String> {
    if input.chars().count() > MAX_BODY_CHARS {
        Err(format!("must be at most {MAX_BODY_CHARS} characters"))
    } else if input.chars().any(crate::api::json::is_refused_char) {
        Err("must not contain control characters other than tab and newline".into())
    } else {
        Ok(input)
    }
}

pub fn parse_tags(input: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for t in crate::validate::labels(input, 30)? {
        let t = t.to_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// What the post parsers check (`parse_title`, `parse_body`, `parse_tags`, `parse_targets`),
/// as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("PostInput", "title", Rule::Line(300)),
    field("PostInput", "body", Rule::Text(MAX_BODY_CHARS)),
    field("PostInput", "campaignId", Rule::IdOrEmpty),
    field("PostInput", "clientId", Rule::IdOrEmpty),
    field("PostInput", "tags", Rule::Items(0, 30, &Rule::NonBlank(100))),
    field("PostInput", "targets", Rule::Items(0, MAX_TARGETS, &Rule::Keep)),
    field("PostInput", "version", Rule::Range(1, i64::MAX)),
    field("TargetInput", "platform", Rule::OneOf(&crate::agency::campaigns::PLATFORMS)),
    field("TargetInput", "accountId", Rule::Id),
    field("TargetInput", "text", Rule::Text(MAX_BODY_CHARS)),
    field("TargetInput", "media", Rule::Each(&Rule::Id)),
    required("createPost", &["title"]),
    omitted("createPost", &["version"]),
];

/// How a list is ordered: by creation either way (a cursor pages these), by last update, or by
/// title (pages by offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Newest,
    Oldest,
    Updated,
    Title,
}

impl Sort {
    fn parse(s: &str) -> Option<Sort> {
        Some(match s {
            "newest" => Sort::Newest,
            "oldest" => Sort::Oldest,
            "updated" => Sort::Updated,
            "title" => Sort::Title,
            _ => return None,
        })
    }

    /// Whether a cursor (the last id seen) pages this order.
    pub fn by_id(self) -> bool {
        matches!(self, Sort::Newest | Sort::Oldest)
    }
}

/// What a post list asks for, from its query string: every value parsed to its type, every
/// problem reported at once.
#[derive(Debug, Clone)]
pub struct PostFilter {
    /// Search words (at most ten), matched as prefixes of the last one.
    pub words: Vec<String>,
    pub status: Option<PostStatus>,
    pub platform: Option<Platform>,
    /// Empty: any.
    pub campaign_id: String,
    pub client_id: String,
    pub tag: String,
    pub author_id: String,
    /// Created in [from, to), in milliseconds.
    pub from: i64,
    pub to: i64,
    pub sort: Sort,
    /// After this id (a cursor); empty from the start.
    pub cursor: String,
    pub offset: i64,
    /// Pages by offset (asked for, or the sort has no cursor).
    pub by_offset: bool,
    pub limit: i64,
}

impl PostFilter {
    pub fn parse(query: impl Fn(&str) -> Option<String>) -> Result<PostFilter, AppError> {
        let text = |n: &str| query(n).unwrap_or_default();
        let mut errors = Vec::new();
        let status = text("status");
        let status = match PostStatus::parse(&status) {
            None if !status.is_empty() => {
                errors.push(FieldError::new("status", "is not a post status"));
                None
            }
            parsed => parsed,
        };
        let platform = text("platform");
        let platform = match Platform::parse(&platform) {
            None if !platform.is_empty() => {
                errors.push(FieldError::new("platform", "is not a supported platform"));
                None
            }
            parsed => parsed,
        };
        let mut time = |name: &str, default: i64| match query(name) {
            None => default,
            Some(t) => t.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).unwrap_or_else(|_| {
                errors.push(FieldError::new(name, "must be an RFC 3339 time such as 2026-11-23T10:00:00Z"));
                default
            }),
        };
        let (from, to) = (time("from", 0), time("to", i64::MAX));
        let limit = query("limit").map_or(Some(50), |l| l.parse::<i64>().ok().filter(|l| (1..=100).contains(l)));
        let offset = query("offset").map(|o| o.parse::<i64>().ok().filter(|o| (0..=1_000_000).contains(o)));
        let sort = Sort::parse(&query("sort").unwrap_or_else(|| "newest".into())).unwrap_or_else(|| {
            errors.push(FieldError::new("sort", "must be newest, oldest, updated or title"));
            Sort::Newest
        });
        let cursor = text("cursor");
        if limit.is_none() {
            errors.push(FieldError::new("limit", "must be 1 to 100"));
        }
        if offset.is_some_and(|o| o.is_none()) {
            errors.push(FieldError::new("offset", "must be 0 to 1000000"));
        }
        if !cursor.is_empty() && !sort.by_id() {
            errors.push(FieldError::new("cursor", "works with sort newest or oldest; use offset for other sorts"));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(PostFilter {
            words: search_words(&text("q")),
            status,
            platform,
            campaign_id: text("campaignId"),
            client_id: text("clientId"),
            tag: text("tag").to_lowercase(),
            author_id: text("authorId"),
            from,
            to,
            sort,
            cursor,
            by_offset: offset.is_some() || !sort.by_id(),
            offset: offset.flatten().unwrap_or(0),
            limit: limit.unwrap_or(50),
        })
    }
}

/// The words of a search (at most ten), lower-cased; everything but letters and digits
/// separates them, so no search syntax of either engine can be injected.
pub fn search_words(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).take(10).map(str::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(account_id: Option<&str>, text: Option<&str>) -> TargetView {
        TargetView {
            id: "t1".into(),
            platform: Platform::Mastodon,
            account_id: account_id.map(str::to_string),
            text: text.map(str::to_string),
            options: Map::new(),
            media: vec!["m1".into()],
        }
    }

    #[test]
    fn a_platform_targets_hash_is_what_it_was_before_targets_named_accounts() {
        let content = Content { title: "T".into(), body: "B".into(), targets: vec![target(None, Some("own"))] };
        // The hash of this content as computed before `accountId` existed: hashes kept under
        // privacy mode must still match the text sent again.
        let mut h = Sha256::new();
        h.update(b"T\0B\0");
        h.update(br#"[{"id":"t1","platform":"mastodon","text":"own","options":{},"media":["m1"]}]"#);
        assert_eq!(content.hash(), hex::encode(h.finalize()));
    }

    #[test]
    fn an_accounts_target_hashes_its_account_and_its_text() {
        let hash = |t: TargetView| Content { title: "T".into(), body: "B".into(), targets: vec![t] }.hash();
        let platform = hash(target(None, Some("x")));
        let a1 = hash(target(Some("a1"), Some("x")));
        assert_ne!(platform, a1);
        assert_ne!(a1, hash(target(Some("a2"), Some("x"))));
        assert_ne!(a1, hash(target(Some("a1"), Some("y"))));
    }
}

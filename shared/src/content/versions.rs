//! Post versions (SPEC CT-2), as the API shows them: immutable and numbered. Handlers in
//! `handlers::versions`, SQL in `store::versions`.

use serde::Serialize;
use utoipa::ToSchema;

use super::diff::Chunk;
use super::posts::TargetView;

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionSummary {
    pub number: i64,
    pub title: String,
    pub content_hash: String,
    pub author_id: String,
    /// e.g. "restored from version 2".
    pub note: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionView {
    #[serde(flatten)]
    pub summary: VersionSummary,
    /// Null under privacy mode.
    pub body: Option<String>,
    pub targets: Vec<TargetView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TitleChange {
    pub from: String,
    pub to: String,
    pub changed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionDiff {
    pub from: i64,
    pub to: i64,
    pub title: TitleChange,
    /// Word-level chunks turning the older body into the newer (empty under privacy mode).
    pub body: Vec<Chunk>,
    pub targets_changed: bool,
    pub from_targets: Vec<TargetView>,
    pub to_targets: Vec<TargetView>,
}

//! A client, its brand profile and the inputs that make and change them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::documented::{field, Documented, Rule};
use crate::validate::{labels, opt_text};

/// How a client's brand speaks (used by writers and by AI generation).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct BrandProfile {
    pub tone: Option<String>,
    pub voice: Option<String>,
    pub themes: Vec<String>,
    pub audience: Option<String>,
    pub words_to_use: Vec<String>,
    pub words_to_avoid: Vec<String>,
}

impl BrandProfile {
    pub fn parse(self) -> Result<BrandProfile, String> {
        Ok(BrandProfile {
            tone: opt_text(self.tone, 500)?,
            voice: opt_text(self.voice, 500)?,
            themes: labels(self.themes, 50)?,
            audience: opt_text(self.audience, 1000)?,
            words_to_use: labels(self.words_to_use, 200)?,
            words_to_avoid: labels(self.words_to_avoid, 200)?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientInput {
    pub name: String,
    pub website: Option<String>,
    pub industry: Option<String>,
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub brand_profile: Option<BrandProfile>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientPatch {
    pub name: Option<String>,
    pub website: Option<String>,
    pub industry: Option<String>,
    /// Replaces the whole brand profile.
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub brand_profile: Option<BrandProfile>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientView {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub brand_profile: BrandProfile,
    pub archived: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AttachInput {
    /// A member of the workspace with the Client role.
    pub user_id: String,
}

/// What the client parsers check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("ClientInput", "name", Rule::Line(100)),
    field("ClientInput", "website", Rule::Text(500)),
    field("ClientInput", "industry", Rule::Text(100)),
    field("ClientPatch", "name", Rule::Line(100)),
    field("ClientPatch", "website", Rule::Text(500)),
    field("ClientPatch", "industry", Rule::Text(100)),
    field("BrandProfile", "tone", Rule::Text(500)),
    field("BrandProfile", "voice", Rule::Text(500)),
    field("BrandProfile", "themes", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("BrandProfile", "audience", Rule::Text(1000)),
    field("BrandProfile", "wordsToUse", Rule::Items(0, 200, &Rule::NonBlank(100))),
    field("BrandProfile", "wordsToAvoid", Rule::Items(0, 200, &Rule::NonBlank(100))),
    field("AttachInput", "userId", Rule::Id),
];

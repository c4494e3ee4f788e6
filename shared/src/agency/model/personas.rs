//! A persona, its profile and the inputs that make and change them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::documented::{field, Documented, Rule};
use crate::validate::{labels, opt_text};

/// Everything about a persona besides its name and client.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct PersonaProfile {
    pub description: Option<String>,
    /// Free text: age range, location, job, income…
    pub demographics: Option<String>,
    pub goals: Vec<String>,
    pub pain_points: Vec<String>,
    pub interests: Vec<String>,
    /// Where this persona spends time, e.g. `linkedin`, `instagram`.
    pub channels: Vec<String>,
}

impl PersonaProfile {
    pub fn parse(self) -> Result<PersonaProfile, String> {
        Ok(PersonaProfile {
            description: opt_text(self.description, 2000)?,
            demographics: opt_text(self.demographics, 1000)?,
            goals: labels(self.goals, 50)?,
            pain_points: labels(self.pain_points, 50)?,
            interests: labels(self.interests, 50)?,
            channels: labels(self.channels, 20)?,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonaInput {
    pub name: String,
    /// The client this persona belongs to; none means the whole workspace.
    pub client_id: Option<String>,
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub profile: Option<PersonaProfile>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonaPatch {
    pub name: Option<String>,
    /// Replaces the whole profile.
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub profile: Option<PersonaProfile>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PersonaView {
    pub id: String,
    pub name: String,
    pub client_id: Option<String>,
    pub profile: PersonaProfile,
    pub created_at: String,
    pub updated_at: String,
}

/// What the persona parsers check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("PersonaInput", "name", Rule::Line(100)),
    field("PersonaInput", "clientId", Rule::Id),
    field("PersonaPatch", "name", Rule::Line(100)),
    field("PersonaProfile", "description", Rule::Text(2000)),
    field("PersonaProfile", "demographics", Rule::Text(1000)),
    field("PersonaProfile", "goals", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("PersonaProfile", "painPoints", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("PersonaProfile", "interests", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("PersonaProfile", "channels", Rule::Items(0, 20, &Rule::NonBlank(100))),
];

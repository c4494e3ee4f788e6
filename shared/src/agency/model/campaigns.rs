//! A campaign, its budget and the input that makes or changes it, with the parsers of its
//! fields.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::documented::{field, required, Documented, Rule};

/// The platforms a campaign may target.
pub const PLATFORMS: [&str; 8] = ["x", "linkedin", "facebook", "instagram", "threads", "tiktok", "bluesky", "mastodon"];
const STATUSES: [&str; 4] = ["draft", "active", "paused", "completed"];

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Budget {
    /// In the currency's minor unit (cents).
    pub amount_cents: i64,
    /// ISO 4217, e.g. `EUR`.
    pub currency: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CampaignInput {
    pub name: Option<String>,
    pub client_id: Option<String>,
    pub objective: Option<String>,
    /// `YYYY-MM-DD`
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`, not before the start.
    pub end_date: Option<String>,
    #[serde(default, deserialize_with = "crate::api::json::object")]
    pub budget: Option<Budget>,
    pub brand_tone: Option<String>,
    pub themes: Option<Vec<String>>,
    /// x, linkedin, facebook, instagram, threads, tiktok, bluesky, mastodon
    pub target_platforms: Option<Vec<String>>,
    pub posts_planned: Option<i64>,
    pub reels_planned: Option<i64>,
    /// draft, active, paused or completed (archive with DELETE).
    pub status: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignView {
    pub id: String,
    pub name: String,
    pub client_id: Option<String>,
    pub objective: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub budget: Option<Budget>,
    pub brand_tone: Option<String>,
    pub themes: Vec<String>,
    pub target_platforms: Vec<String>,
    pub posts_planned: i64,
    pub reels_planned: i64,
    pub status: String,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CampaignPage {
    pub items: Vec<CampaignView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct CampaignQuery {
    /// draft, active, paused, completed or archived; archived ones are listed only when asked.
    status: Option<String>,
    client_id: Option<String>,
    cursor: Option<String>,
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

pub fn date(input: String) -> Result<String, String> {
    input.parse::<jiff::civil::Date>().map(|d| d.to_string()).map_err(|_| "must be a date as YYYY-MM-DD".into())
}

pub fn count(n: i64) -> Result<i64, String> {
    if (0..=10_000).contains(&n) {
        Ok(n)
    } else {
        Err("must be 0 to 10000".into())
    }
}

pub fn budget(b: Budget) -> Result<Budget, String> {
    if b.amount_cents < 0 || b.amount_cents > 1_000_000_000_000 {
        return Err("amountCents must be 0 to 10^12".into());
    }
    if b.currency.len() != 3 || !b.currency.bytes().all(|c| c.is_ascii_alphabetic()) {
        return Err("currency must be an ISO 4217 code such as EUR".into());
    }
    Ok(Budget { amount_cents: b.amount_cents, currency: b.currency.to_ascii_uppercase() })
}

pub fn platforms(input: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for p in input {
        let p = p.trim().to_ascii_lowercase();
        if !PLATFORMS.contains(&p.as_str()) {
            return Err(format!("`{p}` is not one of {}", PLATFORMS.join(", ")));
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    Ok(out)
}

/// A status a campaign may be given (trimmed and lower-cased already); archiving is its own
/// route.
pub fn parse_status(s: String) -> Result<String, String> {
    if STATUSES.contains(&s.as_str()) {
        Ok(s)
    } else {
        Err(format!("must be one of {}; archive with DELETE", STATUSES.join(", ")))
    }
}

/// What `campaigns::apply` and its parsers check, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("CampaignInput", "name", Rule::Line(100)),
    field("CampaignInput", "clientId", Rule::IdOrEmpty),
    field("CampaignInput", "objective", Rule::Text(2000)),
    field("CampaignInput", "startDate", Rule::Date),
    field("CampaignInput", "endDate", Rule::Date),
    field("CampaignInput", "brandTone", Rule::Text(500)),
    field("CampaignInput", "themes", Rule::Items(0, 50, &Rule::NonBlank(100))),
    field("CampaignInput", "targetPlatforms", Rule::Each(&Rule::OneOf(&PLATFORMS))),
    field("CampaignInput", "postsPlanned", Rule::Range(0, 10_000)),
    field("CampaignInput", "reelsPlanned", Rule::Range(0, 10_000)),
    field("CampaignInput", "status", Rule::OneOf(&STATUSES)),
    field("Budget", "amountCents", Rule::Range(0, 1_000_000_000_000)),
    field("Budget", "currency", Rule::Pattern("^[A-Za-z]{3}$", 3)),
    required("createCampaign", &["name"]),
];

//! Campaigns (SPEC AG-3): objective, dates, budget, brand tone, themes, target platforms, how
//! many posts and reels are planned, and a status; archived rather than deleted. Here: applying
//! an input onto a campaign, which checks its client. The types and parsers are in
//! `model::campaigns`, the SQL in `store::campaigns`; other areas reach both through here.

pub use super::model::campaigns::*;
pub use super::store::campaigns::{one_of, one_read, visible};

use super::clients;
use crate::api::{Context, Member};
use crate::error::AppError;
use crate::validate::{self, labels, opt_text, Fields};

/// Applies `input` onto `c`, reporting every invalid field.
pub async fn apply(
    ctx: &Context<'_>,
    member: &Member,
    c: &mut CampaignView,
    input: CampaignInput,
) -> Result<(), AppError> {
    let mut f = Fields::default();
    if let Some(name) = f.take_opt("name", input.name, |n| validate::name(&n)) {
        c.name = name;
    }
    if let Some(client_id) = input.client_id {
        let client_id = client_id.trim().to_string();
        if client_id.is_empty() {
            c.client_id = None;
        } else if f.take("clientId", clients::ensure_active(ctx.db, &member.workspace_id, &client_id).await).is_some() {
            c.client_id = Some(client_id);
        }
    }
    if let Some(v) = f.take_opt("objective", input.objective.map(Some), |o| opt_text(o, 2000)) {
        c.objective = v;
    }
    if let Some(d) = f.take_opt("startDate", input.start_date, date) {
        c.start_date = Some(d);
    }
    if let Some(d) = f.take_opt("endDate", input.end_date, date) {
        c.end_date = Some(d);
    }
    if let (Some(start), Some(end)) = (&c.start_date, &c.end_date) {
        if end < start {
            f.take::<()>("endDate", Err("must not be before startDate".into()));
        }
    }
    if let Some(b) = f.take_opt("budget", input.budget, budget) {
        c.budget = Some(b);
    }
    if let Some(v) = f.take_opt("brandTone", input.brand_tone.map(Some), |t| opt_text(t, 500)) {
        c.brand_tone = v;
    }
    if let Some(v) = f.take_opt("themes", input.themes, |t| labels(t, 50)) {
        c.themes = v;
    }
    if let Some(v) = f.take_opt("targetPlatforms", input.target_platforms, platforms) {
        c.target_platforms = v;
    }
    if let Some(v) = f.take_opt("postsPlanned", input.posts_planned, count) {
        c.posts_planned = v;
    }
    if let Some(v) = f.take_opt("reelsPlanned", input.reels_planned, count) {
        c.reels_planned = v;
    }
    let status = input.status.map(|s| s.trim().to_ascii_lowercase());
    if let Some(s) = f.take_opt("status", status, parse_status) {
        c.status = s;
    }
    if f.is_ok() {
        Ok(())
    } else {
        Err(f.error())
    }
}

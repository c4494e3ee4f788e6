//! Posting slots (SPEC PB-2): each account's usual posting times — weekdays and wall-clock
//! times in its time zone — and "the next free slot": the first of them, from now, at which the
//! account has nothing scheduled yet. Wall-clock times stay put across daylight-saving changes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{store as accounts, AccountView};
use crate::activity::{self, Change};
use crate::api::documented::{field, Documented, Rule};
use crate::api::json::{self, Envelope};
use crate::api::{Call, Context, Response};
use crate::error::{AppError, ErrorEnvelope, FieldError};
use crate::validate::{self, rfc3339};

pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// How far ahead a free slot is looked for.
pub const HORIZON_DAYS: i64 = 62;

pub use crate::accounts::Slot;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotsInput {
    /// IANA time zone the times are in.
    pub timezone: String,
    /// At most 100.
    #[serde(deserialize_with = "crate::api::json::objects")]
    pub slots: Vec<Slot>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NextSlot {
    pub at: String,
    pub timezone: String,
}

fn parse_time(t: &str) -> Option<(i8, i8)> {
    let (h, m) = t.split_once(':')?;
    let (h, m) = (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m) && t.len() == 5).then_some((h, m))
}

/// The first slot after `after_ms` not in `taken`, within the horizon.
pub fn next_free(slots: &[Slot], tz: &str, taken: &[i64], after_ms: i64) -> Option<i64> {
    let zone = crate::zones::get(tz)?;
    let start = jiff::Timestamp::from_millisecond(after_ms).ok()?.to_zoned(zone.clone()).date();
    for offset in 0..HORIZON_DAYS {
        let date = jiff::Span::new().try_days(offset).and_then(|s| start.checked_add(s)).ok()?;
        let day = DAYS[date.weekday().to_monday_zero_offset() as usize];
        let mut times: Vec<(i8, i8)> =
            slots.iter().filter(|s| s.day == day).filter_map(|s| parse_time(&s.time)).collect();
        times.sort();
        for (h, m) in times {
            let at = date.at(h, m, 0, 0).to_zoned(zone.clone()).ok()?.timestamp().as_millisecond();
            if at > after_ms && !taken.contains(&at) {
                return Some(at);
            }
        }
    }
    None
}

#[utoipa::path(put, path = "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}/slots", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("accountId" = String, Path)), request_body = SlotsInput,
    responses((status = 200, description = "The account with its posting slots", body = Envelope<AccountView>),
              (status = 400, description = "VALIDATION_ERROR: an unknown day, a time not HH:MM, an unknown time zone", body = ErrorEnvelope),
              (status = 403, description = "FORBIDDEN", body = ErrorEnvelope),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope)))]
pub async fn put(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let input: SlotsInput = json::parse(&call.req.body)?;
    let ws = call.member()?.workspace_id.clone();
    let account = accounts::load(ctx.db, &ws, call.params.get("accountId")?).await?;
    let mut errors = Vec::new();
    let tz = validate::timezone(&input.timezone)
        .map_err(|m| errors.push(FieldError::new("timezone", m)))
        .unwrap_or_default();
    if input.slots.len() > 100 {
        errors.push(FieldError::new("slots", "at most 100"));
    }
    let mut slots: Vec<Slot> = Vec::new();
    for (i, slot) in input.slots.iter().enumerate() {
        let day = slot.day.trim().to_ascii_lowercase();
        if !DAYS.contains(&day.as_str()) {
            errors.push(FieldError::new(format!("slots[{i}].day"), "must be mon, tue, wed, thu, fri, sat or sun"));
        }
        if parse_time(slot.time.trim()).is_none() {
            errors.push(FieldError::new(format!("slots[{i}].time"), "must be HH:MM (24-hour)"));
        }
        let s = Slot { day, time: slot.time.trim().to_string() };
        if !slots.contains(&s) {
            slots.push(s);
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = ctx.clock.now_ms();
    let json_slots = serde_json::to_string(&slots).unwrap_or_else(|_| "[]".into());
    let change = Change {
        action: "social_account.slots",
        entity_type: "social_account",
        entity_id: &account.view.id,
        before: None,
        after: Some(serde_json::json!({ "timezone": tz, "slots": slots })),
    };
    ctx.db
        .batch(&[
            accounts::set_slots(&ws, &account.view.id, json_slots, &tz, now),
            activity::record(ctx, call, &ws, change),
        ])
        .await?;
    Ok(json::ok(200, accounts::load(ctx.db, &ws, &account.view.id).await?.view))
}

#[utoipa::path(get, path = "/api/v1/workspaces/{workspaceId}/social-accounts/{accountId}/next-slot", tag = "publishing", security(("bearer" = [])),
    params(("workspaceId" = String, Path), ("accountId" = String, Path)),
    responses((status = 200, description = "The account's next slot with nothing scheduled", body = Envelope<NextSlot>),
              (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
              (status = 409, description = "CONFLICT: the account has no slots, or none free in the next 62 days", body = ErrorEnvelope)))]
pub async fn next(ctx: &Context<'_>, call: &Call<'_>) -> Result<Response, AppError> {
    let (ws, id) = (call.params.get("workspaceId")?, call.params.get("accountId")?);
    let now = ctx.clock.now_ms();
    // The membership check, the account and its taken times: one round trip.
    let mut reads = accounts::among(ws, &[id.to_string()]);
    reads.push(crate::publishing::store::taken_read(ws, id, now));
    let (_, answers) = call.admitted_reads(ctx.db, reads).await?;
    let account = accounts::decode(
        answers.first().and_then(|rows| rows.first()).ok_or_else(|| AppError::not_found("social account"))?,
    )?;
    let taken = crate::publishing::store::taken_of(answers.get(1).map_or(&[][..], Vec::as_slice))?;
    let at = next_for(&account.view, &taken, now)?;
    Ok(json::ok(200, NextSlot { at: rfc3339(at), timezone: account.view.slot_timezone.clone() }))
}

/// The account's next free slot after `now`, given the times it has `taken`, or why there is none.
pub fn next_for(account: &AccountView, taken: &[i64], now: i64) -> Result<i64, AppError> {
    if account.slots.is_empty() {
        return Err(AppError::Conflict(format!("{} has no posting slots", account.handle)));
    }
    next_free(&account.slots, &account.slot_timezone, taken, now).ok_or_else(|| {
        AppError::Conflict(format!("{} has no free slot in the next {HORIZON_DAYS} days", account.handle))
    })
}

/// What `put` checks, as the OpenAPI document states it.
pub const DOCUMENTED: &[Documented] = &[
    field("SlotsInput", "timezone", Rule::TimeZone),
    field("SlotsInput", "slots", Rule::Items(0, 100, &Rule::Keep)),
    field("Slot", "day", Rule::OneOf(&["mon", "tue", "wed", "thu", "fri", "sat", "sun"])),
    field("Slot", "time", Rule::Pattern("^([01][0-9]|2[0-3]):[0-5][0-9]$", 5)),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(day: &str, time: &str) -> Slot {
        Slot { day: day.into(), time: time.into() }
    }

    #[test]
    fn the_next_free_slot_skips_taken_ones_and_keeps_wall_clock_time_across_dst() {
        // Monday 2026-03-23 10:00 UTC = 11:00 in Paris (winter time).
        let monday = jiff::Timestamp::from_second(1_774_260_000).unwrap().as_millisecond();
        let slots = [slot("mon", "09:00"), slot("mon", "17:30"), slot("wed", "09:00")];
        let first = next_free(&slots, "Europe/Paris", &[], monday).unwrap();
        assert_eq!(rfc3339(first), "2026-03-23T16:30:00.000Z", "17:30 in Paris, UTC+1");
        let second = next_free(&slots, "Europe/Paris", &[first], monday).unwrap();
        assert_eq!(rfc3339(second), "2026-03-25T08:00:00.000Z", "Wednesday 09:00");
        // After the switch to summer time (29 March) Monday 09:00 is 07:00 UTC.
        let later = next_free(&slots, "Europe/Paris", &[first, second], second).unwrap();
        assert_eq!(rfc3339(later), "2026-03-30T07:00:00.000Z");
        assert_eq!(next_free(&[], "UTC", &[], monday), None);
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(parse_time("9:00"), None);
    }
}

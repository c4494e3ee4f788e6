//! Stripe's documented contracts (SPEC BI-3): Checkout Sessions for an upgrade, the customer
//! portal, and signed webhook events, each read into what it changes of a subscription.

use hmac::{KeyInit, Mac};
use serde_json::Value as Json;

use super::Plan;
use crate::tiers::Stripe;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Where Stripe's API lives unless `PLATFORM_URLS` names another base for `stripe`.
pub const API: &str = "https://api.stripe.com";

/// How old a signed timestamp may be, Stripe's own default: a captured event replayed later is
/// refused.
pub const TOLERANCE_SECS: i64 = 300;

/// Checks `Stripe-Signature` (`t=…,v1=…[,v1=…]`) as Stripe documents: an HMAC-SHA256 of
/// `t.payload` under a signing secret, compared in constant time; any `v1` may match any
/// configured secret (a secret being rotated signs with both). Answers the signed time.
pub fn verify(header: &str, payload: &[u8], secrets: &[String], now_secs: i64) -> Result<i64, &'static str> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", hex_sig)) => signatures.extend(hex::decode(hex_sig).ok()),
            _ => {}
        }
    }
    let Some(t) = timestamp else { return Err("has no timestamp (t=…)") };
    if signatures.is_empty() {
        return Err("has no v1 signature");
    }
    if (now_secs - t).abs() > TOLERANCE_SECS {
        return Err("is outside the tolerance of five minutes: a replayed or delayed event");
    }
    for secret in secrets {
        let Ok(mut mac) = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes()) else { continue };
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        if signatures.iter().any(|sig| mac.clone().verify_slice(sig).is_ok()) {
            return Ok(t);
        }
    }
    Err("matches no signing secret")
}

/// What an event changes. Workspaces are named in the metadata Herald gave the checkout (and
/// its subscription), else found by the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// `checkout.session.completed`: the customer and subscription are the workspace's, on the
    /// plan it bought.
    Linked { customer: Option<String>, subscription: Option<String>, plan: Option<Plan> },
    /// `customer.subscription.created` / `.updated`: Stripe's state of the subscription.
    Mirrored { subscription: String, plan: Option<Plan>, status: &'static str, period: Option<(i64, i64)> },
    /// `customer.subscription.deleted`: back to the free tier.
    Ended,
    /// `invoice.payment_failed`: a payment is due.
    PaymentFailed,
    /// `invoice.paid`: paid again.
    Paid,
    /// Any other type: recorded, nothing changes.
    Ignored,
}

/// An event as Herald reads it.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub kind: String,
    /// When Stripe created it, in milliseconds: an older one arriving late changes nothing.
    pub created_ms: i64,
    pub workspace_id: Option<String>,
    pub customer: Option<String>,
    pub effect: Effect,
}

fn text(v: &Json) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

/// Stripe's subscription statuses, in Herald's four.
fn status_of(stripe: &str) -> &'static str {
    match stripe {
        "trialing" => "trialing",
        "active" => "active",
        "past_due" | "unpaid" | "incomplete" => "past_due",
        _ => "cancelled",
    }
}

/// Reads an event's JSON; `None` when it is not an event.
pub fn read(event: &Json, stripe: &Stripe) -> Option<Event> {
    let id = text(&event["id"])?;
    let kind = text(&event["type"])?;
    let created_ms = event["created"].as_i64()? * 1000;
    let object = &event["data"]["object"];
    let metadata = &object["metadata"];
    let workspace_id = text(&metadata["workspace_id"]).or_else(|| text(&object["client_reference_id"]));
    let customer = text(&object["customer"]);
    let plan_named = text(&metadata["plan"]).and_then(|p| Plan::parse(&p));
    let effect = match kind.as_str() {
        "checkout.session.completed" => {
            Effect::Linked { customer: customer.clone(), subscription: text(&object["subscription"]), plan: plan_named }
        }
        "customer.subscription.created" | "customer.subscription.updated" => {
            let item = &object["items"]["data"][0];
            let price = text(&item["price"]["id"]);
            let plan = price.and_then(|p| stripe.plan_of(&p)).or(plan_named);
            // Newer API versions keep the period on the item, older ones on the subscription.
            let start = item["current_period_start"].as_i64().or(object["current_period_start"].as_i64());
            let end = item["current_period_end"].as_i64().or(object["current_period_end"].as_i64());
            Effect::Mirrored {
                subscription: text(&object["id"])?,
                plan,
                status: status_of(object["status"].as_str().unwrap_or_default()),
                period: start.zip(end).filter(|(s, e)| s < e).map(|(s, e)| (s * 1000, e * 1000)),
            }
        }
        "customer.subscription.deleted" => Effect::Ended,
        "invoice.payment_failed" => Effect::PaymentFailed,
        "invoice.paid" | "invoice.payment_succeeded" => Effect::Paid,
        _ => Effect::Ignored,
    };
    Some(Event { id, kind, created_ms, workspace_id, customer, effect })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, t: i64, payload: &[u8]) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(payload);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn signatures_are_checked_as_stripe_documents() {
        let secrets = vec!["whsec_new".to_string(), "whsec_old".to_string()];
        let body = br#"{"id":"evt_1"}"#;
        let now = 1_800_000_000;
        let good = format!("t={now},v1={}", sign("whsec_new", now, body));
        assert_eq!(verify(&good, body, &secrets, now + 10), Ok(now));
        // During a rotation both secrets sign; either one is enough, in any position.
        let rotated = format!("t={now},v1={},v1={}", sign("whsec_gone", now, body), sign("whsec_old", now, body));
        assert_eq!(verify(&rotated, body, &secrets, now), Ok(now));
        assert!(verify(&good, br#"{"id":"evt_2"}"#, &secrets, now).is_err(), "another body");
        assert!(verify(&good, body, &secrets, now + TOLERANCE_SECS + 1).is_err(), "too old");
        assert!(verify(&format!("t={},v1={}", now + 1, sign("whsec_new", now, body)), body, &secrets, now).is_err());
        assert!(verify(&format!("v1={}", sign("whsec_new", now, body)), body, &secrets, now).is_err());
        assert!(verify(&format!("t={now},v0={}", sign("whsec_new", now, body)), body, &secrets, now).is_err());
        assert!(verify(&good, body, &[], now).is_err(), "no secret, no event");
    }

    #[test]
    fn events_are_read_into_their_effects() {
        let stripe = Stripe { prices: vec![(Plan::Pro, "price_pro".into())], ..Stripe::default() };
        let event = serde_json::json!({"id": "evt_1", "type": "customer.subscription.updated", "created": 1_800_000_000,
            "data": {"object": {"id": "sub_1", "customer": "cus_1", "status": "past_due", "metadata": {"workspace_id": "w1"},
            "items": {"data": [{"price": {"id": "price_pro"}, "current_period_start": 100, "current_period_end": 200}]}}}});
        let read = read(&event, &stripe).unwrap();
        assert_eq!(
            (read.workspace_id.as_deref(), read.customer.as_deref(), read.created_ms),
            (Some("w1"), Some("cus_1"), 1_800_000_000_000)
        );
        assert_eq!(
            read.effect,
            Effect::Mirrored {
                subscription: "sub_1".into(),
                plan: Some(Plan::Pro),
                status: "past_due",
                period: Some((100_000, 200_000))
            }
        );
        assert!(super::read(&serde_json::json!({"type": "x"}), &stripe).is_none());
    }
}

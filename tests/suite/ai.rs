//! AI generation (SPEC AI-1, AI-2, AI-5, AI-6) against local servers that follow each provider's
//! documented API (tests/src/fake_ai.rs): the chain and its fallbacks, the rest a 429 asks for,
//! the deadline, the static content at the end, the exact prompt returned and stored (never in
//! privacy mode), and credits reserved, settled once and refused when spent.

use herald_tests::fake_ai::{self, AiFault};
use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn generate(api: &Api, user: &User, ws: &str, body: Value) -> Resp {
    api.post(&w(ws, "/ai/posts")).bearer(&user.access).json(body).send().await
}

async fn generated(api: &Api, user: &User, ws: &str, body: Value) -> Value {
    let r = generate(api, user, ws, body).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.data()
}

fn outcomes(post: &Value) -> Vec<String> {
    post["attempts"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| format!("{}:{}", x["provider"].as_str().unwrap_or("?"), x["outcome"].as_str().unwrap_or("?")))
                .collect()
        })
        .unwrap_or_default()
}

async fn ai_credits_used(api: &Api, user: &User, ws: &str) -> i64 {
    let r = api.get(&w(ws, "/billing/subscription")).bearer(&user.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let sub = r.data();
    sub["usage"]
        .as_array()
        .and_then(|u| u.iter().find(|m| m["metric"] == "aiCredits"))
        .map_or(-1, |m| m["used"].as_i64().unwrap_or(-1))
}

/// What a POST of `body` to the workspace's `path` made.
async fn made(api: &Api, owner: &User, ws: &str, path: &str, body: Value) -> Value {
    api.post(&w(ws, path)).bearer(&owner.access).json(body).send().await.data()
}

#[tokio::test]
async fn a_post_comes_from_the_preferred_provider_with_the_exact_prompt_it_was_sent() {
    let api = Api::new();
    let owner = signup(&api, "ai-owner").await;
    let ws = create_workspace(&api, &owner, "AI Studio").await;
    let make = |path: &'static str, body: Value| made(&api, &owner, &ws, path, body);
    let client = make("/clients", json!({"name": "Acme Coffee", "brandProfile": {"voice": "warm and witty", "themes": ["Coffee", "Slow mornings"], "wordsToAvoid": ["cheap"]}})).await;
    let persona = make(
        "/personas",
        json!({"name": "Busy Barista", "profile": {"description": "runs a small cafe", "painPoints": ["long queues"]}}),
    )
    .await;
    let campaign =
        make("/campaigns", json!({"name": "Autumn Roast", "clientId": client["id"], "objective": "launch the roast"}))
            .await;

    // The workspace prefers Anthropic, then OpenAI.
    let r = api
        .request("PUT", &w(&ws, "/ai/settings"))
        .bearer(&owner.access)
        .json(json!({"chain": ["claude", "openai"]}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["effectiveChain"], json!(["claude", "openai"]));
    let providers = r.data()["providers"].clone();
    assert!(
        providers.as_array().is_some_and(|p| p.iter().any(|p| p["name"] == "nokey" && p["available"] == false)),
        "{providers}"
    );
    assert!(!r.body.windows(7).any(|w| w == b"sk-ant-"), "no key ever leaves the server");

    let marker = fake_ai::marker();
    let brief = format!("Announce the autumn roast {marker}");
    let post = generated(
        &api,
        &owner,
        &ws,
        json!({"brief": brief, "platform": "linkedin", "personaId": persona["id"], "campaignId": campaign["id"]}),
    )
    .await;
    assert_eq!((post["provider"].as_str(), post["model"].as_str()), (Some("claude"), Some("claude-test")), "{post}");
    assert_eq!(post["static"], false);
    assert!(post["text"].as_str().is_some_and(|t| t.contains(&marker)), "{post}");
    assert_eq!(outcomes(&post), ["claude:ok"]);
    // The brand of the campaign's client, the persona and the campaign made the prompt.
    let system = post["prompt"]["system"].as_str().unwrap_or_default();
    let user = post["prompt"]["user"].as_str().unwrap_or_default();
    assert!(
        system.contains("Acme Coffee") && system.contains("warm and witty") && system.contains("Never use: cheap"),
        "{system}"
    );
    assert!(system.contains("linkedin") && system.contains("3000"), "{system}");
    assert!(
        user.contains(&brief)
            && user.contains("Autumn Roast")
            && user.contains("Busy Barista")
            && user.contains("long queues"),
        "{user}"
    );
    // What the provider received is exactly what was returned, sent as Anthropic documents it.
    let calls = fake_ai::calls(&marker);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!((calls[0].kind, calls[0].model.as_str()), ("anthropic", "claude-test"));
    assert_eq!(calls[0].body["system"].as_str(), Some(system));
    assert_eq!(calls[0].body["messages"][0]["content"].as_str(), Some(user));
    assert_eq!(post["parameters"]["maxTokens"], calls[0].body["max_tokens"]);
    // 100 tokens in at $30 and 50 out at $150 a million: $0.0105, 11 credits.
    assert_eq!((post["usage"]["tokensIn"].as_i64(), post["usage"]["tokensOut"].as_i64()), (Some(100), Some(50)));
    assert_eq!(post["usage"]["credits"], 11, "{post}");
    assert!((post["usage"]["costUsd"].as_f64().unwrap_or(0.0) - 0.0105).abs() < 1e-9, "{post}");
    assert_eq!(post["stored"], true);

    // Stored as returned, for the one who made it.
    let id = post["generationId"].as_str().unwrap_or_default();
    let r = api.get(&w(&ws, &format!("/ai/generations/{id}"))).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let stored = r.data();
    assert_eq!((stored["status"].as_str(), stored["output"].as_str()), (Some("done"), post["text"].as_str()));
    assert_eq!(stored["prompt"], post["prompt"]);
    assert_eq!(stored["attempts"], post["attempts"]);
    assert_eq!((stored["creditsReserved"].as_i64().unwrap_or(0) >= 11, stored["credits"].as_i64()), (true, Some(11)));
    let page = api.get(&w(&ws, "/ai/generations")).bearer(&owner.access).send().await.data();
    assert_eq!(page["items"][0]["id"], post["generationId"]);

    // The usage report counts it, per member, provider and model.
    let r = api.get(&w(&ws, "/ai/usage")).bearer(&owner.access).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let report = r.data();
    assert_eq!(
        (report["generations"].as_i64(), report["credits"].as_i64(), report["tokensIn"].as_i64()),
        (Some(1), Some(11), Some(100))
    );
    assert_eq!(report["lines"][0]["provider"], "claude");
    assert_eq!(report["lines"][0]["userId"], owner.id.as_str());
    // A period of one's own: from and to as given (a day either side, and a day long ago).
    let day = 24 * 3600 * 1000;
    let now = jiff::Timestamp::now().as_millisecond();
    let at =
        |ms: i64| jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default().replace(':', "%3A");
    let r = api
        .get(&w(&ws, &format!("/ai/usage?from={}&to={}", at(now - day), at(now + day))))
        .bearer(&owner.access)
        .send()
        .await;
    assert_eq!((r.status, r.data()["generations"].as_i64()), (200, Some(1)), "{}", String::from_utf8_lossy(&r.body));
    let r = api
        .get(&w(&ws, &format!("/ai/usage?from={}&to={}", at(now - 3 * day), at(now - 2 * day))))
        .bearer(&owner.access)
        .send()
        .await;
    assert_eq!((r.status, r.data()["generations"].as_i64()), (200, Some(0)), "{}", String::from_utf8_lossy(&r.body));
    let r = api.get(&w(&ws, "/ai/usage?from=yesterday")).bearer(&owner.access).send().await;
    assert_eq!(r.fields(), ["from"]);
    // And the owner's export of their data carries it.
    let export = api.get("/api/v1/users/me/export").bearer(&owner.access).send().await.data();
    let mine = export["aiUsage"].as_array().and_then(|a| a.iter().find(|g| g["id"] == post["generationId"]).cloned());
    let mine = mine.unwrap_or_default();
    assert_eq!((mine["credits"].as_i64(), mine["provider"].as_str()), (Some(11), Some("claude")), "{export}");
    assert!(mine["output"].as_str().is_some_and(|o| o.contains(&marker)), "{mine}");
}

#[tokio::test]
async fn every_failure_moves_down_the_chain_to_static_content_and_each_attempt_is_recorded() {
    let api = Api::new();
    let owner = signup(&api, "ai-chain").await;
    let ws = create_workspace(&api, &owner, "Chain").await;
    let chain = json!(["openai", "claude", "gemini"]);
    let cases: [(&[AiFault], &[AiFault], &[AiFault], [&str; 3]); 3] = [
        (
            &[AiFault::ServerError],
            &[AiFault::Overloaded],
            &[],
            ["openai:serverError", "claude:overloaded", "gemini:ok"],
        ),
        (&[AiFault::InvalidKey], &[AiFault::Refuse], &[], ["openai:invalidKey", "claude:refused", "gemini:ok"]),
        (&[AiFault::Malformed], &[AiFault::Hang(4)], &[], ["openai:malformed", "claude:timeout", "gemini:ok"]),
    ];
    for (openai, claude, gemini, expected) in cases {
        let marker = fake_ai::marker();
        fake_ai::script(&marker, "gpt-test", openai);
        fake_ai::script(&marker, "claude-test", claude);
        fake_ai::script(&marker, "gemini-test", gemini);
        let post = generated(&api, &owner, &ws, json!({"brief": format!("Chain {marker}"), "providers": chain})).await;
        assert_eq!(outcomes(&post), expected, "{post}");
        assert_eq!((post["provider"].as_str(), post["static"].as_bool()), (Some("gemini"), Some(false)));
        assert_eq!(fake_ai::calls(&marker).len(), 3);
        // Only the answer is paid for: 100 × $1 + 50 × $4 a million is under a credit, so one.
        assert_eq!(post["usage"]["credits"], 1, "{post}");
    }
    // A refusal with a reason keeps it.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Refuse]);
    fake_ai::script(&marker, "claude-test", &[AiFault::ServerError]);
    fake_ai::script(&marker, "gemini-test", &[AiFault::Refuse]);
    let brief = format!("Nobody answers {marker}");
    let post = generated(&api, &owner, &ws, json!({"brief": brief, "providers": chain, "platform": "x"})).await;
    assert_eq!(outcomes(&post), ["openai:refused", "claude:serverError", "gemini:refused"], "{post}");
    assert_eq!(post["attempts"][0]["detail"], "I can't help with that.");
    assert_eq!(post["attempts"][1]["status"], 500);
    assert_eq!(post["attempts"][2]["detail"], "SAFETY");
    // Built-in content, marked as such, free.
    assert_eq!((post["static"].as_bool(), post["provider"].as_str()), (Some(true), Some("static")));
    assert!(post["text"].as_str().is_some_and(|t| t.starts_with("Nobody answers")), "{post}");
    assert_eq!((post["usage"]["credits"].as_i64(), post["model"].as_str()), (Some(0), None));
    let id = post["generationId"].as_str().unwrap_or_default();
    let stored = api.get(&w(&ws, &format!("/ai/generations/{id}"))).bearer(&owner.access).send().await.data();
    assert_eq!((stored["status"].as_str(), stored["provider"].as_str()), (Some("static"), Some("static")));
    assert_eq!(stored["attempts"].as_array().map(Vec::len), Some(3));
    // A provider without a key is passed over without a call.
    let marker = fake_ai::marker();
    let post =
        generated(&api, &owner, &ws, json!({"brief": format!("Keyless {marker}"), "providers": ["nokey", "openai"]}))
            .await;
    assert_eq!(outcomes(&post), ["nokey:noKey", "openai:ok"]);
    assert_eq!(fake_ai::calls(&marker).len(), 1);
}

#[tokio::test]
async fn a_provider_that_asks_for_rest_is_passed_over_until_it_has_rested() {
    let api = Api::new();
    let owner = signup(&api, "ai-rest").await;
    let ws = create_workspace(&api, &owner, "Rest").await;
    // `cool` is in no other test's chain: its rest is this test's alone.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-cool", &[AiFault::RateLimited(2)]);
    let body = json!({"brief": format!("Rest {marker}"), "providers": ["cool", "gemini"]});
    let post = generated(&api, &owner, &ws, body.clone()).await;
    assert_eq!(outcomes(&post), ["cool:rateLimited", "gemini:ok"], "{post}");
    assert_eq!(
        (post["attempts"][0]["retryAfterSeconds"].as_i64(), post["attempts"][0]["status"].as_i64()),
        (Some(2), Some(429))
    );
    // Remembered across requests: the next one does not call it.
    let post = generated(&api, &owner, &ws, body.clone()).await;
    assert_eq!(outcomes(&post), ["cool:coolingDown", "gemini:ok"], "{post}");
    let cool_calls = |m: &str| fake_ai::calls(m).iter().filter(|c| c.model == "gpt-cool").count();
    assert_eq!(cool_calls(&marker), 1);
    // Once rested, it is asked again.
    tokio::time::sleep(std::time::Duration::from_millis(2_300)).await;
    let post = generated(&api, &owner, &ws, body).await;
    assert_eq!(outcomes(&post), ["cool:ok"], "{post}");
    assert_eq!(cool_calls(&marker), 2);
}

#[tokio::test]
async fn when_every_provider_hangs_the_deadline_ends_the_chain_with_static_content() {
    let api = Api::new();
    let owner = signup(&api, "ai-hang").await;
    let ws = create_workspace(&api, &owner, "Hang").await;
    let marker = fake_ai::marker();
    for model in ["gpt-test", "claude-test", "gemini-test"] {
        fake_ai::script(&marker, model, &[AiFault::Hang(8)]);
    }
    // Each call may take 1.5 s and the whole generation 4 s (TEST_AI_*): the third call gets what is left.
    let post = generated(
        &api,
        &owner,
        &ws,
        json!({"brief": format!("Hang {marker}"), "providers": ["openai", "claude", "gemini"]}),
    )
    .await;
    let got = outcomes(&post);
    assert_eq!(got[..2], ["openai:timeout", "claude:timeout"], "{post}");
    assert!(got[2] == "gemini:timeout" || got[2] == "gemini:deadline", "{post}");
    assert!(
        post["attempts"][2]["latencyMs"].as_i64().unwrap_or(i64::MAX) < 1_500,
        "the deadline shortened the last call: {post}"
    );
    assert_eq!(post["static"], true);
}

#[tokio::test]
async fn a_text_too_long_for_its_platform_is_asked_again_once_then_cut() {
    let api = Api::new();
    let owner = signup(&api, "ai-long").await;
    let ws = create_workspace(&api, &owner, "Long").await;
    // Asked again, the provider fits.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Long(400)]);
    let post = generated(
        &api,
        &owner,
        &ws,
        json!({"brief": format!("Long {marker}"), "platform": "x", "providers": ["openai"]}),
    )
    .await;
    assert_eq!(outcomes(&post), ["openai:ok", "openai:ok"], "{post}");
    let calls = fake_ai::calls(&marker);
    let again = calls[1].body["messages"][1]["content"].as_str().unwrap_or_default();
    assert!(again.contains("This draft is 400 weighted characters, 120 over x's limit of 280"), "{again}");
    assert_eq!(post["prompt"]["user"].as_str(), Some(again), "the prompt returned is the last one sent");
    assert!(post["text"].as_str().is_some_and(|t| t.contains(&marker)), "{post}");
    assert_eq!(post["warnings"], json!([]));
    // Both calls are paid for: 2 × (100 × $10 + 50 × $20) a million = 4 credits.
    assert_eq!(post["usage"]["credits"], 4);
    // Still too long: cut at the limit, with a warning.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Long(400), AiFault::Long(350)]);
    let post = generated(
        &api,
        &owner,
        &ws,
        json!({"brief": format!("Longer {marker}"), "platform": "x", "providers": ["openai"]}),
    )
    .await;
    let text = post["text"].as_str().unwrap_or_default();
    assert!(!text.is_empty() && text.chars().count() <= 280, "{post}");
    assert_eq!(post["warnings"], json!(["cut from 350 to fit x's limit of 280"]), "{post}");
}

#[tokio::test]
async fn credits_are_reserved_then_settled_once_and_a_spent_workspace_gets_a_clear_error() {
    let api = Api::new();
    let owner = signup(&api, "ai-credits").await;
    let ws = create_workspace(&api, &owner, "Credits").await;
    let r = api
        .request("PUT", &format!("/api/v1/internal/workspaces/{ws}/subscription"))
        .bearer(TEST_TICK_SECRET)
        .json(json!({"plan": "free", "immediately": true}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(ai_credits_used(&api, &owner, &ws).await, 0);
    // About 22 credits are held for the call (the whole output at its price); 2 are spent.
    let post =
        generated(&api, &owner, &ws, json!({"brief": format!("Cheap {}", fake_ai::marker()), "providers": ["openai"]}))
            .await;
    assert_eq!(post["usage"]["credits"], 2);
    assert_eq!(ai_credits_used(&api, &owner, &ws).await, 2, "settled to what it cost, not what was held");
    let id = post["generationId"].as_str().unwrap_or_default();
    let stored = api.get(&w(&ws, &format!("/ai/generations/{id}"))).bearer(&owner.access).send().await.data();
    assert!(stored["creditsReserved"].as_i64().unwrap_or(0) > 2, "{stored}");
    // Claude's whole output could cost more than the free tier's 50 credits: refused before any call.
    let marker = fake_ai::marker();
    let r = generate(&api, &owner, &ws, json!({"brief": format!("Dear {marker}"), "providers": ["claude"]})).await;
    let body = r.expect_error(402, "PLAN_LIMIT_REACHED");
    assert_eq!(body["limit"], json!({"metric": "aiCredits", "plan": "free", "limit": 50, "used": 2}), "{body}");
    assert!(fake_ai::calls(&marker).is_empty(), "no provider was called");
    assert_eq!(ai_credits_used(&api, &owner, &ws).await, 2, "a refused reservation takes nothing");
    // Static content costs nothing.
    let post = generated(&api, &owner, &ws, json!({"brief": "No keys at all", "providers": ["nokey"]})).await;
    assert_eq!((post["static"].as_bool(), post["usage"]["credits"].as_i64()), (Some(true), Some(0)));
    assert_eq!(ai_credits_used(&api, &owner, &ws).await, 2);
}

#[tokio::test]
async fn privacy_mode_returns_the_prompt_and_output_but_stores_neither() {
    let api = Api::new();
    let owner = signup(&api, "ai-private").await;
    let ws = create_workspace(&api, &owner, "Private").await;
    // Outside privacy mode the brief is stored (the check below can see it)…
    let seen = fake_ai::marker();
    generated(&api, &owner, &ws, json!({"brief": format!("Kept {seen}"), "providers": ["openai"]})).await;
    assert_ne!(api.stored_anywhere(&seen).await, Some(false), "a stored prompt is found");
    // …a private request's is not…
    let hidden = fake_ai::marker();
    let post = generated(
        &api,
        &owner,
        &ws,
        json!({"brief": format!("Secret {hidden}"), "providers": ["openai"], "private": true}),
    )
    .await;
    assert_eq!(post["stored"], false);
    assert!(
        post["prompt"]["user"].as_str().is_some_and(|u| u.contains(&hidden))
            && post["text"].as_str().is_some_and(|t| t.contains(&hidden))
    );
    assert_ne!(api.stored_anywhere(&hidden).await, Some(true), "a private prompt or output was stored");
    let id = post["generationId"].as_str().unwrap_or_default();
    let stored = api.get(&w(&ws, &format!("/ai/generations/{id}"))).bearer(&owner.access).send().await.data();
    assert_eq!(
        (stored["prompt"].is_null(), stored["output"].is_null(), stored["private"].as_bool()),
        (true, true, Some(true))
    );
    assert_eq!(stored["credits"], 2, "its usage is still recorded");
    // …and in privacy mode none is.
    let r = api
        .request("PUT", &w(&ws, "/ai/settings"))
        .bearer(&owner.access)
        .json(json!({"privacyMode": true}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let hidden = fake_ai::marker();
    let post = generated(&api, &owner, &ws, json!({"brief": format!("Mode {hidden}"), "providers": ["openai"]})).await;
    assert_eq!(post["stored"], false);
    assert_ne!(api.stored_anywhere(&hidden).await, Some(true), "privacy mode stored a prompt or output");
}

#[tokio::test]
async fn settings_and_generations_keep_to_their_workspace_and_their_people() {
    let api = Api::new();
    let owner = signup(&api, "ai-wall").await;
    let ws = create_workspace(&api, &owner, "Wall").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let other_writer = add_member(&api, &owner, &ws, "writer").await;
    let viewer = add_member(&api, &owner, &ws, "viewer").await;

    // Only owners and admins choose the chain, among this server's providers.
    let settings = w(&ws, "/ai/settings");
    api.request("PUT", &settings)
        .bearer(&writer.access)
        .json(json!({"chain": ["openai"]}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    let r =
        api.request("PUT", &settings).bearer(&owner.access).json(json!({"chain": ["openai", "watson"]})).send().await;
    assert_eq!(r.fields(), ["chain[1]"]);
    let r = api.request("PUT", &settings).bearer(&owner.access).json(json!({"chain": "openai"})).send().await;
    r.expect_error(400, "VALIDATION_ERROR");
    // Viewers do not generate.
    generate(&api, &viewer, &ws, json!({"brief": "hello"})).await.expect_error(403, "FORBIDDEN");
    // Bad input names its fields.
    let r = generate(&api, &writer, &ws, json!({"brief": "  ", "providers": ["nobody"], "clientId": "nope"})).await;
    assert_eq!(r.fields(), ["brief", "clientId", "providers[0]"]);
    let r = generate(&api, &writer, &ws, json!({"brief": "x".repeat(2001)})).await;
    assert_eq!(r.fields(), ["brief"]);
    let r = generate(&api, &writer, &ws, json!({"brief": "hi", "platform": "myspace"})).await;
    r.expect_error(400, "VALIDATION_ERROR");

    // Another workspace's client, and its generations, are out of reach.
    let stranger = signup(&api, "ai-stranger").await;
    let theirs = create_workspace(&api, &stranger, "Theirs").await;
    let their_client =
        api.post(&w(&theirs, "/clients")).bearer(&stranger.access).json(json!({"name": "Rival"})).send().await.data();
    let r =
        generate(&api, &writer, &ws, json!({"brief": "hi", "clientId": their_client["id"], "providers": ["openai"]}))
            .await;
    assert_eq!(r.fields(), ["clientId"]);
    let their_post = generated(
        &api,
        &stranger,
        &theirs,
        json!({"brief": format!("Theirs {}", fake_ai::marker()), "providers": ["openai"]}),
    )
    .await;
    let their_id = their_post["generationId"].as_str().unwrap_or_default();
    api.get(&w(&ws, &format!("/ai/generations/{their_id}")))
        .bearer(&owner.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.get(&w(&theirs, "/ai/generations")).bearer(&owner.access).send().await.expect_error(404, "NOT_FOUND");
    api.get(&w(&theirs, "/ai/usage")).bearer(&owner.access).send().await.expect_error(404, "NOT_FOUND");

    // A writer sees their own generations; owners see everyone's.
    let mine =
        generated(&api, &writer, &ws, json!({"brief": format!("Mine {}", fake_ai::marker()), "providers": ["openai"]}))
            .await;
    let mine_id = mine["generationId"].as_str().unwrap_or_default();
    let path = w(&ws, &format!("/ai/generations/{mine_id}"));
    api.get(&path).bearer(&other_writer.access).send().await.expect_error(404, "NOT_FOUND");
    assert_eq!(api.get(&path).bearer(&writer.access).send().await.status, 200);
    assert_eq!(api.get(&path).bearer(&owner.access).send().await.status, 200);
    let listed = api.get(&w(&ws, "/ai/generations")).bearer(&other_writer.access).send().await.data();
    assert_eq!(listed["items"], json!([]));
    let listed = api.get(&w(&ws, "/ai/generations")).bearer(&owner.access).send().await.data();
    assert_eq!(listed["items"][0]["id"], mine["generationId"]);
    // The usage report is the owners' and admins'.
    api.get(&w(&ws, "/ai/usage")).bearer(&writer.access).send().await.expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn generations_page_newest_first_past_the_largest_page() {
    let api = Api::new();
    let owner = signup(&api, "ai-pages").await;
    let ws = create_workspace(&api, &owner, "Pages").await;
    // Static content (no provider has a key) is quick: 105 generations, more than a page of 100.
    for i in 0..105 {
        generated(&api, &owner, &ws, json!({"brief": format!("Post number {i}"), "providers": ["nokey"]})).await;
    }
    let all = walk_pages(&api, &owner, &w(&ws, "/ai/generations"), 100).await;
    assert_eq!(all.len(), 105);
    let first = all[0]["output"].as_str().unwrap_or_default();
    assert!(first.starts_with("Post number 104"), "{first}");
    refuses_bad_paging(&api, &owner, &w(&ws, "/ai/generations")).await;
}

#[tokio::test]
async fn a_generation_whose_request_died_gives_its_credits_back_once() {
    let api = Api::new();
    if api.is_remote() {
        // Only in process can a test end a request mid-call (dropping it) and move the clock.
        return;
    }
    let owner = signup(&api, "ai-died").await;
    let ws = create_workspace(&api, &owner, "Died").await;
    let r = api
        .request("PUT", &format!("/api/v1/internal/workspaces/{ws}/subscription"))
        .bearer(TEST_TICK_SECRET)
        .json(json!({"plan": "free", "immediately": true}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Hang(8)]);
    let dying = generate(&api, &owner, &ws, json!({"brief": format!("Died {marker}"), "providers": ["openai"]}));
    assert!(tokio::time::timeout(std::time::Duration::from_millis(500), dying).await.is_err(), "the call hangs");
    let held = ai_credits_used(&api, &owner, &ws).await;
    assert!(held > 2, "the reservation is held while the generation runs: {held}");
    let list = api.get(&w(&ws, "/ai/generations")).bearer(&owner.access).send().await.data();
    assert_eq!(list["items"][0]["status"], "running");
    // A tick soon after leaves it (it may still be running); one past its deadline and a minute settles it.
    let tick = |at: i64| api.post("/api/v1/internal/tick").bearer(TEST_TICK_SECRET).at(at).send();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    // Over a database other tests share, their generations may be swept too: count only alone.
    let alone = !api.shares_its_database();
    let r = tick(now).await;
    assert!(!alone || r.data()["generationsAbandoned"] == 0, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(ai_credits_used(&api, &owner, &ws).await, held, "too soon to give it back");
    let r = tick(now + 70_000).await;
    assert!(r.data()["generationsAbandoned"].as_i64().unwrap_or(0) >= 1, "{}", String::from_utf8_lossy(&r.body));
    assert!(!alone || r.data()["generationsAbandoned"] == 1);
    assert_eq!(ai_credits_used(&api, &owner, &ws).await, 0, "every reserved credit is back");
    let r = tick(now + 80_000).await;
    assert!(!alone || r.data()["generationsAbandoned"] == 0);
    assert_eq!(ai_credits_used(&api, &owner, &ws).await, 0, "given back once");
    let list = api.get(&w(&ws, "/ai/generations")).bearer(&owner.access).send().await.data();
    assert_eq!(
        (list["items"][0]["status"].as_str(), list["items"][0]["credits"].as_i64()),
        (Some("abandoned"), Some(0))
    );
}

#[tokio::test]
async fn own_keys_are_checked_sealed_never_shown_and_spend_no_credits() {
    let api = Api::new();
    let owner = signup(&api, "ai-keys").await;
    let ws = create_workspace(&api, &owner, "Own keys").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let key_path = |provider: &str| w(&ws, &format!("/ai/keys/{provider}"));

    // A key the provider refuses is not kept; nor is a malformed one, or one for no provider.
    let r = api
        .request("PUT", &key_path("openai"))
        .bearer(&writer.access)
        .json(json!({"key": "sk-stolen-00000000"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["key"]);
    let r = api.request("PUT", &key_path("openai")).bearer(&writer.access).json(json!({"key": "short"})).send().await;
    assert_eq!(r.fields(), ["key"]);
    api.request("PUT", &key_path("watson"))
        .bearer(&writer.access)
        .json(json!({"key": "sk-own-abcdef1234"}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    // The writer's own OpenAI key: checked, sealed, shown by its last four characters only.
    let own = "sk-own-writer-abcdef1234";
    let r = api.request("PUT", &key_path("openai")).bearer(&writer.access).json(json!({"key": own})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!((r.data()["scope"].as_str(), r.data()["hint"].as_str()), (Some("user"), Some("1234")));
    let listed = api.get(&w(&ws, "/ai/keys")).bearer(&writer.access).send().await;
    assert_eq!(listed.data().as_array().map(Vec::len), Some(1));
    assert!(!String::from_utf8_lossy(&listed.body).contains(own), "a key never leaves the server");
    assert_ne!(api.stored_anywhere(own).await, Some(true), "a key is stored sealed");
    // Only owners and admins set the workspace's key; the owner does not see the writer's.
    let r = api
        .request("PUT", &key_path("gemini"))
        .bearer(&writer.access)
        .json(json!({"key": "AIza-own-team-5678", "scope": "workspace"}))
        .send()
        .await;
    r.expect_error(403, "FORBIDDEN");
    assert_eq!(api.get(&w(&ws, "/ai/keys")).bearer(&owner.access).send().await.data(), json!([]));

    // Out of credits (Claude's whole output costs more than the free tier has), the writer's own key still works.
    let r = api
        .request("PUT", &format!("/api/v1/internal/workspaces/{ws}/subscription"))
        .bearer(TEST_TICK_SECRET)
        .json(json!({"plan": "free", "immediately": true}))
        .send()
        .await;
    assert_eq!(r.status, 200);
    let marker = fake_ai::marker();
    let post =
        generated(&api, &writer, &ws, json!({"brief": format!("Own {marker}"), "providers": ["claude", "openai"]}))
            .await;
    assert_eq!(outcomes(&post), ["claude:noCredits", "openai:ok"], "{post}");
    assert_eq!(post["attempts"][1]["keySource"], "user");
    assert_eq!(post["usage"]["credits"], 0, "an own key takes no credits");
    assert_eq!(ai_credits_used(&api, &owner, &ws).await, 0);
    let calls = fake_ai::calls(&marker);
    assert_eq!((calls.len(), calls[0].key.as_str()), (1, own), "Claude was not called; OpenAI got the writer's key");
    // Without an own key in the chain, the workspace gets the clear error.
    let r = generate(&api, &owner, &ws, json!({"brief": "Owner's turn", "providers": ["claude", "openai"]})).await;
    r.expect_error(402, "PLAN_LIMIT_REACHED");

    // The workspace's key serves every member who has none of their own.
    let r = api
        .request("PUT", &key_path("claude"))
        .bearer(&owner.access)
        .json(json!({"key": "sk-ant-own-team-9876", "scope": "workspace"}))
        .send()
        .await;
    assert_eq!((r.status, r.data()["scope"].as_str()), (200, Some("workspace")));
    let marker = fake_ai::marker();
    let post = generated(&api, &owner, &ws, json!({"brief": format!("Team {marker}"), "providers": ["claude"]})).await;
    assert_eq!(
        (post["attempts"][0]["keySource"].as_str(), post["usage"]["credits"].as_i64()),
        (Some("workspace"), Some(0))
    );
    assert_eq!(fake_ai::calls(&marker)[0].key, "sk-ant-own-team-9876");
    // Forgotten, the operator's key is used again (and charged).
    let r = api.delete(&key_path("openai")).bearer(&writer.access).send().await;
    assert_eq!(r.status, 204);
    let post = generated(
        &api,
        &writer,
        &ws,
        json!({"brief": format!("Again {}", fake_ai::marker()), "providers": ["openai"]}),
    )
    .await;
    assert_eq!(
        (post["attempts"][0]["keySource"].as_str(), post["usage"]["credits"].as_i64()),
        (Some("operator"), Some(2))
    );
    api.delete(&format!("{}?scope=workspace", key_path("claude")))
        .bearer(&writer.access)
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn a_text_is_adapted_to_a_platform_headlined_and_analysed_for_search() {
    let api = Api::new();
    let owner = signup(&api, "ai-tools").await;
    let ws = create_workspace(&api, &owner, "Tools").await;
    let source = "Our autumn roast is here. It is smooth, nutty and a little sweet. Find it in every cafe from Monday.";

    // Adapt: the platform's limit in the prompt, the answer within it.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gemini-test", &[AiFault::Say(format!("Autumn roast is here {marker} #coffee"))]);
    let r = api
        .post(&w(&ws, "/ai/adapt"))
        .bearer(&owner.access)
        .json(json!({"text": format!("{source} {marker}"), "platform": "bluesky", "providers": ["gemini"], "tone": "playful"}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let adapted = r.data();
    assert_eq!((adapted["kind"].as_str(), adapted["provider"].as_str()), (Some("adapt"), Some("gemini")));
    assert_eq!(adapted["text"], format!("Autumn roast is here {marker} #coffee"));
    let system = adapted["prompt"]["system"].as_str().unwrap_or_default();
    assert!(
        system.contains("bluesky") && system.contains("at most 300 graphemes") && system.contains("Tone: playful"),
        "{system}"
    );
    assert_eq!(fake_ai::calls(&marker)[0].body["systemInstruction"]["parts"][0]["text"].as_str(), Some(system));
    // With no provider, the text itself, cut to fit, as static content.
    let long = format!("{} end", "coffee ".repeat(80));
    let r = api
        .post(&w(&ws, "/ai/adapt"))
        .bearer(&owner.access)
        .json(json!({"text": long, "platform": "x", "providers": ["nokey"]}))
        .send()
        .await;
    let adapted = r.data();
    assert_eq!(adapted["static"], true);
    let text = adapted["text"].as_str().unwrap_or_default();
    assert!(long.starts_with(text) && text.chars().count() <= 280, "{adapted}");
    let r = api.post(&w(&ws, "/ai/adapt")).bearer(&owner.access).json(json!({"text": "hello"})).send().await;
    r.expect_error(400, "VALIDATION_ERROR");

    // Headlines: one a line, numbering and quotes taken off, as many as asked.
    let marker = fake_ai::marker();
    fake_ai::script(
        &marker,
        "gpt-test",
        &[AiFault::Say(
            "1. \"Autumn Roast Is Here\"\n2. Smooth, Nutty, Sweet\n\n3. Monday Means Coffee\n4. Extra".into(),
        )],
    );
    let r = api
        .post(&w(&ws, "/ai/headlines"))
        .bearer(&owner.access)
        .json(json!({"text": format!("{source} {marker}"), "count": 3, "providers": ["openai"]}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let h = r.data();
    assert_eq!(h["headlines"], json!(["Autumn Roast Is Here", "Smooth, Nutty, Sweet", "Monday Means Coffee"]), "{h}");
    assert!(h["prompt"]["system"].as_str().is_some_and(|s| s.contains("exactly 3 headlines")));
    let r = api
        .post(&w(&ws, "/ai/headlines"))
        .bearer(&owner.access)
        .json(json!({"text": source, "count": 2, "providers": ["nokey"]}))
        .send()
        .await;
    assert_eq!(r.data()["headlines"], json!(["Our autumn roast is here.", "It is smooth, nutty and a little sweet."]));
    let r = api
        .post(&w(&ws, "/ai/headlines"))
        .bearer(&owner.access)
        .json(json!({"text": source, "count": 11}))
        .send()
        .await;
    assert_eq!(r.fields(), ["count"]);

    // SEO: measured locally, suggestions from the model.
    let marker = fake_ai::marker();
    fake_ai::script(
        &marker,
        "claude-test",
        &[AiFault::Say("- Put \"espresso\" in the first sentence\n- Add a call to action".into())],
    );
    let r = api
        .post(&w(&ws, "/ai/seo"))
        .bearer(&owner.access)
        .json(json!({"text": format!("{source} {marker}"), "keywords": ["autumn roast", "espresso"], "providers": ["claude"]}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let seo = r.data();
    assert_eq!(seo["suggestions"], json!(["Put \"espresso\" in the first sentence", "Add a call to action"]));
    assert_eq!(seo["analysis"]["sentences"], 3, "{seo}");
    assert_eq!(
        seo["analysis"]["keywords"][0],
        json!({"keyword": "autumn roast", "count": 1, "density": seo["analysis"]["keywords"][0]["density"], "inOpening": true})
    );
    assert_eq!(seo["analysis"]["keywords"][1]["count"], 0);
    let user = seo["prompt"]["user"].as_str().unwrap_or_default();
    assert!(user.contains("espresso (0 times)") && user.contains("reading ease"), "{user}");
    // With no provider, the measures' own advice.
    let r = api
        .post(&w(&ws, "/ai/seo"))
        .bearer(&owner.access)
        .json(json!({"text": source, "keywords": ["espresso"], "providers": ["nokey"]}))
        .send()
        .await;
    let seo = r.data();
    assert_eq!(seo["static"], true);
    assert!(
        seo["suggestions"]
            .as_array()
            .is_some_and(|s| s.iter().any(|x| x.as_str().is_some_and(|x| x.contains("\"espresso\" does not appear")))),
        "{seo}"
    );
    let r = api
        .post(&w(&ws, "/ai/seo"))
        .bearer(&owner.access)
        .json(json!({"text": source, "keywords": ["  "]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["keywords"]);
}

#[tokio::test]
async fn prompt_templates_are_versioned_fill_the_prompt_and_are_shared_and_rated_in_a_catalogue() {
    let api = Api::new();
    let owner = signup(&api, "ai-templates").await;
    let ws = create_workspace(&api, &owner, "Templates").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let templates = w(&ws, "/ai/templates");

    // The built-in ones are there from the start, one for posts and one for reels.
    let listed = api.get(&templates).bearer(&writer.access).send().await.data()["items"].clone();
    let builtin: Vec<&str> = listed
        .as_array()
        .map(|l| l.iter().filter(|t| t["scope"] == "system").filter_map(|t| t["kind"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(builtin, ["post", "reel"], "{listed}");
    // Only known variables, and no includes.
    let r = api
        .post(&templates)
        .bearer(&owner.access)
        .json(json!({"name": "Bad", "system": "Hi {{client.secret}}", "prompt": "{{snippet:x}}"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["system", "prompt"]);
    // The workspace's templates are its owners' and admins'; a writer may keep their own.
    let body = json!({"name": "Mine", "system": "You write for {{brand.name}}.", "prompt": "{{brief}}"});
    api.post(&templates).bearer(&writer.access).json(body.clone()).send().await.expect_error(403, "FORBIDDEN");
    let mut own = body.clone();
    own["scope"] = json!("user");
    let r = api.post(&templates).bearer(&writer.access).json(own).send().await;
    assert_eq!((r.status, r.data()["scope"].as_str()), (201, Some("user")));

    let r = api
        .post(&templates)
        .bearer(&owner.access)
        .json(json!({"name": "Launch", "system": "You are {{brand.name}}'s launch writer.\nVoice: {{brand.voice}}", "prompt": "Launch: {{brief}}"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.data()["id"].as_str().unwrap_or_default().to_string();
    let one = w(&ws, &format!("/ai/templates/{id}"));
    let r = api.patch(&one).bearer(&owner.access).json(json!({"prompt": "Launch, loudly: {{brief}}"})).send().await;
    assert_eq!(r.data()["version"], 2);
    let r = api.patch(&one).bearer(&owner.access).json(json!({"name": "Launch day"})).send().await;
    assert_eq!(
        (r.data()["version"].as_i64(), r.data()["name"].as_str()),
        (Some(2), Some("Launch day")),
        "a new name is no new version"
    );
    let versions = api.get(&format!("{one}/versions")).bearer(&writer.access).send().await.data();
    let numbers: Vec<i64> =
        versions.as_array().map(|v| v.iter().filter_map(|x| x["number"].as_i64()).collect()).unwrap_or_default();
    assert_eq!(numbers, [2, 1]);
    api.patch(&one)
        .bearer(&writer.access)
        .json(json!({"name": "Mine now"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");

    // It makes the prompt: a line whose variables are all empty (no voice without a client) is left out.
    let marker = fake_ai::marker();
    let post = generated(
        &api,
        &writer,
        &ws,
        json!({"brief": format!("Roast {marker}"), "templateId": id, "providers": ["openai"]}),
    )
    .await;
    assert_eq!(post["prompt"]["system"], "You are Templates's launch writer.", "{post}");
    assert_eq!(post["prompt"]["user"], format!("Launch, loudly: Roast {marker}"));
    assert_eq!((post["templateId"].as_str(), post["templateVersion"].as_i64()), (Some(id.as_str()), Some(2)));
    let post = generated(
        &api,
        &writer,
        &ws,
        json!({"brief": "Roast", "templateId": id, "templateVersion": 1, "providers": ["nokey"]}),
    )
    .await;
    assert_eq!((post["prompt"]["user"].as_str(), post["templateVersion"].as_i64()), (Some("Launch: Roast"), Some(1)));
    let r = generate(&api, &writer, &ws, json!({"brief": "Roast", "templateId": id, "templateVersion": 7})).await;
    assert_eq!(r.fields(), ["templateVersion"]);
    // The workspace's default for posts, of the right kind only.
    let reel = builtin_id(&listed, "reel");
    let r = api
        .request("PUT", &w(&ws, "/ai/settings"))
        .bearer(&owner.access)
        .json(json!({"defaultPostTemplate": reel}))
        .send()
        .await;
    assert_eq!(r.fields(), ["defaultPostTemplate"]);
    let r = api
        .request("PUT", &w(&ws, "/ai/settings"))
        .bearer(&owner.access)
        .json(json!({"defaultPostTemplate": id}))
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let post = generated(&api, &writer, &ws, json!({"brief": "By default", "providers": ["nokey"]})).await;
    assert_eq!(post["prompt"]["user"], "Launch, loudly: By default");

    // Shared, it is in every workspace's catalogue, with its author; others use and rate it.
    let r =
        api.request("PUT", &format!("{one}/sharing")).bearer(&owner.access).json(json!({"shared": true})).send().await;
    assert_eq!(
        (r.data()["shared"].as_bool(), r.data()["author"].as_str()),
        (Some(true), Some("ai-templates")),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let stranger = signup(&api, "ai-templates-stranger").await;
    let theirs = create_workspace(&api, &stranger, "Elsewhere").await;
    let entry = |catalogue: &Value| {
        catalogue.as_array().and_then(|c| c.iter().find(|e| e["id"] == id.as_str()).cloned()).unwrap_or_default()
    };
    let catalogue = whole_catalogue(&api, &stranger, "kind=post").await;
    assert_eq!(
        (entry(&catalogue)["author"].as_str(), entry(&catalogue)["version"].as_i64()),
        (Some("ai-templates"), Some(2)),
        "{catalogue}"
    );
    let post =
        generated(&api, &stranger, &theirs, json!({"brief": "Borrowed", "templateId": id, "providers": ["nokey"]}))
            .await;
    assert_eq!(post["prompt"]["user"], "Launch, loudly: Borrowed");
    // …but neither change it nor read its history.
    let their_view = w(&theirs, &format!("/ai/templates/{id}"));
    api.patch(&their_view)
        .bearer(&stranger.access)
        .json(json!({"name": "Ours"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.get(&format!("{their_view}/versions")).bearer(&stranger.access).send().await.expect_error(404, "NOT_FOUND");
    let rating = format!("/api/v1/ai/catalogue/{id}/rating");
    for stars in [4, 5] {
        assert_eq!(
            api.request("PUT", &rating).bearer(&stranger.access).json(json!({"stars": stars})).send().await.status,
            204
        );
    }
    assert_eq!(api.request("PUT", &rating).bearer(&owner.access).json(json!({"stars": 3})).send().await.status, 204);
    let r = api.request("PUT", &rating).bearer(&owner.access).json(json!({"stars": 6})).send().await;
    assert_eq!(r.fields(), ["stars"]);
    let catalogue = whole_catalogue(&api, &stranger, "sort=uses").await;
    let e = entry(&catalogue);
    assert_eq!(
        (e["rating"].as_f64(), e["ratings"].as_i64(), e["yourRating"].as_i64()),
        (Some(4.0), Some(2), Some(5)),
        "one rating a user, changeable: {e}"
    );
    assert!(e["uses"].as_i64().unwrap_or(0) >= 4, "{e}");
    let r = api.get("/api/v1/ai/catalogue?sort=best").bearer(&stranger.access).send().await;
    assert_eq!(r.fields(), ["sort"]);
    // Out of the catalogue: nobody else finds, rates or uses it.
    let r =
        api.request("PUT", &format!("{one}/sharing")).bearer(&owner.access).json(json!({"shared": false})).send().await;
    assert_eq!(r.data()["shared"], false);
    let catalogue = whole_catalogue(&api, &stranger, "").await;
    assert_eq!(entry(&catalogue), Value::Null);
    api.request("PUT", &rating)
        .bearer(&stranger.access)
        .json(json!({"stars": 2}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    let r = generate(&api, &stranger, &theirs, json!({"brief": "Again", "templateId": id})).await;
    assert_eq!(r.fields(), ["templateId"]);
    // Deleted by an owner only.
    api.delete(&one).bearer(&writer.access).send().await.expect_error(403, "FORBIDDEN");
    assert_eq!(api.delete(&one).bearer(&owner.access).send().await.status, 204);
    api.get(&one).bearer(&owner.access).send().await.expect_error(404, "NOT_FOUND");
}

/// Every page of the catalogue (`query` besides the paging), at the largest page.
async fn whole_catalogue(api: &Api, user: &User, query: &str) -> Value {
    let mut all = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let r = api
            .get(&format!("/api/v1/ai/catalogue?limit=100&{query}&cursor={cursor}"))
            .bearer(&user.access)
            .send()
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = r.data();
        all.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => return Value::Array(all),
        }
    }
    panic!("the catalogue never ended")
}

#[tokio::test]
async fn the_catalogue_pages_past_its_largest_page_in_rating_and_use_order() {
    let api = Api::new();
    let owner = signup(&api, "ai-catalogue").await;
    let ws = create_workspace(&api, &owner, "Catalogue").await;
    let mut mine = Vec::new();
    for i in 0..101 {
        let r = api
            .post(&w(&ws, "/ai/templates"))
            .bearer(&owner.access)
            .json(json!({"name": format!("Shared {i:03}"), "system": "Be brief.", "prompt": "{{brief}}"}))
            .send()
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let id = r.data()["id"].as_str().unwrap_or_default().to_string();
        let sharing = w(&ws, &format!("/ai/templates/{id}/sharing"));
        let r = api.request("PUT", &sharing).bearer(&owner.access).json(json!({"shared": true})).send().await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        mine.push(id);
    }
    // Three of them rated, differently.
    for (id, stars) in mine.iter().zip([3, 5, 4]) {
        let rating = format!("/api/v1/ai/catalogue/{id}/rating");
        assert_eq!(
            api.request("PUT", &rating).bearer(&owner.access).json(json!({"stars": stars})).send().await.status,
            204
        );
    }
    for order in ["sort=rating", "sort=uses"] {
        let all = whole_catalogue(&api, &owner, order).await;
        let seen: Vec<String> = all
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["id"].as_str().map(String::from))
            .filter(|id| mine.contains(id))
            .collect();
        let mut once = seen.clone();
        once.sort();
        once.dedup();
        assert_eq!((seen.len(), once.len()), (101, 101), "{order}: each shared template once");
        if order == "sort=rating" {
            // Best rated first: 5, then 4, then 3, then the unrated ones.
            assert_eq!(seen[..3], [mine[1].clone(), mine[2].clone(), mine[0].clone()], "{order}");
        }
    }
    // The workspace's own list pages too: the two built-in ones first, then the 101, by id.
    let mut listed = Vec::new();
    let mut cursor = String::new();
    loop {
        let r =
            api.get(&w(&ws, &format!("/ai/templates?limit=100&cursor={cursor}"))).bearer(&owner.access).send().await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = r.data();
        listed.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["nextCursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    let scopes: Vec<&str> = listed.iter().take(3).filter_map(|t| t["scope"].as_str()).collect();
    assert_eq!((listed.len(), scopes), (103, vec!["system", "system", "workspace"]));
    let r = api.get("/api/v1/ai/catalogue?cursor=bogus").bearer(&owner.access).send().await;
    assert_eq!(r.fields(), ["cursor"]);
    let r = api.get("/api/v1/ai/catalogue?limit=101").bearer(&owner.access).send().await;
    assert_eq!(r.fields(), ["limit"]);
}

fn builtin_id(listed: &Value, kind: &str) -> String {
    listed
        .as_array()
        .and_then(|l| l.iter().find(|t| t["scope"] == "system" && t["kind"] == kind))
        .and_then(|t| t["id"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn kinds_of(ideas: &Value) -> Vec<String> {
    ideas
        .as_array()
        .map(|a| a.iter().map(|i| i["kind"].as_str().unwrap_or("?").to_string()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn campaign_ideas_follow_their_schema_in_each_providers_mode_repaired_once_then_the_next_then_static() {
    let api = Api::new();
    let owner = signup(&api, "ai-ideas").await;
    let ws = create_workspace(&api, &owner, "Ideas Lab").await;
    let make = |path: &'static str, body: Value| made(&api, &owner, &ws, path, body);
    let client =
        make("/clients", json!({"name": "Acme Bikes", "brandProfile": {"voice": "plucky", "wordsToAvoid": ["cheap"]}}))
            .await;
    let campaign = make(
        "/campaigns",
        json!({"name": "Ride to Work", "clientId": client["id"], "objective": "more commuters",
            "themes": ["Commuting", "Cargo bikes"], "targetPlatforms": ["instagram", "tiktok"]}),
    )
    .await;
    let cid = campaign["id"].as_str().unwrap_or_default().to_string();
    let path = w(&ws, &format!("/ai/campaigns/{cid}/ideas"));
    let ask = |body: Value| api.post(&path).bearer(&owner.access).json(body).send();

    // Anthropic is made to call a tool whose input schema is the ideas' structure.
    let marker = fake_ai::marker();
    let r =
        ask(json!({"posts": 3, "reels": 2, "brief": format!("Spring push {marker}"), "providers": ["claude"]})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let made = r.data();
    assert_eq!(kinds_of(&made["ideas"]), ["post", "post", "post", "reel", "reel"], "{made}");
    assert_eq!((made["provider"].as_str(), made["static"].as_bool()), (Some("claude"), Some(false)));
    let generation = made["generationId"].as_str().unwrap_or_default().to_string();
    for idea in made["ideas"].as_array().into_iter().flatten() {
        assert_eq!((idea["status"].as_str(), idea["source"].as_str()), (Some("GENERATED"), Some("ai")), "{idea}");
        assert_eq!(idea["generationId"].as_str(), Some(generation.as_str()));
        assert_eq!(idea["platforms"], json!(["instagram", "tiktok"]));
        assert!(
            idea["title"].as_str().is_some_and(|t| t.contains(&marker)) && idea["details"]["callToAction"].is_string()
        );
    }
    let reel = &made["ideas"][3];
    assert!(
        reel["details"]["beats"].as_array().is_some_and(|b| !b.is_empty()) && reel["details"]["durationSeconds"] == 30
    );
    let calls = fake_ai::calls(&marker);
    assert_eq!(calls.len(), 1);
    let sent = &calls[0].body;
    assert_eq!(sent["tool_choice"], json!({"type": "tool", "name": "campaign_ideas"}));
    assert_eq!(sent["tools"][0]["input_schema"]["properties"]["posts"]["minItems"], 3);
    assert_eq!(sent["tools"][0]["input_schema"]["properties"]["reels"]["maxItems"], 2);
    let system = sent["system"].as_str().unwrap_or_default();
    assert!(system.contains("Acme Bikes") && system.contains("Never use: cheap"), "{system}");
    let user = sent["messages"][0]["content"].as_str().unwrap_or_default();
    assert!(
        user.contains("Ride to Work")
            && user.contains("Cargo bikes")
            && user.contains("exactly 3 post ideas and 2 reel")
    );
    // They are the campaign's ideas now, in its workflow, with their structure.
    let listed = api.get(&w(&ws, &format!("/campaigns/{cid}/ideas"))).bearer(&owner.access).send().await.data();
    let listed = listed["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(listed.len(), 5);
    assert!(listed.iter().all(|i| i["source"] == "ai" && i["details"]["format"].is_string()), "{listed:?}");

    // OpenAI's json_schema response format and Gemini's response schema.
    let marker = fake_ai::marker();
    let r = ask(json!({"posts": 1, "reels": 0, "brief": marker, "providers": ["openai"]})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let format = &fake_ai::calls(&marker)[0].body["response_format"];
    assert_eq!((format["type"].as_str(), format["json_schema"]["strict"].as_bool()), (Some("json_schema"), Some(true)));
    let marker = fake_ai::marker();
    let r = ask(json!({"posts": 0, "reels": 1, "brief": marker, "providers": ["gemini"]})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(kinds_of(&r.data()["ideas"]), ["reel"]);
    let config = &fake_ai::calls(&marker)[0].body["generationConfig"];
    assert_eq!(
        (config["responseMimeType"].as_str(), config["responseSchema"]["type"].as_str()),
        (Some("application/json"), Some("OBJECT"))
    );

    // An answer that breaks the schema is asked again once, with its errors; both answers count.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Invalid]);
    let r = ask(json!({"posts": 2, "reels": 1, "brief": marker, "providers": ["openai", "gemini"]})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let made = r.data();
    assert_eq!(outcomes(&made), ["openai:invalidOutput", "openai:ok"], "{made}");
    assert!(made["attempts"][0]["detail"].as_str().is_some_and(|d| d.contains("posts")), "{made}");
    assert_eq!(made["usage"]["tokensIn"], 200, "both answers are accounted for");
    let calls = fake_ai::calls(&marker);
    let repair = calls[1].body["messages"][1]["content"].as_str().unwrap_or_default();
    assert!(repair.contains("does not follow the required structure") && repair.contains("posts"), "{repair}");
    assert_eq!(made["prompt"]["user"].as_str(), Some(repair), "the prompt returned is the one that was answered");

    // Still broken, or not JSON at all: the next provider is asked.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Invalid, AiFault::Say("Sure! Here are some ideas.".into())]);
    let r = ask(json!({"posts": 1, "reels": 1, "brief": marker, "providers": ["openai", "gemini"]})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let made = r.data();
    assert_eq!(outcomes(&made), ["openai:invalidOutput", "openai:invalidOutput", "gemini:ok"], "{made}");
    assert!(made["attempts"][1]["detail"].as_str().is_some_and(|d| d.contains("not JSON")), "{made}");
    assert_eq!(made["provider"], "gemini");

    // No valid answer anywhere: built-in ideas of the same structure, from the campaign's themes.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Invalid, AiFault::Invalid]);
    fake_ai::script(&marker, "claude-test", &[AiFault::Overloaded]);
    let r = ask(json!({"posts": 4, "reels": 2, "brief": marker, "providers": ["openai", "claude"]})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let made = r.data();
    assert_eq!(outcomes(&made), ["openai:invalidOutput", "openai:invalidOutput", "claude:overloaded"]);
    assert_eq!((made["static"].as_bool(), made["provider"].as_str()), (Some(true), Some("static")));
    assert_eq!(kinds_of(&made["ideas"]), ["post", "post", "post", "post", "reel", "reel"]);
    let ideas = made["ideas"].as_array().cloned().unwrap_or_default();
    assert!(ideas.iter().all(|i| i["source"] == "static"));
    assert!(
        ideas[0]["title"].as_str().is_some_and(|t| t.contains("Commuting"))
            && ideas[1]["title"].as_str().is_some_and(|t| t.contains("Cargo bikes"))
    );
    assert!(ideas[4]["details"]["beats"].as_array().is_some_and(|b| b.len() == 4));
    // The operator's key answered (twice, wrongly): that is paid for; the ideas are not.
    assert_eq!(made["usage"]["credits"], 4, "{made}");

    // In privacy mode the ideas are returned, not kept.
    let marker = fake_ai::marker();
    let r = ask(json!({"posts": 1, "reels": 0, "brief": marker, "providers": ["openai"], "private": true})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!((r.data()["stored"].as_bool(), r.data()["ideas"].as_array().map(Vec::len)), (Some(false), Some(1)));
    assert_ne!(api.stored_anywhere(&marker).await, Some(true), "a private idea was kept");

    // Bad input, an archived campaign and another workspace's campaign.
    let r = ask(json!({"posts": 11, "reels": 6, "brief": 5})).await;
    r.expect_error(400, "VALIDATION_ERROR");
    let body = ask(json!({"posts": 11, "reels": 6})).await.expect_error(400, "VALIDATION_ERROR");
    let fields: Vec<&str> =
        body["details"].as_array().into_iter().flatten().filter_map(|d| d["field"].as_str()).collect();
    assert_eq!(fields, ["posts", "reels"], "{body}");
    ask(json!({"posts": 0, "reels": 0})).await.expect_error(400, "VALIDATION_ERROR");
    ask(json!({"personaId": "nope"})).await.expect_error(400, "VALIDATION_ERROR");
    let stranger = signup(&api, "ai-ideas-stranger").await;
    let theirs = create_workspace(&api, &stranger, "Elsewhere").await;
    let r = api
        .post(&w(&theirs, &format!("/ai/campaigns/{cid}/ideas")))
        .bearer(&stranger.access)
        .json(json!({}))
        .send()
        .await;
    r.expect_error(404, "NOT_FOUND");
    let r = api.post(&path).bearer(&stranger.access).json(json!({})).send().await;
    assert!(r.status == 404 || r.status == 403, "{}", r.status);
    let r = api.request("DELETE", &w(&ws, &format!("/campaigns/{cid}"))).bearer(&owner.access).send().await;
    assert!(r.status < 300, "{}", String::from_utf8_lossy(&r.body));
    ask(json!({"posts": 1, "reels": 0})).await.expect_error(409, "CONFLICT");
}

/// The events of a server-sent event stream: name and data.
fn events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter(|e| !e.trim().is_empty())
        .map(|e| {
            let mut name = String::new();
            let mut data = String::new();
            for line in e.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = v.to_string();
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data.push_str(v);
                }
            }
            (name, serde_json::from_str(&data).unwrap_or(Value::Null))
        })
        .collect()
}

/// The deltas' text, and the `done` event's generation.
fn streamed(body: &[u8]) -> (String, Value) {
    let events = events(&String::from_utf8_lossy(body));
    let text: String = events.iter().filter(|(n, _)| n == "delta").filter_map(|(_, d)| d["text"].as_str()).collect();
    let done = events.iter().find(|(n, _)| n == "done").map(|(_, d)| d.clone()).unwrap_or_default();
    (text, done)
}

/// Reads `answer` until its body holds `wanted`, for at most 10 s; what was read.
async fn read_until(answer: &mut reqwest::Response, read: &mut Vec<u8>, wanted: &str) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !String::from_utf8_lossy(read).contains(wanted) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, answer.chunk()).await {
            Ok(Ok(Some(chunk))) => read.extend_from_slice(&chunk),
            _ => return false,
        }
    }
    true
}

#[tokio::test]
async fn a_post_streams_as_server_sent_events_and_is_settled_when_it_ends_or_its_caller_leaves() {
    let api = Api::new();
    let owner = signup(&api, "ai-stream").await;
    let ws = create_workspace(&api, &owner, "Streams").await;
    let path = w(&ws, "/ai/posts");
    let ask =
        |body: Value| api.post(&path).bearer(&owner.access).header("accept", "text/event-stream").json(body).send();

    // Each API's stream, passed on word by word; the whole in `done`, as stored.
    for provider in ["openai", "claude", "gemini"] {
        let marker = fake_ai::marker();
        let r = ask(json!({"brief": format!("Stream {marker}"), "providers": [provider]})).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert!(r.header("content-type").is_some_and(|c| c.starts_with("text/event-stream")), "{:?}", r.headers);
        assert!(r.header("x-request-id").is_some(), "a stream carries what every answer does");
        let (text, done) = streamed(&r.body);
        let deltas = events(&String::from_utf8_lossy(&r.body)).iter().filter(|(n, _)| n == "delta").count();
        assert!(deltas >= 3 && text.contains(&marker), "{provider}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!((done["text"].as_str(), done["provider"].as_str()), (Some(text.as_str()), Some(provider)), "{done}");
        assert_eq!((done["usage"]["tokensIn"].as_i64(), done["usage"]["tokensOut"].as_i64()), (Some(100), Some(50)));
        let calls = fake_ai::calls(&marker);
        assert!(calls.len() == 1 && (provider == "gemini" || calls[0].body["stream"] == true), "{calls:?}");
        let id = done["generationId"].as_str().unwrap_or_default();
        let stored = api.get(&w(&ws, &format!("/ai/generations/{id}"))).bearer(&owner.access).send().await.data();
        assert_eq!((stored["status"].as_str(), stored["output"].as_str()), (Some("done"), Some(text.as_str())));
    }

    // A provider that fails before its first word passes the turn; one that stops mid-answer
    // keeps what it wrote, with a warning.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::ServerError]);
    fake_ai::script(&marker, "claude-test", &[AiFault::Refuse]);
    let r = ask(json!({"brief": format!("Chain {marker}"), "providers": ["openai", "claude", "gemini"]})).await;
    let (text, done) = streamed(&r.body);
    assert_eq!(outcomes(&done), ["openai:serverError", "claude:refused", "gemini:ok"], "{done}");
    assert!(text.contains(&marker));
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Cut]);
    let r = ask(json!({"brief": format!("Cut {marker}"), "providers": ["openai", "gemini"]})).await;
    let (text, done) = streamed(&r.body);
    assert_eq!(done["provider"], "openai", "{done}");
    assert!(!text.is_empty() && !text.contains("shipped"), "only the first words: {text}");
    assert!(done["warnings"][0].as_str().is_some_and(|w| w.contains("stopped")), "{done}");
    // Nobody answers: the built-in post, as one event.
    let r = ask(json!({"brief": "Nobody streams", "providers": ["nokey"]})).await;
    let (text, done) = streamed(&r.body);
    assert_eq!((done["static"].as_bool(), text.starts_with("Nobody streams")), (Some(true), true), "{done}");
    // Refused before anything is streamed: the usual error.
    ask(json!({"brief": ""})).await.expect_error(400, "VALIDATION_ERROR");
    // A retry with the same Idempotency-Key gets the same events, without a second generation.
    let marker = fake_ai::marker();
    let body = json!({"brief": format!("Once {marker}"), "providers": ["claude"]});
    let key = format!("stream-{}", &marker[4..marker.len() - 2]);
    let once = |body: Value| {
        api.post(&path)
            .bearer(&owner.access)
            .header("accept", "text/event-stream")
            .header("idempotency-key", &key)
            .json(body)
            .send()
    };
    let first = once(body.clone()).await;
    let again = once(body).await;
    assert_eq!((first.status, again.status), (200, 200));
    assert_eq!(streamed(&first.body).1["generationId"], streamed(&again.body).1["generationId"]);
    assert!(streamed(&again.body).0.contains(&marker));
    assert_eq!(fake_ai::calls(&marker).len(), 1);

    if !api.streams_as_made() {
        return;
    }
    // The first words arrive while the provider still writes the rest.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Hold]);
    let body = json!({"brief": format!("Live {marker}"), "providers": ["openai"]});
    let call = api.post(&path).bearer(&owner.access).header("accept", "text/event-stream").json(body);
    let mut answer = call.open().await.expect("a served target");
    let mut read = Vec::new();
    assert!(read_until(&mut answer, &mut read, "event: delta").await, "no word before the provider went on");
    assert!(!String::from_utf8_lossy(&read).contains("event: done"));
    fake_ai::release(&marker);
    assert!(read_until(&mut answer, &mut read, "event: done").await);
    let (text, done) = streamed(&read);
    assert_eq!(done["text"].as_str(), Some(text.as_str()));

    // A caller that leaves: the generation is still settled, with what was written and paid for.
    let marker = fake_ai::marker();
    fake_ai::script(&marker, "gpt-test", &[AiFault::Hold]);
    let body = json!({"brief": format!("Leaving {marker}"), "providers": ["openai"]});
    let call = api.post(&path).bearer(&owner.access).header("accept", "text/event-stream").json(body);
    let mut answer = call.open().await.expect("a served target");
    let mut read = Vec::new();
    assert!(read_until(&mut answer, &mut read, "event: delta").await);
    drop(answer);
    fake_ai::release(&marker);
    let mut settled = Value::Null;
    for _ in 0..100 {
        let listed = api.get(&w(&ws, "/ai/generations?limit=10")).bearer(&owner.access).send().await.data();
        let found = listed["items"].as_array().and_then(|items| {
            items.iter().find(|g| g["prompt"]["user"].as_str().is_some_and(|u| u.contains(&marker))).cloned()
        });
        if let Some(g) = found.filter(|g| g["status"] != "running") {
            settled = g;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // (A host that tells the handler the caller left stops the provider there; `wrangler dev`
    // keeps reading the stream, and the whole answer is kept. Either way it is settled once.)
    assert_eq!(settled["status"], "done", "settled after the caller left: {settled}");
    assert!(settled["output"].as_str().is_some_and(|o| o.contains(&marker)), "{settled}");
    assert!(
        settled["credits"].as_i64().unwrap_or(0) >= 1 && settled["tokensOut"].as_i64().unwrap_or(0) >= 1,
        "{settled}"
    );
}

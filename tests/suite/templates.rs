//! Templates, snippets, hashtag groups and signatures (SPEC CT-5): CRUD, validation, the
//! `{{variable}}` renderer over HTTP, what a Client member sees, and the workspace wall.

use herald_tests::*;
use serde_json::{json, Value};

fn w(ws: &str, rest: &str) -> String {
    format!("/api/v1/workspaces/{ws}{rest}")
}

async fn create(api: &Api, user: &User, path: &str, body: Value) -> Value {
    let r = api.post(path).bearer(&user.access).json(body).send().await;
    assert_eq!(r.status, 201, "{path}: {}", String::from_utf8_lossy(&r.body));
    r.data()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|b| b["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn templates_of_every_kind_are_created_listed_edited_and_archived() {
    let api = Api::new();
    let owner = signup(&api, "tpl-crud").await;
    let ws = create_workspace(&api, &owner, "Templates").await;
    let writer = add_member(&api, &owner, &ws, "writer").await;
    let t = create(
        &api,
        &writer,
        &w(&ws, "/templates"),
        json!({"kind": "template", "name": "weekly", "title": "Week {{n}}", "body": "Hello {{name}}",
               "platformTexts": {"x": "Short {{name}}"}, "tags": ["Weekly", "weekly"]}),
    )
    .await;
    assert_eq!(t["kind"], "template");
    assert_eq!(t["platformTexts"], json!({"x": "Short {{name}}"}));
    assert_eq!(t["tags"], json!(["weekly"]));
    assert_eq!((t["text"].is_null(), t["archived"].as_bool()), (true, Some(false)));
    assert_eq!(t["createdBy"], writer.id.as_str());
    let s = create(&api, &writer, &w(&ws, "/templates"), json!({"kind": "snippet", "name": "cta", "text": "Buy now"}))
        .await;
    assert_eq!((s["text"].as_str(), s["body"].is_null()), (Some("Buy now"), true));
    let h = create(
        &api,
        &owner,
        &w(&ws, "/templates"),
        json!({"kind": "hashtag_group", "name": "coffee", "hashtags": ["#coffee", "#beans"]}),
    )
    .await;
    assert_eq!(h["hashtags"], json!(["#coffee", "#beans"]));
    create(&api, &owner, &w(&ws, "/templates"), json!({"kind": "signature", "name": "team", "text": "— The team"}))
        .await;

    let all = api.get(&w(&ws, "/templates")).bearer(&owner.access).send().await.data();
    assert_eq!(names(&all), ["coffee", "team", "cta", "weekly"], "by kind, then name");
    let snippets = api.get(&w(&ws, "/templates?kind=snippet")).bearer(&owner.access).send().await.data();
    assert_eq!(names(&snippets), ["cta"]);
    assert_eq!(api.get(&w(&ws, "/templates?kind=poem")).bearer(&owner.access).send().await.fields(), ["kind"]);
    let page = api.get(&w(&ws, "/templates?limit=3")).bearer(&owner.access).send().await.data();
    assert_eq!((names(&page).len(), page["nextOffset"].as_i64()), (3, Some(3)));

    // The same name is taken once per kind; another kind may use it.
    api.post(&w(&ws, "/templates"))
        .bearer(&owner.access)
        .json(json!({"kind": "snippet", "name": "cta", "text": "Again"}))
        .send()
        .await
        .expect_error(409, "CONFLICT");
    create(&api, &owner, &w(&ws, "/templates"), json!({"kind": "signature", "name": "cta", "text": "Also fine"})).await;

    let path = w(&ws, &format!("/templates/{}", id(&t)));
    let r = api
        .patch(&path)
        .bearer(&writer.access)
        .json(json!({"body": "Hi {{ name }}", "platformTexts": {}, "name": "weekly-v2"}))
        .send()
        .await;
    let d = r.data();
    assert_eq!(
        (d["body"].as_str(), d["title"].as_str(), d["name"].as_str()),
        (Some("Hi {{ name }}"), Some("Week {{n}}"), Some("weekly-v2"))
    );
    assert_eq!(d["platformTexts"], json!({}));
    let r = api.patch(&path).bearer(&writer.access).json(json!({"text": "no", "kind": "snippet"})).send().await;
    assert_eq!(r.fields(), ["kind"], "the kind never changes");
    let r = api.patch(&path).bearer(&writer.access).json(json!({"text": "no"})).send().await;
    assert_eq!(r.fields(), ["text"], "a template has no text");
    assert_eq!(api.get(&path).bearer(&writer.access).send().await.data()["name"], "weekly-v2");

    assert_eq!(api.delete(&path).bearer(&writer.access).send().await.data()["archived"], true);
    let listed = api.get(&w(&ws, "/templates?kind=template")).bearer(&owner.access).send().await.data();
    assert!(names(&listed).is_empty(), "archived blocks leave the default list");
    let archived =
        api.get(&w(&ws, "/templates?kind=template&includeArchived=true")).bearer(&owner.access).send().await.data();
    assert_eq!(names(&archived), ["weekly-v2"]);
    api.patch(&path)
        .bearer(&owner.access)
        .json(json!({"title": "Too late"}))
        .send()
        .await
        .expect_error(409, "CONFLICT");
    // Archiving frees the name.
    create(
        &api,
        &owner,
        &w(&ws, "/templates"),
        json!({"kind": "template", "name": "weekly-v2", "title": "T", "body": "B"}),
    )
    .await;

    let log = api
        .get(&w(&ws, &format!("/activity?entityType=template&entityId={}", id(&t))))
        .bearer(&owner.access)
        .send()
        .await
        .data();
    // Entries made within one millisecond have no order among them: compare as a set.
    let items = log["items"].as_array().unwrap();
    let mut actions: Vec<&str> = items.iter().map(|e| e["action"].as_str().unwrap()).collect();
    actions.sort();
    assert_eq!(actions, ["template.archive", "template.create", "template.update"]);
    let update = items.iter().find(|e| e["action"] == "template.update").unwrap();
    assert_eq!(
        (update["before"]["body"].as_str(), update["actorId"].as_str()),
        (Some("Hello {{name}}"), Some(writer.id.as_str()))
    );

    // Viewers read and render; they write nothing.
    let viewer = add_member(&api, &owner, &ws, "viewer").await;
    assert_eq!(names(&api.get(&w(&ws, "/templates?kind=snippet")).bearer(&viewer.access).send().await.data()), ["cta"]);
    api.post(&w(&ws, "/templates"))
        .bearer(&viewer.access)
        .json(json!({"kind": "snippet", "name": "v", "text": "v"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
    api.delete(&w(&ws, &format!("/templates/{}", id(&s))))
        .bearer(&viewer.access)
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn templates_validation_names_every_field() {
    let api = Api::new();
    let owner = signup(&api, "tpl-valid").await;
    let ws = create_workspace(&api, &owner, "Valid").await;
    let r = api
        .post(&w(&ws, "/templates"))
        .bearer(&owner.access)
        .json(json!({"kind": "template", "name": "two words", "title": " ", "body": "Hi {{ first name }}",
                     "platformTexts": {"myspace": "x", "x": "{{unclosed"}, "hashtags": ["#a"], "clientId": "nope"}))
        .send()
        .await;
    assert_eq!(
        sorted(r.fields()),
        ["body", "clientId", "hashtags", "name", "platformTexts.myspace", "platformTexts.x", "title"]
    );
    let j = r.json();
    let detail = |f: &str| {
        j["details"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["field"] == f)
            .map(|d| d["message"].as_str().unwrap_or("").to_string())
    };
    assert!(detail("platformTexts.x").unwrap().contains("unclosed"), "{j}");
    assert!(detail("hashtags").unwrap().contains("only for hashtag groups"), "{j}");
    let r = api.post(&w(&ws, "/templates")).bearer(&owner.access).json(json!({})).send().await;
    assert_eq!(sorted(r.fields()), ["kind", "name"]);
    let r =
        api.post(&w(&ws, "/templates")).bearer(&owner.access).json(json!({"kind": "poster", "name": "p"})).send().await;
    assert_eq!(r.fields(), ["kind"]);
    let r = api
        .post(&w(&ws, "/templates"))
        .bearer(&owner.access)
        .json(json!({"kind": "snippet", "name": "s"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["text"]);
    let r = api
        .post(&w(&ws, "/templates"))
        .bearer(&owner.access)
        .json(json!({"kind": "snippet", "name": "loop", "text": "again: {{snippet:loop}}"}))
        .send()
        .await;
    assert_eq!(r.fields(), ["text"], "a snippet including itself");
    let r = api
        .post(&w(&ws, "/templates"))
        .bearer(&owner.access)
        .json(json!({"kind": "snippet", "name": "x", "color": 1}))
        .send()
        .await;
    assert_eq!(r.fields(), ["color"]);
}

#[tokio::test]
async fn templates_hashtag_groups_follow_the_hashtag_rules() {
    let api = Api::new();
    let owner = signup(&api, "tpl-tags").await;
    let ws = create_workspace(&api, &owner, "Tags").await;
    let r = api
        .post(&w(&ws, "/templates"))
        .bearer(&owner.access)
        .json(json!({"kind": "hashtag_group", "name": "bad", "hashtags": ["#ok", "nohash", "#two words", "#", "#123", "#dash-ed"]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["hashtags[1]", "hashtags[2]", "hashtags[3]", "hashtags[4]", "hashtags[5]"]);
    let g = create(
        &api,
        &owner,
        &w(&ws, "/templates"),
        json!({"kind": "hashtag_group", "name": "coffee", "hashtags": ["#Coffee", " #coffee", "#café_au_lait", "#COFFEE", "#tag2"]}),
    )
    .await;
    assert_eq!(
        g["hashtags"],
        json!(["#Coffee", "#café_au_lait", "#tag2"]),
        "deduplicated ignoring case, first spelling kept"
    );
    let too_many: Vec<String> = (0..31).map(|i| format!("#t{i}")).collect();
    let r = api
        .post(&w(&ws, "/templates"))
        .bearer(&owner.access)
        .json(json!({"kind": "hashtag_group", "name": "many", "hashtags": too_many}))
        .send()
        .await;
    assert_eq!(r.fields(), ["hashtags"]);
    let r = api
        .post(&w(&ws, "/templates"))
        .bearer(&owner.access)
        .json(json!({"kind": "hashtag_group", "name": "none", "hashtags": []}))
        .send()
        .await;
    assert_eq!(r.fields(), ["hashtags"]);
    let r = api
        .patch(&w(&ws, &format!("/templates/{}", id(&g))))
        .bearer(&owner.access)
        .json(json!({"hashtags": ["#fresh", "stale"]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["hashtags[1]"]);
}

/// `{{date}}` rendered after setting the workspace's time zone to `tz`.
async fn date_in(api: &Api, owner: &User, ws: &str, render: &str, campaign: &Value, tz: &str) -> String {
    let r = api.patch(&w(ws, "")).bearer(&owner.access).json(json!({"timezone": tz})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = json!({"variables": {"headline": "H", "url": "u"}, "campaignId": campaign["id"]});
    let s = api.post(render).bearer(&owner.access).json(body).send().await.data();
    s["body"].as_str().unwrap_or_default().chars().skip("H on ".len()).take(10).collect()
}

#[tokio::test]
async fn templates_render_every_kind_of_variable() {
    let api = Api::new();
    let owner = signup(&api, "tpl-render").await;
    let ws = create_workspace(&api, &owner, "Roastery").await;
    let client = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Bean Co"})).await;
    let campaign =
        create(&api, &owner, &w(&ws, "/campaigns"), json!({"name": "Spring", "clientId": client["id"]})).await;
    let post = |body: Value| api.post(&w(&ws, "/templates")).bearer(&owner.access).json(body);
    assert_eq!(
        post(json!({"kind": "snippet", "name": "cta", "text": "Visit {{client.name}} at {{ url }}"}))
            .send()
            .await
            .status,
        201
    );
    assert_eq!(
        post(json!({"kind": "hashtag_group", "name": "coffee", "hashtags": ["#coffee", "#spring"]}))
            .send()
            .await
            .status,
        201
    );
    assert_eq!(
        post(json!({"kind": "signature", "name": "team", "text": "— {{workspace.name}}"})).send().await.status,
        201
    );
    let t = create(
        &api,
        &owner,
        &w(&ws, "/templates"),
        json!({"kind": "template", "name": "launch", "title": "{{campaign.name}}: {{headline}}",
               "body": "{{headline}} on {{date}}. {{snippet:cta}} {{hashtags:coffee}}\n{{ signature : team }}\nUse \\{{name}} literally.",
               "platformTexts": {"x": "{{headline}} {{hashtags:coffee}}", "linkedin": "{{snippet:cta}}"}}),
    )
    .await;
    let render = w(&ws, &format!("/templates/{}/render", id(&t)));
    let vars = json!({"headline": "New roast", "url": "https://bean.example"});
    let r = api
        .post(&render)
        .bearer(&owner.access)
        .json(json!({"variables": vars, "campaignId": campaign["id"]}))
        .send()
        .await
        .data();
    let date = r["body"].as_str().unwrap()["New roast on ".len().."New roast on ".len() + 10].to_string();
    assert!(date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-', "{r}");
    assert_eq!(r["title"], "Spring: New roast");
    assert_eq!(
        r["body"],
        format!(
            "New roast on {date}. Visit Bean Co at https://bean.example #coffee #spring\n— Roastery\nUse {{{{name}}}} literally."
        )
    );
    assert_eq!(
        r["platformTexts"],
        json!({"x": "New roast #coffee #spring", "linkedin": "Visit Bean Co at https://bean.example"})
    );
    assert_eq!(r["clientId"], client["id"], "the campaign's client");
    assert_eq!(r["variables"], json!(["campaign.name", "headline", "date", "client.name", "url", "workspace.name"]));
    assert_eq!(r["includes"], json!(["snippet:cta", "hashtags:coffee", "signature:team"]));

    // {{date}} is the workspace's day: a day apart at the two ends of the clock.
    let east = date_in(&api, &owner, &ws, &render, &campaign, "Pacific/Kiritimati").await;
    let west = date_in(&api, &owner, &ws, &render, &campaign, "Pacific/Pago_Pago").await;
    assert!(east > west, "UTC+14 is a day or two ahead of UTC-11: {east} vs {west}");

    // A given value wins over a built-in.
    let r = api
        .post(&render)
        .bearer(&owner.access)
        .json(json!({"variables": {"headline": "H", "url": "u", "date": "next Monday"}, "campaignId": campaign["id"]}))
        .send()
        .await
        .data();
    assert!(r["body"].as_str().unwrap().starts_with("H on next Monday."), "{r}");

    // Unknown variables and unavailable built-ins are named, one field each.
    let r = api.post(&render).bearer(&owner.access).json(json!({"variables": {"headline": 7}})).send().await;
    assert_eq!(sorted(r.fields()), ["variables.campaign.name", "variables.client.name", "variables.url"]);
    // Leniently, they stay as written and are listed.
    let r = api
        .post(&render)
        .bearer(&owner.access)
        .json(json!({"variables": {"headline": 7}, "strict": false}))
        .send()
        .await
        .data();
    assert_eq!(r["title"], "{{campaign.name}}: 7");
    assert_eq!(r["unresolved"], json!(["campaign.name", "client.name", "url"]));
    let r = api
        .post(&render)
        .bearer(&owner.access)
        .json(json!({"variables": {"headline": ["x"], "bad name": "y"}, "strict": false}))
        .send()
        .await;
    assert_eq!(sorted(r.fields()), ["variables.bad name", "variables.headline"]);

    // A missing (here: archived) block is an error at the text that includes it.
    let cta = api.get(&w(&ws, "/templates?kind=snippet")).bearer(&owner.access).send().await.data()["items"][0].clone();
    api.delete(&w(&ws, &format!("/templates/{}", id(&cta)))).bearer(&owner.access).send().await.data();
    let r = api
        .post(&render)
        .bearer(&owner.access)
        .json(json!({"variables": vars, "campaignId": campaign["id"]}))
        .send()
        .await;
    assert_eq!(sorted(r.fields()), ["body", "platformTexts.linkedin"]);

    // Rendering a snippet: one level of includes, no cycles.
    let a =
        create(&api, &owner, &w(&ws, "/templates"), json!({"kind": "snippet", "name": "a", "text": "A {{snippet:b}}"}))
            .await;
    create(&api, &owner, &w(&ws, "/templates"), json!({"kind": "snippet", "name": "b", "text": "B {{snippet:a}}"}))
        .await;
    // No body at all is a render without options.
    let r = api.post(&w(&ws, &format!("/templates/{}/render", id(&a)))).bearer(&owner.access).send().await;
    assert_eq!(r.fields(), ["text"]);
    assert!(r.json()["details"][0]["message"].as_str().unwrap().contains("cycle"), "{}", r.json());
}

#[tokio::test]
async fn templates_make_a_post_body_ready_for_posts() {
    let api = Api::new();
    let owner = signup(&api, "tpl-post").await;
    let ws = create_workspace(&api, &owner, "Posts from templates").await;
    let client = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Acme"})).await;
    let t = create(
        &api,
        &owner,
        &w(&ws, "/templates"),
        json!({"kind": "template", "name": "promo", "title": "{{client.name}} promo", "body": "Save {{pct}}%",
               "platformTexts": {"x": "{{pct}}% off"}, "clientId": client["id"]}),
    )
    .await;
    let path = w(&ws, &format!("/templates/{}/posts", id(&t)));
    let r = api.post(&path).bearer(&owner.access).json(json!({})).send().await;
    assert_eq!(r.fields(), ["variables.pct"], "always strict");
    let created = create(&api, &owner, &path, json!({"variables": {"pct": 20}})).await;
    assert_eq!((created["title"].as_str(), created["status"].as_str()), (Some("Acme promo"), Some("draft")));
    assert_eq!((created["body"].as_str(), created["clientId"].as_str()), (Some("Save 20%"), client["id"].as_str()));
    assert_eq!(created["targets"][0]["platform"], "x");
    assert_eq!(created["targets"][0]["text"], "20% off");
    let stored = api.get(&w(&ws, &format!("/posts/{}", id(&created)))).bearer(&owner.access).send().await.data();
    assert_eq!(stored["version"], 1);

    let other = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Other"})).await;
    let r = api
        .post(&path)
        .bearer(&owner.access)
        .json(json!({"variables": {"pct": 1}, "clientId": other["id"]}))
        .send()
        .await;
    assert_eq!(r.fields(), ["clientId"], "a client's template is for that client");
    let r = api.post(&path).bearer(&owner.access).json(json!({"variables": {"pct": 1}, "strict": false})).send().await;
    assert_eq!(r.fields(), ["strict"]);
    let snippet =
        create(&api, &owner, &w(&ws, "/templates"), json!({"kind": "snippet", "name": "s", "text": "s"})).await;
    let r = api
        .post(&w(&ws, &format!("/templates/{}/posts", id(&snippet))))
        .bearer(&owner.access)
        .json(json!({}))
        .send()
        .await;
    assert_eq!(r.fields(), ["templateId"]);
    let viewer = add_member(&api, &owner, &ws, "viewer").await;
    api.post(&path)
        .bearer(&viewer.access)
        .json(json!({"variables": {"pct": 1}}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
}

/// A render names the client and campaign it is for; each must agree with the template's client
/// and with each other, and each problem is reported at its own field, together.
#[tokio::test]
async fn templates_render_for_a_client_and_campaign_that_agree() {
    let api = Api::new();
    let owner = signup(&api, "tpl-agree").await;
    let ws = create_workspace(&api, &owner, "Agree").await;
    let a = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Alpha"})).await;
    let b = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Beta"})).await;
    let b_campaign =
        create(&api, &owner, &w(&ws, "/campaigns"), json!({"name": "Beta launch", "clientId": b["id"]})).await;
    let text = json!({"kind": "template", "title": "T", "body": "{{client.name}} / {{campaign.name}}"});
    let with = |extra: Value| {
        let mut body = text.clone();
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let of_a = create(&api, &owner, &w(&ws, "/templates"), with(json!({"name": "alpha", "clientId": a["id"]}))).await;
    let agency = create(&api, &owner, &w(&ws, "/templates"), with(json!({"name": "agency"}))).await;
    let render = |t: &Value, body: Value| {
        api.post(&w(&ws, &format!("/templates/{}/render", id(t)))).bearer(&owner.access).json(body)
    };
    // Alpha's template for Beta, or with Beta's campaign: refused at the field that disagrees.
    let r = render(&of_a, json!({"clientId": b["id"], "strict": false})).send().await;
    assert_eq!(r.fields(), ["clientId"]);
    let r = render(&of_a, json!({"campaignId": b_campaign["id"], "strict": false})).send().await;
    assert_eq!(r.fields(), ["campaignId"]);
    let r = render(&agency, json!({"clientId": a["id"], "campaignId": b_campaign["id"], "strict": false})).send().await;
    assert_eq!(r.fields(), ["campaignId"]);
    let nowhere = "01900000-0000-7000-8000-000000000000";
    let r = render(&agency, json!({"clientId": nowhere, "campaignId": nowhere, "strict": false})).send().await;
    assert_eq!(r.fields(), ["clientId", "campaignId"]);
    // The agency's template takes its client from the campaign; Alpha's keeps Alpha.
    let r = render(&agency, json!({"campaignId": b_campaign["id"]})).send().await.data();
    assert_eq!((r["body"].as_str(), &r["clientId"]), (Some("Beta / Beta launch"), &b["id"]));
    let r = render(&of_a, json!({"strict": false})).send().await.data();
    assert_eq!((r["body"].as_str(), &r["clientId"]), (Some("Alpha / {{campaign.name}}"), &a["id"]));
}

#[tokio::test]
async fn templates_a_client_member_sees_only_its_clients_blocks() {
    let api = Api::new();
    let owner = signup(&api, "tpl-agency").await;
    let ws = create_workspace(&api, &owner, "Agency").await;
    let mine = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Mine"})).await;
    let theirs = create(&api, &owner, &w(&ws, "/clients"), json!({"name": "Theirs"})).await;
    let post = |body: Value| api.post(&w(&ws, "/templates")).bearer(&owner.access).json(body);
    let my_template = post(json!({"kind": "template", "name": "mine", "title": "T", "body": "{{client.name}} {{snippet:secret}} {{signature:agency}}", "clientId": mine["id"]}))
        .send()
        .await
        .data();
    let their_snippet =
        post(json!({"kind": "snippet", "name": "secret", "text": "Theirs only", "clientId": theirs["id"]}))
            .send()
            .await
            .data();
    assert_eq!(post(json!({"kind": "signature", "name": "agency", "text": "— Agency"})).send().await.status, 201);

    let member = add_member(&api, &owner, &ws, "client").await;
    let r = api
        .post(&w(&ws, &format!("/clients/{}/members", id(&mine))))
        .bearer(&owner.access)
        .json(json!({"userId": member.id}))
        .send()
        .await;
    assert_eq!(r.status, 200);

    let listed = api.get(&w(&ws, "/templates")).bearer(&member.access).send().await.data();
    assert_eq!(names(&listed), ["mine"], "neither another client's nor the agency's blocks");
    api.get(&w(&ws, &format!("/templates/{}", id(&their_snippet))))
        .bearer(&member.access)
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    api.post(&w(&ws, &format!("/templates/{}/render", id(&their_snippet))))
        .bearer(&member.access)
        .json(json!({}))
        .send()
        .await
        .expect_error(404, "NOT_FOUND");
    // Another client's snippet is never pulled into this client's text, whoever renders.
    let render = w(&ws, &format!("/templates/{}/render", id(&my_template)));
    let r = api.post(&render).bearer(&member.access).json(json!({"strict": false})).send().await.data();
    assert_eq!(r["body"], "Mine {{snippet:secret}} — Agency");
    assert_eq!(r["unresolved"], json!(["snippet:secret"]));
    let r = api.post(&render).bearer(&owner.access).json(json!({})).send().await;
    assert_eq!(r.fields(), ["body"]);
    // Nor can a Client member name a client it is not attached to.
    let r =
        api.post(&render).bearer(&member.access).json(json!({"clientId": theirs["id"], "strict": false})).send().await;
    assert_eq!(r.fields(), ["clientId"]);
    api.post(&w(&ws, "/templates"))
        .bearer(&member.access)
        .json(json!({"kind": "snippet", "name": "x", "text": "x"}))
        .send()
        .await
        .expect_error(403, "FORBIDDEN");
}

#[tokio::test]
async fn templates_of_another_workspace_answer_not_found() {
    let api = Api::new();
    let owner = signup(&api, "tpl-wall-a").await;
    let stranger = signup(&api, "tpl-wall-b").await;
    let ws = create_workspace(&api, &owner, "A").await;
    let other_ws = create_workspace(&api, &stranger, "B").await;
    let t =
        create(&api, &owner, &w(&ws, "/templates"), json!({"kind": "snippet", "name": "private", "text": "Private"}))
            .await;
    let tid = id(&t);
    for (method, path) in [
        ("GET", w(&other_ws, &format!("/templates/{tid}"))),
        ("PATCH", w(&other_ws, &format!("/templates/{tid}"))),
        ("DELETE", w(&other_ws, &format!("/templates/{tid}"))),
        ("POST", w(&other_ws, &format!("/templates/{tid}/render"))),
        ("GET", w(&ws, &format!("/templates/{tid}"))),
        ("POST", w(&ws, &format!("/templates/{tid}/render"))),
    ] {
        let body = if method == "PATCH" { json!({"text": "Mine"}) } else { json!({}) };
        let r = api.request(method, &path).bearer(&stranger.access).json(body).send().await;
        r.expect_error(404, "NOT_FOUND");
    }
    // Another workspace's snippet of the same name is not included either.
    let t2 = create(
        &api,
        &stranger,
        &w(&other_ws, "/templates"),
        json!({"kind": "template", "name": "t", "title": "T", "body": "{{snippet:private}}"}),
    )
    .await;
    let r = api
        .post(&w(&other_ws, &format!("/templates/{}/render", id(&t2))))
        .bearer(&stranger.access)
        .json(json!({}))
        .send()
        .await;
    assert_eq!(r.fields(), ["body"]);
    let still = api.get(&w(&ws, &format!("/templates/{tid}"))).bearer(&owner.access).send().await.data();
    assert_eq!((still["text"].as_str(), still["archived"].as_bool()), (Some("Private"), Some(false)));
}

#[tokio::test]
async fn templates_the_tag_filter_matches_whole_tags_only() {
    let api = Api::new();
    let owner = signup(&api, "tpl-tag-filter").await;
    let ws = create_workspace(&api, &owner, "tpl-tag-filter").await;
    let long = "t".repeat(100);
    for (name, tags) in [("weekly", json!(["weekly"])), ("percent", json!(["50%_off"])), ("long", json!([long]))] {
        create(
            &api,
            &owner,
            &w(&ws, "/templates"),
            json!({"kind": "snippet", "name": name, "text": "Hi", "tags": tags}),
        )
        .await;
    }
    let edited =
        create(&api, &owner, &w(&ws, "/templates"), json!({"kind": "snippet", "name": "edited", "text": "Hi"})).await;
    let path = w(&ws, &format!("/templates/{}", id(&edited)));
    let r = api.patch(&path).bearer(&owner.access).json(json!({"tags": ["Retagged"]})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let tagged = |tag: String| {
        let api = &api;
        let path = w(&ws, &format!("/templates?tag={tag}"));
        let access = owner.access.clone();
        async move {
            let r = api.get(&path).bearer(&access).send().await;
            assert_eq!(r.status, 200, "{tag}: {}", String::from_utf8_lossy(&r.body));
            sorted(names(&r.data()))
        }
    };
    assert_eq!(tagged("weekly".into()).await, ["weekly"]);
    assert_eq!(tagged("50%25_off".into()).await, ["percent"]);
    assert_eq!(tagged(long.clone()).await, ["long"]);
    assert_eq!(tagged("retagged".into()).await, ["edited"], "an edit replaces the tags");
    for wildcard in ["%25", "_", "week%25", "%25eekly"] {
        assert!(tagged(wildcard.into()).await.is_empty(), "tag={wildcard} matched");
    }
    assert!(tagged(format!("{long}t")).await.is_empty());
}

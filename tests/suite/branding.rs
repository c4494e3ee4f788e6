//! White-label branding (ContentOS): the workspace's name, logo, colours and support address on
//! its review pages, its sender name and support address on its mails; the keys checked.

use herald_tests::*;
use serde_json::json;

#[tokio::test]
async fn the_review_page_and_the_mails_wear_the_workspaces_brand() {
    let api = Api::new();
    let owner = signup(&api, "brand-owner").await;
    let ws = create_workspace(&api, &owner, "Plain name").await;
    let path = format!("/api/v1/workspaces/{ws}");
    // The known keys are checked, each named; other keys are kept as sent.
    let r = api
        .patch(&path)
        .bearer(&owner.access)
        .json(json!({"branding": {"primaryColor": "red", "supportEmail": "nope", "logoMediaId": "logo.png", "displayName": ""}}))
        .send()
        .await;
    let mut fields = r.fields();
    fields.sort();
    assert_eq!(
        fields,
        ["branding.displayName", "branding.logoMediaId", "branding.primaryColor", "branding.supportEmail"]
    );
    let logo = ready_image(&api, &owner, &ws, "image/png", PNG_1X1).await;
    let brand = json!({"displayName": "Acme Studio", "logoMediaId": logo, "primaryColor": "#FF0066",
        "mailSenderName": "Acme Studio Team", "supportEmail": "help@acme.test", "tagline": "kept"});
    let r = api.patch(&path).bearer(&owner.access).json(json!({"branding": brand})).send().await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.data()["branding"]["tagline"], "kept");

    // The review page shows the brand, not Herald's defaults, and serves the logo.
    let r = api
        .post(&format!("{path}/posts"))
        .bearer(&owner.access)
        .json(json!({"title": "Launch", "body": "Our launch post"}))
        .send()
        .await;
    let post = r.data()["id"].as_str().unwrap_or_default().to_string();
    let r =
        api.post(&format!("{path}/review-links")).bearer(&owner.access).json(json!({"postIds": [post]})).send().await;
    let review = r.data()["path"].as_str().unwrap_or_default().to_string();
    let page = api.get(&review).send().await;
    let html = String::from_utf8_lossy(&page.body).to_string();
    assert!(html.contains("<p class=\"brand-name\">Acme Studio</p>"), "{html}");
    assert!(html.contains("--accent:#ff0066;"), "{html}");
    assert!(html.contains("mailto:help@acme.test"), "{html}");
    assert!(html.contains(&format!("src=\"{review}/media/{logo}\"")), "{html}");
    let image = api.get(&format!("{review}/media/{logo}")).send().await;
    assert_eq!((image.status, image.header("content-type")), (200, Some("image/png")));
    // Only the logo: another image of the library that no post of the link uses stays hidden.
    let other = ready_image(&api, &owner, &ws, "image/png", PNG_1X1).await;
    assert_eq!(api.get(&format!("{review}/media/{other}")).send().await.status, 404);

    // The invitation mail comes from the brand, with its support address to reply to.
    let invitee = unique_email("brand-invitee");
    let r = api
        .post(&format!("{path}/invites"))
        .bearer(&owner.access)
        .json(json!({"email": invitee, "role": "viewer"}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let mails = mailbox(&api, &invitee).await;
    let mail = &mails[0];
    assert_eq!(
        (mail["senderName"].as_str(), mail["replyTo"].as_str()),
        (Some("Acme Studio Team"), Some("help@acme.test"))
    );
    assert!(mail["subject"].as_str().is_some_and(|s| s.contains("Acme Studio")), "{mail}");
    assert!(mail["text"].as_str().is_some_and(|t| t.contains("help@acme.test")), "{mail}");

    // So does a notification mail: a member mentioned in a comment.
    let member = add_member(&api, &owner, &ws, "editor").await;
    let r = api
        .post(&format!("{path}/posts/{post}/comments"))
        .bearer(&owner.access)
        .json(json!({"body": "Have a look", "mentions": [member.id]}))
        .send()
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let mails = mailbox(&api, &member.email).await;
    let mail = mails.iter().find(|m| m["subject"].as_str().is_some_and(|s| s.contains("mentioned"))).cloned();
    let mail = mail.unwrap_or_default();
    assert_eq!(
        (mail["senderName"].as_str(), mail["replyTo"].as_str()),
        (Some("Acme Studio Team"), Some("help@acme.test")),
        "{mails:?}"
    );
    let text = mail["text"].as_str().unwrap_or_default();
    assert!(text.contains("Have a look") && text.contains("Acme Studio") && text.contains("help@acme.test"), "{text}");
}

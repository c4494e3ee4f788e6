//! The review page (SPEC AG-5): what someone holding a review link sees. One small HTML
//! document, rendered on the server, that works without JavaScript: each post's title, its
//! text per platform, its media, its status, its client-visible comments (never internal
//! ones), and — for a post waiting for this review — an Approve form and a Request changes
//! form with a required comment. Every stored text is HTML-escaped.
//!
//! Errors (an unknown, altered, expired or revoked link; a refused decision) answer the JSON
//! error envelope with their status, like every other route.

use super::review_links;
use crate::agency::ideas::{IdeaStatus, IdeaView};
use crate::content::posts::PostView;
use crate::content::status::PostStatus;
use crate::platforms::Platform;
use crate::validate::rfc3339;

/// A file a post shows.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaItem {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub alt_text: Option<String>,
}

/// A client-visible comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub author: String,
    pub body: String,
    pub created_at: String,
}

/// One post as the page shows it.
#[derive(Debug, Clone)]
pub struct Item {
    pub post: PostView,
    /// Its pending request is at the stage this link decides.
    pub decidable: bool,
    /// In review, but at a stage before the link's (the team reviews it first).
    pub waiting_for_team: bool,
    /// A draft whose last review ended with changes requested.
    pub changes_requested: bool,
    pub media: Vec<MediaItem>,
    pub comments: Vec<Comment>,
    /// The handles of the accounts that have a target of their own: (account id, handle).
    pub accounts: Vec<(String, String)>,
}

/// One campaign idea as the page shows it.
#[derive(Debug, Clone)]
pub struct IdeaItem {
    pub idea: IdeaView,
    pub decidable: bool,
    pub waiting_for_team: bool,
    pub comments: Vec<Comment>,
}

pub struct Page<'a> {
    pub token: &'a str,
    pub shared_by: String,
    pub reviewer_name: Option<String>,
    pub expires_at: i64,
    /// The workspace's IANA zone: every time on the page is shown in it.
    pub timezone: String,
    pub items: Vec<Item>,
    pub ideas: Vec<IdeaItem>,
    /// The post a decision was just recorded for, to say so.
    pub decided: Option<String>,
    /// The workspace's white-label brand, and the name its clients see.
    pub brand: crate::workspaces::branding::Brand,
    pub brand_name: String,
}

/// Escapes text for HTML content and for quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn platform_name(p: Platform) -> &'static str {
    match p {
        Platform::X => "X",
        Platform::LinkedIn => "LinkedIn",
        Platform::Facebook => "Facebook",
        Platform::Instagram => "Instagram",
        Platform::Threads => "Threads",
        Platform::TikTok => "TikTok",
        Platform::Bluesky => "Bluesky",
        Platform::Mastodon => "Mastodon",
    }
}

fn status_text(item: &Item) -> &'static str {
    if item.decidable {
        return "Waiting for your review";
    }
    if item.waiting_for_team {
        return "In review by the team first; you can decide once they have approved it";
    }
    if item.changes_requested {
        return "Changes requested";
    }
    match item.post.status {
        PostStatus::Draft => "Draft: being worked on",
        PostStatus::InReview => "In review",
        PostStatus::Approved => "Approved",
        PostStatus::Scheduled => "Approved and scheduled",
        PostStatus::Publishing => "Being published",
        PostStatus::Published => "Published",
        PostStatus::Failed => "Publishing failed",
        PostStatus::Archived => "Archived",
    }
}

fn idea_status_text(item: &IdeaItem) -> &'static str {
    if item.decidable {
        return "Waiting for your review";
    }
    if item.waiting_for_team {
        return "In review by the team first; you can decide once they have approved it";
    }
    match item.idea.status {
        IdeaStatus::Generated => "Proposed",
        IdeaStatus::AgencyApproved => "Approved by the team",
        IdeaStatus::Rejected => "Sent back by the team",
        IdeaStatus::ClientApproved => "Approved",
        IdeaStatus::ClientRejected => "Changes requested",
    }
}

/// "2026-11-30 08:40 CET (Europe/Paris)", in the workspace's zone and naming it, so a client
/// reads the link's expiry and comment times as the agency means them; "… UTC" for UTC.
pub fn human_time(ms: i64, timezone: &str) -> String {
    let zoned =
        jiff::Timestamp::from_millisecond(ms).ok().and_then(|t| crate::zones::get(timezone).map(|tz| t.to_zoned(tz)));
    // Written out rather than through strftime, whose formatter is 13 KB of the Worker.
    let minute = |z: &jiff::Zoned| {
        let t = z.datetime();
        format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month(), t.day(), t.hour(), t.minute())
    };
    match zoned {
        Some(z) if timezone == "UTC" => format!("{} UTC", minute(&z)),
        Some(z) => {
            let info = z.time_zone().to_offset_info(z.timestamp());
            format!("{} {} ({timezone})", minute(&z), info.abbreviation())
        }
        None => {
            let t = rfc3339(ms);
            match t.get(..16) {
                Some(head) => format!("{} UTC", head.replace('T', " ")),
                None => t,
            }
        }
    }
}

const STYLE: &str = "\
:root{color-scheme:light;--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0a5bd3;--ok:#116329;--warn:#9a3412}\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);background:#f6f8fa}\
main{max-width:46rem;margin:0 auto;padding:1rem}\
header.brand{display:flex;align-items:center;gap:.75rem;border-bottom:3px solid var(--accent);padding-bottom:.5rem}\
header.brand .logo{max-height:3rem;max-width:10rem}\
.brand-name{font-weight:600;margin:0}\
h1{font-size:1.5rem;margin:.5rem 0}\
h2{font-size:1.25rem;margin:0 0 .25rem}\
h3{font-size:1rem;margin:1rem 0 .25rem}\
.meta{color:var(--muted);margin:0 0 1rem}\
article{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1rem;margin:1rem 0}\
.status{margin:.25rem 0 0;color:var(--muted)}\
.status strong{color:var(--ink)}\
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0;padding:.5rem .75rem;background:#f6f8fa;border-radius:6px}\
.media{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.5rem}\
.media img{max-width:100%;height:auto;max-height:16rem;border-radius:6px;border:1px solid var(--line)}\
.comments{padding-left:1.25rem}\
.notice{background:#dafbe1;border:1px solid #4ac26b;border-radius:6px;padding:.75rem}\
form{margin:.75rem 0 0}\
label{display:block;font-weight:600;margin-bottom:.25rem}\
textarea{width:100%;font:inherit;padding:.5rem;border:1px solid #8c959f;border-radius:6px}\
button{font:inherit;font-weight:600;min-height:44px;padding:.5rem 1.25rem;border-radius:6px;border:1px solid transparent;cursor:pointer;margin-top:.5rem}\
button.approve{background:var(--ok);color:#fff}\
button.changes{background:#fff;color:var(--warn);border-color:var(--warn)}\
button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}\
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}\
@media (min-width:40rem){.decide{display:flex;gap:1.5rem;align-items:flex-start}.decide form{flex:1}}";

fn render_media(out: &mut String, token: &str, media: &[MediaItem]) {
    if media.is_empty() {
        return;
    }
    out.push_str("<ul class=\"media\">");
    for m in media {
        let src = format!("/review/{}/media/{}", escape(token), escape(&m.id));
        if m.content_type.starts_with("image/") {
            let alt = m.alt_text.as_deref().filter(|a| !a.trim().is_empty()).unwrap_or(&m.filename);
            out.push_str(&format!("<li><img src=\"{src}\" alt=\"{}\" loading=\"lazy\"></li>", escape(alt)));
        } else {
            out.push_str(&format!("<li><a href=\"{src}\">{} (video)</a></li>", escape(&m.filename)));
        }
    }
    out.push_str("</ul>");
}

fn render_comments(out: &mut String, comments: &[Comment]) {
    if comments.is_empty() {
        return;
    }
    out.push_str("<h3>Comments</h3><ul class=\"comments\">");
    for c in comments {
        out.push_str(&format!(
            "<li><strong>{}</strong> <span class=\"meta\">{}</span><p class=\"text\">{}</p></li>",
            escape(&c.author),
            escape(&c.created_at),
            escape(&c.body)
        ));
    }
    out.push_str("</ul>");
}

/// The Approve and Request changes forms of one item: `base` is its review path, `hidden`
/// the name and value of the field that pins what the page showed.
fn render_decide(out: &mut String, base: &str, id: &str, title: &str, hidden: (&str, &str)) {
    let (name, value) = (hidden.0, escape(hidden.1));
    out.push_str("<div class=\"decide\">");
    out.push_str(&format!(
        "<form method=\"post\" action=\"{base}/approve\">\
         <input type=\"hidden\" name=\"{name}\" value=\"{value}\">\
         <button type=\"submit\" class=\"approve\">Approve<span class=\"vh\"> “{title}”</span></button></form>"
    ));
    out.push_str(&format!(
        "<form method=\"post\" action=\"{base}/request-changes\">\
         <input type=\"hidden\" name=\"{name}\" value=\"{value}\">\
         <label for=\"comment-{id}\">What should change?</label>\
         <textarea id=\"comment-{id}\" name=\"comment\" rows=\"3\" maxlength=\"{max}\" required></textarea>\
         <button type=\"submit\" class=\"changes\">Request changes<span class=\"vh\"> to “{title}”</span></button></form>",
        max = review_links::MAX_COMMENT_CHARS
    ));
    out.push_str("</div>");
}

fn render_idea(out: &mut String, token: &str, item: &IdeaItem) {
    let i = &item.idea;
    let id = escape(&i.id);
    out.push_str(&format!("<article id=\"idea-{id}\" aria-labelledby=\"title-{id}\">"));
    let kind = if i.kind == "reel" { "Reel idea" } else { "Post idea" };
    out.push_str(&format!("<p class=\"meta\">{kind}</p><h2 id=\"title-{id}\">{}</h2>", escape(&i.title)));
    out.push_str(&format!(
        "<p class=\"status\">Status: <strong data-status=\"{}\">{}</strong></p>",
        i.status.as_str(),
        escape(idea_status_text(item))
    ));
    for (heading, text) in [("Hook", i.hook.as_deref()), ("Caption", i.caption.as_deref())] {
        if let Some(t) = text {
            out.push_str(&format!("<h3>{heading}</h3><p class=\"text\">{}</p>", escape(t)));
        }
    }
    if !i.hashtags.is_empty() {
        out.push_str(&format!("<h3>Hashtags</h3><p class=\"text\">{}</p>", escape(&i.hashtags.join(" "))));
    }
    if !i.platforms.is_empty() {
        out.push_str(&format!("<p class=\"meta\">For {}</p>", escape(&i.platforms.join(", "))));
    }
    render_comments(out, &item.comments);
    if item.decidable {
        let base = format!("/review/{}/ideas/{id}", escape(token));
        render_decide(out, &base, &id, &escape(&i.title), ("revision", &i.updated_at));
    }
    out.push_str("</article>");
}

fn render_item(out: &mut String, token: &str, item: &Item) {
    let p = &item.post;
    let id = escape(&p.id);
    out.push_str(&format!("<article id=\"post-{id}\" aria-labelledby=\"title-{id}\">"));
    out.push_str(&format!("<h2 id=\"title-{id}\">{}</h2>", escape(&p.title)));
    out.push_str(&format!(
        "<p class=\"status\">Status: <strong data-status=\"{}\">{}</strong></p>",
        p.status.as_str(),
        escape(status_text(item))
    ));
    let body = p.body.as_deref();
    let media_of = |ids: &[String]| -> Vec<MediaItem> {
        ids.iter().filter_map(|m| item.media.iter().find(|x| x.id == *m).cloned()).collect()
    };
    let text_or_note = |text: Option<&str>| match text {
        Some(t) if !t.trim().is_empty() => format!("<p class=\"text\">{}</p>", escape(t)),
        Some(_) => "<p class=\"meta\">No text.</p>".to_string(),
        None => "<p class=\"meta\">The text is not stored by Herald (privacy mode).</p>".to_string(),
    };
    if p.targets.is_empty() {
        out.push_str("<h3>Text</h3>");
        out.push_str(&text_or_note(body));
    }
    for t in &p.targets {
        match t.account_id.as_deref() {
            None => out.push_str(&format!("<h3>{}</h3>", platform_name(t.platform))),
            Some(account) => {
                let handle = item.accounts.iter().find(|(id, _)| id == account).map_or("one account", |(_, h)| h);
                out.push_str(&format!("<h3>{} · {}</h3>", platform_name(t.platform), escape(handle)));
            }
        }
        // Under privacy mode neither the target's text nor the body is stored.
        let text = if p.private { None } else { t.text.as_deref().or(body).or(Some("")) };
        out.push_str(&text_or_note(text));
        render_media(out, token, &media_of(&t.media));
    }
    render_comments(out, &item.comments);
    if item.decidable {
        let base = format!("/review/{}/posts/{id}", escape(token));
        render_decide(out, &base, &id, &escape(&p.title), ("version", &p.version.to_string()));
    }
    out.push_str("</article>");
}

/// The whole page.
pub fn render(page: &Page<'_>) -> String {
    let count = page.items.len() + page.ideas.len();
    let mut out = String::with_capacity(4096);
    out.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    out.push_str("<meta name=\"robots\" content=\"noindex, nofollow\">");
    // The brand's colours are checked `#rrggbb` values: safe inside the style sheet.
    let mut colours = String::new();
    if let Some(c) = &page.brand.primary_color {
        colours.push_str(&format!("--accent:{c};"));
    }
    if let Some(c) = &page.brand.accent_color {
        colours.push_str(&format!("--brand-accent:{c};"));
    }
    out.push_str(&format!(
        "<title>Review {count} item{} · {}</title><style>{STYLE}{}</style></head><body><main>",
        if count == 1 { "" } else { "s" },
        escape(&page.brand_name),
        if colours.is_empty() { String::new() } else { format!(":root{{{colours}}}") },
    ));
    out.push_str("<header class=\"brand\">");
    if let Some(logo) = &page.brand.logo_media_id {
        out.push_str(&format!(
            "<img class=\"logo\" src=\"/review/{}/media/{}\" alt=\"{}\">",
            escape(page.token),
            escape(logo),
            escape(&page.brand_name)
        ));
    }
    out.push_str(&format!("<p class=\"brand-name\">{}</p></header>", escape(&page.brand_name)));
    out.push_str("<h1>Content for your review</h1>");
    let for_whom = page.reviewer_name.as_deref().map(|n| format!(" for {}", escape(n))).unwrap_or_default();
    out.push_str(&format!(
        "<p class=\"meta\">Shared{for_whom} by {} · this link works until {}.</p>",
        escape(&page.shared_by),
        human_time(page.expires_at, &page.timezone)
    ));
    let decided = page.decided.as_ref().and_then(|d| {
        let post = page.items.iter().find(|i| i.post.id == *d).map(|i| &i.post.title);
        post.or_else(|| page.ideas.iter().find(|i| i.idea.id == *d).map(|i| &i.idea.title))
    });
    if let Some(title) = decided {
        out.push_str(&format!(
            "<p class=\"notice\" role=\"status\">Thank you: your decision on “{}” is recorded.</p>",
            escape(title)
        ));
    }
    if count == 0 {
        out.push_str("<p>There is nothing left to review on this link.</p>");
    }
    for item in &page.items {
        render_item(&mut out, page.token, item);
    }
    for idea in &page.ideas {
        render_idea(&mut out, page.token, idea);
    }
    if let Some(support) = &page.brand.support_email {
        out.push_str(&format!(
            "<footer class=\"meta\">Questions? Write to <a href=\"mailto:{0}\">{0}</a>.</footer>",
            escape(support)
        ));
    }
    out.push_str("</main></body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::posts::TargetView;
    use serde_json::Map;

    fn post(id: &str, title: &str, body: Option<&str>, targets: Vec<TargetView>) -> PostView {
        PostView {
            id: id.into(),
            title: title.into(),
            body: body.map(str::to_string),
            content_hash: String::new(),
            status: PostStatus::InReview,
            campaign_id: None,
            client_id: None,
            tags: Vec::new(),
            author_id: "u1".into(),
            version: 4,
            private: body.is_none(),
            targets,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn target(platform: Platform, text: Option<&str>, media: &[&str]) -> TargetView {
        TargetView {
            id: format!("t-{platform}"),
            platform,
            account_id: None,
            text: text.map(str::to_string),
            options: Map::new(),
            media: media.iter().map(|m| m.to_string()).collect(),
        }
    }

    fn page(items: Vec<Item>) -> String {
        render(&Page {
            token: "tok_en-1",
            shared_by: "Ada <Agency>".into(),
            reviewer_name: Some("Zoë & Co".into()),
            expires_at: 1_700_000_000_000,
            timezone: "Europe/Paris".into(),
            items,
            ideas: Vec::new(),
            decided: Some("p1".into()),
            brand: crate::workspaces::branding::Brand {
                logo_media_id: Some("01900000-0000-7000-8000-000000000000".into()),
                primary_color: Some("#ff0066".into()),
                support_email: Some("help@acme.test".into()),
                ..Default::default()
            },
            brand_name: "Acme <Studio>".into(),
        })
    }

    #[test]
    fn the_page_wears_the_workspaces_brand() {
        let html = page(Vec::new());
        assert!(html.contains("<p class=\"brand-name\">Acme &lt;Studio&gt;</p>"), "{html}");
        assert!(html.contains(":root{--accent:#ff0066;}"));
        assert!(html.contains("src=\"/review/tok_en-1/media/01900000-0000-7000-8000-000000000000\""));
        assert!(html.contains("mailto:help@acme.test"));
    }

    fn item(post: PostView, decidable: bool) -> Item {
        Item {
            post,
            decidable,
            waiting_for_team: false,
            changes_requested: false,
            media: Vec::new(),
            comments: Vec::new(),
            accounts: Vec::new(),
        }
    }

    #[test]
    fn the_review_page_escapes_every_stored_text() {
        let evil = "<script>alert('x')</script> & \"quotes\"";
        let mut it = item(post("p1", evil, Some(evil), vec![target(Platform::X, Some(evil), &["m1"])]), true);
        it.media = vec![MediaItem {
            id: "m1".into(),
            filename: "a\"b.png".into(),
            content_type: "image/png".into(),
            alt_text: Some(evil.into()),
        }];
        it.comments = vec![Comment { author: evil.into(), body: evil.into(), created_at: "now".into() }];
        let html = page(vec![it]);
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("alert('x')"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;"));
        assert!(html.contains("Ada &lt;Agency&gt;") && html.contains("Zoë &amp; Co"));
        assert!(html.contains("<img src=\"/review/tok_en-1/media/m1\" alt=\"&lt;script&gt;"));
    }

    #[test]
    fn each_accounts_own_target_is_headed_by_its_handle() {
        let own = |account: &str, text: &str| TargetView {
            id: format!("t-{account}"),
            account_id: Some(account.into()),
            ..target(Platform::Mastodon, Some(text), &[])
        };
        let targets =
            vec![target(Platform::Mastodon, None, &[]), own("a1", "For the shop"), own("a2", "For <the> blog")];
        let mut it = item(post("p1", "Launch", Some("Body"), targets), false);
        it.accounts = vec![("a1".into(), "@shop".into())];
        let html = page(vec![it]);
        assert!(html.contains("<h3>Mastodon</h3><p class=\"text\">Body</p>"), "{html}");
        assert!(html.contains("<h3>Mastodon · @shop</h3><p class=\"text\">For the shop</p>"), "{html}");
        assert!(html.contains("<h3>Mastodon · one account</h3><p class=\"text\">For &lt;the&gt; blog</p>"), "{html}");
    }

    #[test]
    fn times_are_shown_in_the_workspaces_zone_and_name_it() {
        // 2023-11-14T22:13:20Z
        assert_eq!(human_time(1_700_000_000_000, "Europe/Paris"), "2023-11-14 23:13 CET (Europe/Paris)");
        assert_eq!(human_time(1_700_000_000_000, "UTC"), "2023-11-14 22:13 UTC");
        assert_eq!(human_time(1_690_000_000_000, "America/New_York"), "2023-07-22 00:26 EDT (America/New_York)");
        let html = page(Vec::new());
        assert!(html.contains("this link works until 2023-11-14 23:13 CET (Europe/Paris)"), "{html}");
    }

    #[test]
    fn the_review_page_is_accessible_and_needs_no_script() {
        let html = page(vec![item(post("p1", "Launch", Some("Body"), Vec::new()), true)]);
        for needle in [
            "<html lang=\"en\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<h1>",
            "<h2 id=\"title-p1\">Launch</h2>",
            "<label for=\"comment-p1\">What should change?</label>",
            "<textarea id=\"comment-p1\" name=\"comment\"",
            "required",
            ">Approve<span class=\"vh\"> “Launch”</span></button>",
            "action=\"/review/tok_en-1/posts/p1/approve\"",
            "action=\"/review/tok_en-1/posts/p1/request-changes\"",
            "name=\"version\" value=\"4\"",
            "role=\"status\">Thank you: your decision on “Launch” is recorded.",
        ] {
            assert!(html.contains(needle), "missing {needle}: {html}");
        }
        assert!(!html.contains("<script"));
    }

    #[test]
    fn the_review_page_shows_texts_per_platform_and_forms_only_when_decidable() {
        let p = post(
            "p2",
            "Two networks",
            Some("Shared body"),
            vec![target(Platform::LinkedIn, None, &[]), target(Platform::X, Some("Short for X"), &[])],
        );
        let html = page(vec![item(p, false)]);
        assert!(html.contains("<h3>LinkedIn</h3><p class=\"text\">Shared body</p>"), "{html}");
        assert!(html.contains("<h3>X</h3><p class=\"text\">Short for X</p>"));
        assert!(!html.contains("<form"), "not decidable: no forms");
        assert!(!html.contains("Thank you"), "p1 is not on the page");
        let private = page(vec![item(post("p3", "Secret", None, vec![target(Platform::X, None, &[])]), false)]);
        assert!(private.contains("privacy mode"));
    }
}

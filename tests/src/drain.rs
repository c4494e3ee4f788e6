//! Many publications due together on a remote Worker, for the benchmark's drain and the crash
//! test: accounts of a local Mastodon-contract server, posts imported by CSV, each scheduled to
//! up to 20 accounts, all due at one instant; and what became of them, read through the API.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::fakes::FakeMastodon;
use crate::{create_workspace, signup, walk_pages, Api, User};

/// Publications scheduled by [`schedule_due_together`].
pub struct Scheduled {
    pub user: User,
    pub workspace: String,
    pub posts: Vec<String>,
    /// How many publications were made (one per post and account).
    pub count: usize,
    pub due: jiff::Timestamp,
}

/// Connects `accounts` accounts (tokens `{prefix}{n}` of `fake`, made with
/// [`FakeMastodon::start_many`]) and schedules `targets` publications across them, due `lead`
/// after the last is scheduled (more for more posts: scheduling takes a while).
pub async fn schedule_due_together(
    api: &Api,
    fake: &FakeMastodon,
    prefix: &str,
    targets: usize,
    accounts: usize,
    lead: Duration,
) -> Scheduled {
    let user = signup(api, prefix).await;
    let workspace = create_workspace(api, &user, "Due together").await;
    let w = |rest: &str| format!("/api/v1/workspaces/{workspace}{rest}");
    let mut ids = Vec::new();
    for n in 0..accounts {
        let r = api
            .post(&w("/social-accounts"))
            .bearer(&user.access)
            .json(json!({"platform": "mastodon", "instanceUrl": fake.base, "accessToken": format!("{prefix}{n}")}))
            .send()
            .await;
        assert_eq!(r.status, 201, "connect: {}", String::from_utf8_lossy(&r.body));
        ids.push(r.data()["id"].as_str().expect("an account id").to_string());
    }
    // Each post goes to `per_post` accounts: one publication per (target, account).
    let per_post = accounts.min(20);
    let post_count = targets.div_ceil(per_post);
    let mut posts = Vec::new();
    for chunk in 0..post_count.div_ceil(500) {
        let mut csv = String::from("title,body,platforms\n");
        for i in chunk * 500..((chunk + 1) * 500).min(post_count) {
            csv.push_str(&format!("Due {i},Post number {i} of {prefix},mastodon\n"));
        }
        let r = api.post(&w("/posts/import")).bearer(&user.access).typed("text/csv", csv).send().await;
        assert_eq!(r.status, 200, "import: {}", String::from_utf8_lossy(&r.body));
        for row in r.data()["rows"].as_array().expect("imported rows") {
            posts.push(row["postId"].as_str().expect("imported").to_string());
        }
    }
    let lead_ms = lead.as_millis() as i64 + (post_count as i64) * 50;
    let due = jiff::Timestamp::now() + jiff::SignedDuration::from_millis(lead_ms);
    let at = due.to_string();
    let mut count = 0;
    for (b, chunk) in posts.chunks(8).enumerate() {
        let calls = chunk.iter().enumerate().map(|(k, post)| {
            let i = b * 8 + k;
            let chosen: Vec<&String> = (0..per_post).map(|j| &ids[(i * per_post + j) % accounts]).collect();
            let body = json!({"accountIds": chosen, "at": at});
            let path = w(&format!("/posts/{post}/schedule"));
            let user = &user;
            async move { api.post(&path).bearer(&user.access).json(body).send().await }
        });
        for r in join_all(calls).await {
            assert_eq!(r.status, 201, "schedule: {}", String::from_utf8_lossy(&r.body));
            count += r.data().as_array().map_or(0, Vec::len);
        }
    }
    Scheduled { user, workspace, posts, count, due }
}

/// The statuses of a publication that is not done yet.
pub const IN_FLIGHT: [&str; 5] = ["scheduled", "queued", "publishing", "retrying", "unconfirmed"];

impl Scheduled {
    /// How many of the workspace's publications are in `status`.
    pub async fn count_in(&self, api: &Api, status: &str) -> usize {
        let path = format!("/api/v1/workspaces/{}/publications?status={status}", self.workspace);
        walk_pages(api, &self.user, &path, 100).await.len()
    }

    /// How many are not done yet.
    pub async fn in_flight(&self, api: &Api) -> usize {
        let mut n = 0;
        for status in IN_FLIGHT {
            n += self.count_in(api, status).await;
        }
        n
    }

    /// Waits until the due time has passed.
    pub async fn wait_until_due(&self) {
        let wait = (self.due.as_millisecond() - jiff::Timestamp::now().as_millisecond()).max(0) as u64;
        tokio::time::sleep(Duration::from_millis(wait + 200)).await;
    }
}

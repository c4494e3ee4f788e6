//! Slack notices (SPEC CO-4): a workspace names one incoming webhook and the kinds of notices
//! posted to its channel; each notice of those kinds that Herald records is posted there too,
//! as Slack's incoming-webhook contract has it (a JSON `text` in mrkdwn, answered `200 ok`, or
//! an error code such as `no_service` or `channel_is_archived`).
//!
//! The webhook's URL is a user-named URL Herald calls: checked as every such URL
//! (`outbound::server_url`) and, beyond that, Slack's own hosts only (development and tests may
//! name a loopback or private server instead), so that no webhook makes Herald call anywhere
//! else; and a secret, kept sealed. A post that fails is logged and recorded
//! on the hook; it never fails the change the notice reports.

use super::model::{Notice, SlackHook, SlackInput, MAX_WEBHOOK_URL, SLACK_KINDS};
use super::store;
use crate::api::Context;
use crate::error::AppError;
use crate::ports::HttpRequest;
use crate::validate::Fields;

/// The hosts of Slack's incoming webhooks (and of GovSlack's).
const SLACK_HOSTS: &[&str] = &["hooks.slack.com", "hooks.slack-gov.com"];

/// How long a post may take: a notice waits for it in the request that raised it.
const POST_TIMEOUT_MS: u64 = 5_000;

/// A webhook to keep, checked.
pub struct Parsed {
    pub url: String,
    /// The URL's host (and port), the only part of it ever shown.
    pub host: String,
    /// Each once, in the order given.
    pub kinds: Vec<String>,
}

/// Checks the webhook's URL (`allow_private`: development and tests may name loopback over
/// http) and its kinds, naming every field at fault.
pub fn parse(input: SlackInput, allow_private: bool) -> Result<Parsed, AppError> {
    let mut fields = Fields::default();
    let url = fields.take(
        "webhookUrl",
        if input.webhook_url.len() > MAX_WEBHOOK_URL {
            Err(format!("must be at most {MAX_WEBHOOK_URL} characters"))
        } else {
            crate::outbound::server_url(&input.webhook_url, allow_private).and_then(|url| {
                let name = host_name(host_of(&url)).to_ascii_lowercase();
                if SLACK_HOSTS.contains(&name.as_str()) || allow_private && crate::outbound::is_private_host(&name) {
                    Ok(url)
                } else {
                    Err("must be a Slack incoming webhook (https://hooks.slack.com/services/…)".into())
                }
            })
        },
    );
    let kinds = fields.take("kinds", kinds(input.kinds));
    match (url, kinds) {
        (Some(url), Some(kinds)) if fields.is_ok() => Ok(Parsed { host: host_of(&url).to_string(), url, kinds }),
        _ => Err(fields.error()),
    }
}

/// The host and port of a URL `outbound::server_url` checked.
fn host_of(url: &str) -> &str {
    url.split_once("://").map_or("", |(_, rest)| rest).split('/').next().unwrap_or_default()
}

/// A host without its port (an IPv6 address without its brackets).
fn host_name(host: &str) -> &str {
    match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    }
}

fn kinds(input: Vec<String>) -> Result<Vec<String>, String> {
    let mut kinds: Vec<String> = Vec::with_capacity(input.len());
    for kind in input {
        if !SLACK_KINDS.contains(&kind.as_str()) {
            return Err(format!("must each be one of {}", SLACK_KINDS.join(", ")));
        }
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err("must name at least one kind of notice".into());
    }
    Ok(kinds)
}

/// What became of a post.
#[derive(Debug, PartialEq, Eq)]
pub enum Posted {
    Delivered,
    /// The server answered no (its status and words): the webhook is wrong or gone.
    Refused(String),
    /// It could not be reached, timed out, was busy (429) or failed (5xx).
    Unreachable(String),
}

impl Posted {
    /// Why it was not delivered, to keep on the hook.
    fn reason(&self) -> Option<&str> {
        match self {
            Posted::Delivered => None,
            Posted::Refused(r) | Posted::Unreachable(r) => Some(r),
        }
    }
}

/// Posts `text` (mrkdwn) to the webhook at `url`.
pub async fn post(ctx: &Context<'_>, url: &str, text: &str) -> Posted {
    let request = HttpRequest {
        method: "POST".into(),
        url: url.into(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::json!({ "text": text }).to_string().into_bytes(),
    };
    match ctx.http.send_within(request, POST_TIMEOUT_MS).await {
        Ok(r) if (200..300).contains(&r.status) => Posted::Delivered,
        Ok(r) => {
            // The server's own words (Slack's are an error code), short and visible only.
            let words: String = String::from_utf8_lossy(&r.body)
                .chars()
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .take(100)
                .collect();
            let reason = format!("{} {}", r.status, words.trim()).trim_end().to_string();
            if r.status == 429 || r.status >= 500 {
                Posted::Unreachable(reason)
            } else {
                Posted::Refused(reason)
            }
        }
        // The error's text may name the URL, a secret: only its kind is kept.
        Err(crate::ports::HttpError::Timeout) => Posted::Unreachable("timed out".into()),
        Err(_) => Posted::Unreachable("could not be reached".into()),
    }
}

/// Slack's three characters that mrkdwn reads as markup, escaped.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The message for `notice`: its title in bold, then its text.
pub fn message(notice: &Notice<'_>) -> String {
    format!("*{}*\n{}", escaped(&notice.title), escaped(&notice.body))
}

/// The first message, posted when a webhook is saved.
pub fn welcome(kinds: &[String]) -> String {
    format!("Herald will post these notices here: {}.", kinds.join(", "))
}

/// Posts `notice` to the workspace's channel when its webhook takes that kind; a failure is
/// logged, and answered as the write that records it on the hook (sent with the notice's own).
pub async fn announce(
    ctx: &Context<'_>,
    workspace_id: &str,
    hook: &SlackHook,
    notice: &Notice<'_>,
) -> Option<crate::sql::Statement> {
    if !hook.kinds.iter().any(|k| k == notice.kind) {
        return None;
    }
    let Ok(Ok(url)) = ctx.config.token_keys.open(&hook.sealed, workspace_id).map(String::from_utf8) else {
        tracing::warn!(kind = notice.kind, "the Slack webhook cannot be opened (TOKEN_KEYS)");
        return None;
    };
    let posted = post(ctx, &url, &message(notice)).await;
    let reason = posted.reason()?;
    tracing::warn!(kind = notice.kind, reason, "Slack notice not posted");
    Some(store::slack::failed(workspace_id, &hook.sealed, ctx.clock.now_ms(), reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str, kinds: &[&str]) -> SlackInput {
        SlackInput { webhook_url: url.into(), kinds: kinds.iter().map(|k| k.to_string()).collect() }
    }

    #[test]
    fn a_webhook_is_a_public_https_url_with_known_kinds() {
        let ok =
            parse(input("https://hooks.slack.com/services/T1/B2/x3", &["comment.mention", "comment.mention"]), false)
                .unwrap();
        assert_eq!((ok.host.as_str(), ok.kinds.as_slice()), ("hooks.slack.com", &["comment.mention".to_string()][..]));
        let fields = |r: Result<Parsed, AppError>| match r {
            Err(AppError::Validation(e)) => e.into_iter().map(|f| f.field).collect::<Vec<_>>(),
            _ => panic!("refused"),
        };
        assert_eq!(fields(parse(input("http://hooks.slack.com/services/x", &[]), false)), ["webhookUrl", "kinds"]);
        assert_eq!(fields(parse(input("https://169.254.169.254/latest", &["nope"]), false)), ["webhookUrl", "kinds"]);
        let long = format!("https://hooks.slack.com/{}", "a".repeat(MAX_WEBHOOK_URL));
        assert_eq!(fields(parse(input(&long, &["idea.requested"]), false)), ["webhookUrl"]);
        assert!(parse(input("http://127.0.0.1:9/hook", &["idea.requested"]), true).is_ok());
        assert!(parse(input("https://hooks.slack-gov.com/services/x", &["idea.requested"]), false).is_ok());
        // Nowhere but Slack, also where private servers are allowed.
        for elsewhere in
            ["https://example.com/services/x", "https://hooks.slack.com.evil.test/x", "https://slack.com/x"]
        {
            assert_eq!(fields(parse(input(elsewhere, &["idea.requested"]), true)), ["webhookUrl"], "{elsewhere}");
        }
    }

    #[test]
    fn a_message_escapes_what_slack_reads_as_markup() {
        let notice = Notice {
            kind: "comment.mention",
            title: "A & B".into(),
            body: "<!channel> see <https://x|y>".into(),
            subject_type: "post",
            subject_id: "p",
        };
        assert_eq!(message(&notice), "*A &amp; B*\n&lt;!channel&gt; see &lt;https://x|y&gt;");
    }
}

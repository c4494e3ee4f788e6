//! Notifications (SPEC CO-4, in-app, email and Slack): written when a post is submitted, decided
//! or a member is mentioned; listed, counted and marked read by their recipient, and posted to
//! the workspace's Slack channel when it takes their kind (`slack`). A notification is a side
//! effect: it is written after the change it reports, and its failure is logged, never undoing
//! or failing that change.

pub use super::model::{MailFrom, Notice, Recipients, SlackHook};

use super::store;
pub use super::store::notifications::{addresses_of, member_addresses_read};
use crate::api::{Call, Context};
use crate::identity::users;
use crate::mail::MailMessage;
use crate::sql::Statement;

/// Records `notice` for each recipient (never the actor) and mails it to them.
pub async fn notify(ctx: &Context<'_>, call: &Call<'_>, workspace_id: &str, recipients: &[String], notice: Notice<'_>) {
    let actor = call.caller.as_ref().map(|c| c.user_id.as_str()).unwrap_or_default();
    notify_from(ctx, actor, workspace_id, recipients, notice).await
}

/// [`notify`] for work no request made (the publisher): `actor` is left out of the recipients.
pub async fn notify_from(
    ctx: &Context<'_>,
    actor: &str,
    workspace_id: &str,
    recipients: &[String],
    notice: Notice<'_>,
) {
    let to = recipients_of(actor, recipients.iter());
    if to.is_empty() {
        return;
    }
    // Every recipient's address, and the workspace's brand (and Slack webhook), in one round trip.
    let mut reads = vec![store::notifications::from_read(workspace_id)];
    reads.extend(users::emails_among(&to));
    let (from, addresses) = match ctx.db.reads(&reads).await {
        Ok(answers) => {
            let from = store::notifications::from_of(answers.first().map_or(&[][..], Vec::as_slice));
            let addresses = answers.iter().skip(1).flatten().filter_map(|row| row.text("email").ok()).collect();
            (from, addresses)
        }
        Err(e) => {
            tracing::warn!(cause = %e, "notification recipients unreadable");
            record(ctx, workspace_id, &to, &notice, None).await;
            return;
        }
    };
    if record(ctx, workspace_id, &to, &notice, from.slack.as_ref()).await {
        mail(ctx, addresses, &from, &notice).await
    }
}

/// [`notify`] to recipients whose addresses were read already (`recipients`: user id and
/// address): no read of its own.
pub async fn notify_addressed(
    ctx: &Context<'_>,
    call: &Call<'_>,
    workspace_id: &str,
    recipients: &Recipients,
    notice: Notice<'_>,
) {
    let actor = call.caller.as_ref().map(|c| c.user_id.as_str()).unwrap_or_default();
    let to = recipients_of(actor, recipients.people.iter().map(|(id, _)| id));
    if !record(ctx, workspace_id, &to, &notice, recipients.from.slack.as_ref()).await {
        return;
    }
    let addresses =
        recipients.people.iter().filter(|(id, _)| to.contains(id)).map(|(_, email)| email.clone()).collect();
    mail(ctx, addresses, &recipients.from, &notice).await
}

/// The recipients, each once, never the actor.
fn recipients_of<'a>(actor: &str, recipients: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut to: Vec<String> = recipients.filter(|r| r.as_str() != actor).cloned().collect();
    to.sort();
    to.dedup();
    to
}

/// Posts `notice` to the workspace's Slack channel when `slack` takes its kind, then writes it
/// for each of `to` in one batch (with the post's failure, if it failed); false when there is
/// none to write or the write failed (logged).
async fn record(
    ctx: &Context<'_>,
    workspace_id: &str,
    to: &[String],
    notice: &Notice<'_>,
    slack: Option<&SlackHook>,
) -> bool {
    if to.is_empty() {
        return false;
    }
    let failed = match slack {
        Some(hook) => super::slack::announce(ctx, workspace_id, hook, notice).await,
        None => None,
    };
    let now = ctx.clock.now_ms();
    let statements: Vec<Statement> = to
        .iter()
        .map(|user| store::notifications::insert(ctx.new_id(), workspace_id, user.as_str(), notice, now))
        .chain(failed)
        .collect();
    if let Err(e) = ctx.db.batch(&statements).await {
        tracing::error!(cause = %e, kind = notice.kind, "notifications not recorded");
        return false;
    }
    true
}

/// Mails `notice` to each address, from the workspace as its brand shows it (its name, sender
/// name and support address); a mail that cannot go is logged.
async fn mail(ctx: &Context<'_>, addresses: Vec<String>, from: &MailFrom, notice: &Notice<'_>) {
    let signed = if from.workspace.is_empty() { String::new() } else { format!("\n— {}\n", from.workspace) };
    let questions = from.reply_to.as_deref().map(|s| format!("Questions? Write to {s}.\n")).unwrap_or_default();
    for email in addresses {
        let message = MailMessage {
            to: email,
            subject: notice.title.clone(),
            text: format!("{}\n{signed}{questions}", notice.body),
            sender_name: from.sender_name.clone(),
            reply_to: from.reply_to.clone(),
        };
        if let Err(e) = ctx.mail.send(&message).await {
            tracing::warn!(cause = %e, kind = notice.kind, "notification mail not sent");
        }
    }
}

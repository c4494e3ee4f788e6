//! Notifications (SPEC CO-4, in-app and email): written when a post is submitted, decided or a
//! member is mentioned; listed, counted and marked read by their recipient. A notification is
//! a side effect: it is written after the change it reports, and its failure is logged, never
//! undoing or failing that change.

pub use super::model::Notice;

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
    if !record(ctx, workspace_id, &to, &notice).await {
        return;
    }
    // Every recipient's address in one round trip, however many they are.
    let addresses = match ctx.db.reads(&users::emails_among(&to)).await {
        Ok(answers) => answers.into_iter().flatten().filter_map(|row| row.text("email").ok()).collect::<Vec<_>>(),
        Err(e) => return tracing::warn!(cause = %e, "notification recipients unreadable"),
    };
    mail(ctx, addresses, &notice).await
}

/// [`notify`] to recipients whose addresses were read already (`recipients`: user id and
/// address): no read of its own.
pub async fn notify_addressed(
    ctx: &Context<'_>,
    call: &Call<'_>,
    workspace_id: &str,
    recipients: &[(String, String)],
    notice: Notice<'_>,
) {
    let actor = call.caller.as_ref().map(|c| c.user_id.as_str()).unwrap_or_default();
    let to = recipients_of(actor, recipients.iter().map(|(id, _)| id));
    if !record(ctx, workspace_id, &to, &notice).await {
        return;
    }
    let addresses = recipients.iter().filter(|(id, _)| to.contains(id)).map(|(_, email)| email.clone()).collect();
    mail(ctx, addresses, &notice).await
}

/// The recipients, each once, never the actor.
fn recipients_of<'a>(actor: &str, recipients: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut to: Vec<String> = recipients.filter(|r| r.as_str() != actor).cloned().collect();
    to.sort();
    to.dedup();
    to
}

/// Writes `notice` for each of `to` in one batch; false when there is none to write or the
/// write failed (logged).
async fn record(ctx: &Context<'_>, workspace_id: &str, to: &[String], notice: &Notice<'_>) -> bool {
    if to.is_empty() {
        return false;
    }
    let now = ctx.clock.now_ms();
    let statements: Vec<Statement> = to
        .iter()
        .map(|user| store::notifications::insert(ctx.new_id(), workspace_id, user.as_str(), notice, now))
        .collect();
    if let Err(e) = ctx.db.batch(&statements).await {
        tracing::error!(cause = %e, kind = notice.kind, "notifications not recorded");
        return false;
    }
    true
}

/// Mails `notice` to each address; a mail that cannot go is logged.
async fn mail(ctx: &Context<'_>, addresses: Vec<String>, notice: &Notice<'_>) {
    for email in addresses {
        let message = MailMessage {
            to: email,
            subject: notice.title.clone(),
            text: format!("{}\n", notice.body),
            ..Default::default()
        };
        if let Err(e) = ctx.mail.send(&message).await {
            tracing::warn!(cause = %e, kind = notice.kind, "notification mail not sent");
        }
    }
}

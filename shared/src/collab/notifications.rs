//! Notifications (SPEC CO-4, in-app and email): written when a post is submitted, decided or a
//! member is mentioned; listed, counted and marked read by their recipient. A notification is
//! a side effect: it is written after the change it reports, and its failure is logged, never
//! undoing or failing that change.

pub use super::model::Notice;

use super::store;
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
    let mut to: Vec<String> = recipients.iter().filter(|r| r.as_str() != actor).cloned().collect();
    to.sort();
    to.dedup();
    if to.is_empty() {
        return;
    }
    let now = ctx.clock.now_ms();
    let statements: Vec<Statement> = to
        .iter()
        .map(|user| store::notifications::insert(ctx.new_id(), workspace_id, user.as_str(), &notice, now))
        .collect();
    if let Err(e) = ctx.db.batch(&statements).await {
        tracing::error!(cause = %e, kind = notice.kind, "notifications not recorded");
        return;
    }
    // Every recipient's address in one round trip, however many they are.
    let addresses = match ctx.db.reads(&users::emails_among(&to)).await {
        Ok(answers) => answers.into_iter().flatten().collect::<Vec<_>>(),
        Err(e) => return tracing::warn!(cause = %e, "notification recipients unreadable"),
    };
    for row in addresses {
        let Ok(email) = row.text("email") else { continue };
        let message = MailMessage { to: email, subject: notice.title.clone(), text: format!("{}\n", notice.body) };
        if let Err(e) = ctx.mail.send(&message).await {
            tracing::warn!(cause = %e, kind = notice.kind, "notification mail not sent");
        }
    }
}

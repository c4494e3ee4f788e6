//! The only SQL on `invites`. Only a token's hash is stored; an invitation is never stronger
//! than whoever sent it, and the statements that spend one check that inside themselves.

use super::role_of;
use crate::api::paging::{self, ById, Page};
use crate::error::AppError;
use crate::params;
use crate::sql::{Row, Sql, Statement};
use crate::validate::rfc3339;
use crate::workspaces::model::InviteView;
use crate::workspaces::permissions::{Permission, Role};

const VIEW: &str = "SELECT id, workspace_id, email, role, expires_at, created_at FROM invites";

fn decode(r: &Row) -> Result<InviteView, AppError> {
    Ok(InviteView {
        id: r.text("id")?,
        workspace_id: r.text("workspace_id")?,
        email: r.text("email")?,
        role: role_of(r)?,
        expires_at: rfc3339(r.int("expires_at")?),
        created_at: rfc3339(r.int("created_at")?),
    })
}

/// The reads an invitation's mail needs, to send in one round trip: the workspace's name, then
/// the inviter's; [`names_of`] reads their answers.
pub fn mail_reads(workspace_id: &str, inviter_id: &str) -> Vec<Statement> {
    vec![
        Statement::new("SELECT name, branding FROM workspaces WHERE id = ?1", params![workspace_id]),
        Statement::new("SELECT name FROM users WHERE id = ?1", params![inviter_id]),
    ]
}

/// The workspace's name (as its brand shows it), its brand and the inviter's name from
/// [`mail_reads`]' answers (an inviter without a name reads as empty); none when the workspace
/// is gone.
pub fn names_of(answers: &[Vec<Row>]) -> Result<Option<Named>, AppError> {
    let name = |i: usize| -> Result<Option<String>, AppError> {
        Ok(answers.get(i).and_then(|rows| rows.first()).map(|r| r.text("name")).transpose()?)
    };
    let Some((workspace, brand)) = super::brand_of(answers.first().map_or(&[][..], Vec::as_slice))? else {
        return Ok(None);
    };
    let inviter = name(1).ok().flatten().unwrap_or_default();
    Ok(Some(Named { workspace: brand.name_or(&workspace).to_string(), brand, inviter }))
}

/// Who an invitation mail is from: the workspace as its clients see it, and the inviter.
pub struct Named {
    pub workspace: String,
    pub brand: crate::workspaces::branding::Brand,
    pub inviter: String,
}

/// The read that finds whether the account of an address (`email`, or the `legacy` form it had
/// before addresses were normalized, as `users::by_email` picks) is a member of the workspace:
/// a row when it is.
pub fn member_by_email_read(workspace_id: &str, email: &str, legacy: &str) -> Statement {
    Statement::new(
        "SELECT 1 AS one FROM memberships WHERE workspace_id = ?1 AND user_id = \
         (SELECT id FROM users WHERE email = ?2 OR email = ?3 ORDER BY email = ?2 DESC LIMIT 1)",
        params![workspace_id, email, legacy],
    )
}

/// The read of the invitations still waiting to be accepted at `now`, oldest first, one page
/// after the id `after`, to send with the membership check in one round trip; [`pending_of`]
/// reads its answer.
pub fn pending_read(workspace_id: &str, now: i64, paging: &ById) -> Statement {
    let sql = format!(
        "{VIEW} WHERE workspace_id = ?1 AND accepted_at IS NULL AND expires_at > ?2 AND (?3 = '' OR id > ?3) \
         ORDER BY id LIMIT ?4"
    );
    Statement::new(sql, params![workspace_id, now, paging.after.as_str(), paging.limit + 1])
}

/// The page [`pending_read`] found.
pub fn pending_of(rows: &[Row], paging: &ById) -> Result<Page<InviteView>, AppError> {
    let (items, next_cursor) = paging::page(rows, paging.limit, decode, |r| Ok(r.text("id")?))?;
    Ok(Page { items, next_cursor })
}

/// One invitation of the workspace not yet accepted (expired or not).
pub async fn unaccepted(db: &dyn Sql, workspace_id: &str, id: &str) -> Result<Option<InviteView>, AppError> {
    let sql = format!("{VIEW} WHERE workspace_id = ?1 AND id = ?2 AND accepted_at IS NULL");
    db.query_one(&sql, &params![workspace_id, id]).await?.as_ref().map(decode).transpose()
}

pub struct NewInvite<'a> {
    pub id: &'a str,
    pub workspace_id: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub token_hash: String,
    pub invited_by: &'a str,
    pub expires_at: i64,
    pub now_ms: i64,
}

pub async fn insert(db: &dyn Sql, i: NewInvite<'_>) -> Result<(), AppError> {
    db.execute(
        "INSERT INTO invites (id, workspace_id, email, role, token_hash, invited_by, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        &params![i.id, i.workspace_id, i.email, i.role.as_str(), i.token_hash, i.invited_by, i.expires_at, i.now_ms],
    )
    .await?;
    Ok(())
}

/// Forgets an invitation that was never sent.
pub async fn forget(db: &dyn Sql, id: &str) -> Result<(), AppError> {
    db.execute("DELETE FROM invites WHERE id = ?1", &params![id]).await?;
    Ok(())
}

/// Withdraws a pending invitation (one row changed when it still was pending).
pub fn withdraw(workspace_id: &str, id: &str) -> Statement {
    Statement::new(
        "DELETE FROM invites WHERE workspace_id = ?1 AND id = ?2 AND accepted_at IS NULL",
        params![workspace_id, id],
    )
}

/// Puts a fresh token and expiry on a pending invitation, `inviter` standing behind it now.
/// False when it was accepted or withdrawn meanwhile.
pub async fn reissue(
    db: &dyn Sql,
    workspace_id: &str,
    id: &str,
    token_hash: String,
    expires_at: i64,
    inviter: &str,
) -> Result<bool, AppError> {
    let stored = db
        .execute(
            "UPDATE invites SET token_hash = ?3, expires_at = ?4, invited_by = ?5 \
             WHERE workspace_id = ?1 AND id = ?2 AND accepted_at IS NULL",
            &params![workspace_id, id, token_hash, expires_at, inviter],
        )
        .await?;
    Ok(stored == 1)
}

/// An invitation as its token finds it.
pub struct Found {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    pub role: Role,
    pub expires_at: i64,
    pub accepted: bool,
}

/// The invitation a token names, whatever its workspace (the caller's scope must allow the
/// token's hash).
pub async fn by_token_hash(db: &dyn Sql, hash: &str) -> Result<Option<Found>, AppError> {
    let Some(row) = db
        .query_one(
            "SELECT id, workspace_id, email, role, expires_at, accepted_at FROM invites WHERE token_hash = ?1",
            &params![hash],
        )
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Found {
        id: row.text("id")?,
        workspace_id: row.text("workspace_id")?,
        email: row.text("email")?,
        role: role_of(&row)?,
        expires_at: row.int("expires_at")?,
        accepted: row.opt_int("accepted_at")?.is_some(),
    }))
}

/// Whoever sent the invitation is still a member who may invite to its role: as SQL, so that
/// spending the invitation checks it in the same statement.
fn inviter_stands(role: Role) -> String {
    format!(
        "EXISTS (SELECT 1 FROM memberships m WHERE m.workspace_id = invites.workspace_id \
         AND m.user_id = invites.invited_by AND m.role IN ({}))",
        granters(role)
    )
}

/// The read that answers a row while the inviter still stands behind the invitation (read for
/// a clear answer; spending checks it again), to send with others in one round trip.
pub fn inviter_stands_read(id: &str, role: Role) -> Statement {
    Statement::new(format!("SELECT 1 AS one FROM invites WHERE id = ?1 AND {}", inviter_stands(role)), params![id])
}

/// Spends the invitation for `user_id` at `now` and makes them a member, atomically: the
/// membership is inserted only if the update spent it now, while the inviter still stands
/// behind it; the guard fails the batch otherwise.
pub fn spend(id: &str, workspace_id: &str, role: Role, user_id: &str, now: i64) -> [Statement; 3] {
    [
        Statement::new(
            format!(
                "UPDATE invites SET accepted_at = ?2, accepted_by = ?3 WHERE id = ?1 AND accepted_at IS NULL \
                 AND expires_at > ?2 AND {}",
                inviter_stands(role)
            ),
            params![id, now, user_id],
        ),
        Statement::new(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at, updated_at) \
             SELECT workspace_id, accepted_by, role, accepted_at, accepted_at FROM invites \
             WHERE id = ?1 AND accepted_by = ?2 AND accepted_at = ?3",
            params![id, user_id, now],
        ),
        Statement::guard(
            "SELECT 1 FROM memberships WHERE workspace_id = ?1 AND user_id = ?2 AND created_at = ?3",
            params![workspace_id, user_id, now],
        ),
    ]
}

/// The roles that may send an invitation to `role`, as an SQL list of literals (fixed role
/// names from the permission table, never input).
fn granters(role: Role) -> String {
    Role::ALL
        .into_iter()
        .filter(|r| Permission::MembersInvite.granted_to(*r) && r.may_grant(role))
        .map(|r| format!("'{}'", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Withdraws the pending invitations `inviter` sent that `now_role` (none: they left) may no
/// longer send. In the same batch as the removal or the role change.
pub fn revoke_sent(workspace_id: &str, inviter: &str, now_role: Option<Role>) -> Statement {
    let still = match now_role {
        Some(r) => Role::ALL
            .into_iter()
            .filter(|invited| Permission::MembersInvite.granted_to(r) && r.may_grant(*invited))
            .map(|invited| format!("'{}'", invited.as_str()))
            .collect::<Vec<_>>(),
        None => Vec::new(),
    };
    let keep = if still.is_empty() { String::new() } else { format!(" AND role NOT IN ({})", still.join(", ")) };
    Statement::new(
        format!("DELETE FROM invites WHERE workspace_id = ?1 AND invited_by = ?2 AND accepted_at IS NULL{keep}"),
        params![workspace_id, inviter],
    )
}

/// Purges the invitations never accepted that expired before `before`; how many.
pub async fn purge_expired(db: &dyn Sql, before: i64) -> Result<u64, AppError> {
    Ok(db.execute("DELETE FROM invites WHERE accepted_at IS NULL AND expires_at < ?1", &params![before]).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_those_who_may_invite_and_grant_a_role_stand_behind_its_invitation() {
        assert_eq!(granters(Role::Owner), "'owner'");
        assert_eq!(granters(Role::Admin), "'owner', 'admin'");
        assert_eq!(granters(Role::Client), "'owner', 'admin'");
    }
}

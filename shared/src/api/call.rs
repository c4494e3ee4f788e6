//! What a handler receives: the request, the route it matched, and the caller and membership
//! the app's access rule established (`crate::app::access`).

use super::permissions::Role;
use super::route::{Params, Route};
use super::Request;
use crate::error::AppError;

/// The signed-in user.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    /// The session the access token was issued to (`None` for tokens older than sessions).
    pub session_id: Option<String>,
}

/// The caller's membership of the workspace in the path.
#[derive(Debug, Clone)]
pub struct Member {
    pub workspace_id: String,
    pub role: Role,
}

/// A request that passed the route's access rule.
pub struct Call<'r> {
    pub req: &'r Request,
    pub route: &'static Route,
    pub params: Params,
    pub caller: Option<Caller>,
    /// Set by the access check, or by the handler's own admission on a route that folds it
    /// (`Call::admit`), before anything reads it.
    pub member: std::sync::OnceLock<Member>,
}

impl Call<'_> {
    pub fn caller(&self) -> Result<&Caller, AppError> {
        self.caller.as_ref().ok_or_else(|| AppError::Internal("route has no caller".into()))
    }

    pub fn member(&self) -> Result<&Member, AppError> {
        self.member.get().ok_or_else(|| AppError::Internal("route has no workspace".into()))
    }

    /// On a route that folds the membership check into its handler's reads
    /// (`Route::folds_membership`): the read to send first, with the others, in one round trip.
    pub fn membership_read(&self) -> Result<crate::sql::Statement, AppError> {
        Ok(crate::api::store::active_role_read(self.params.get("workspaceId")?, &self.caller()?.user_id))
    }

    /// On a route that folds its membership check (`Route::folds_membership`): sends the
    /// membership read and `reads` in one round trip, admits the caller (404 or 403 as the access
    /// check would), and answers the rows of each of `reads`, in order.
    pub async fn admitted_reads(
        &self,
        db: &dyn crate::sql::Sql,
        reads: Vec<crate::sql::Statement>,
    ) -> Result<(Member, Vec<Vec<crate::sql::Row>>), AppError> {
        let mut all = Vec::with_capacity(reads.len() + 1);
        all.push(self.membership_read()?);
        all.extend(reads);
        let mut answers = db.reads(&all).await?;
        let membership = if answers.is_empty() { Vec::new() } else { answers.remove(0) };
        Ok((self.admit(&membership)?, answers))
    }

    /// On a route that folds its membership check (`Route::folds_membership`): the membership
    /// read and `read` in one round trip; the caller as a member and what `read` found, as `of`
    /// decodes it (a store's `…_of`, which answers 404 when nothing was found).
    pub async fn admitted_one<T>(
        &self,
        db: &dyn crate::sql::Sql,
        read: crate::sql::Statement,
        of: impl FnOnce(&[crate::sql::Row]) -> Result<T, AppError>,
    ) -> Result<(Member, T), AppError> {
        let (member, answers) = self.admitted_reads(db, vec![read]).await?;
        Ok((member, of(answers.first().map_or(&[][..], Vec::as_slice))?))
    }

    /// The caller as a member, from what [`Call::membership_read`] answered: a workspace the
    /// caller is not in (or that is archived) does not exist for them, and a role without the
    /// route's permission is refused, as the access check would have. Admitted, the caller is
    /// also this call's member (`Call::member`).
    pub fn admit(&self, rows: &[crate::sql::Row]) -> Result<Member, AppError> {
        let role = crate::api::store::role_of(rows)?.ok_or_else(|| AppError::not_found("workspace"))?;
        if let crate::api::route::Access::Workspace(permission) = self.route.access {
            if !permission.granted_to(role) {
                return Err(AppError::Forbidden(format!("the {} role may not do this", role.as_str())));
            }
        }
        if self.route.refused_while_suspended() && crate::api::store::suspended_of(rows) {
            return Err(AppError::Suspended(
                "this workspace is suspended: it can be read and exported but not changed until it is reactivated"
                    .into(),
            ));
        }
        let member = Member { workspace_id: self.params.get("workspaceId")?.to_string(), role };
        // The handler's helpers read it as on any other route (`Call::member`).
        let _ = self.member.set(member.clone());
        Ok(member)
    }
}

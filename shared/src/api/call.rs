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
    pub member: Option<Member>,
}

impl Call<'_> {
    pub fn caller(&self) -> Result<&Caller, AppError> {
        self.caller.as_ref().ok_or_else(|| AppError::Internal("route has no caller".into()))
    }

    pub fn member(&self) -> Result<&Member, AppError> {
        self.member.as_ref().ok_or_else(|| AppError::Internal("route has no workspace".into()))
    }
}

//! Campaign ideas (SPEC AG-4): post and reel ideas, created by hand today (AI generation comes
//! later), decided by the agency and then by the client through the same workflow as posts —
//! the workspace's (or the client's) internal approvers decide the agency stage, the Client
//! members attached to the campaign's client decide the client stage. An approved idea becomes
//! a draft post. The types and the state machine are in `model::ideas`, the SQL in
//! `store::ideas`; approvals decides ideas through here.

pub use super::model::ideas::*;
pub(crate) use super::store::ideas::write;
pub use super::store::ideas::{among_reads, held_reads, idea_of, load_in, load_many, load_reads, many_of};

use super::client_limit;
use crate::api::{Call, Context};
use crate::error::AppError;
use crate::sql::DbError;

/// The idea of the route's `ideaId`, as the caller may see it.
pub async fn load(ctx: &Context<'_>, call: &Call<'_>) -> Result<IdeaView, AppError> {
    let member = call.member()?;
    load_in(ctx.db, &member.workspace_id, &client_limit(call, member)?, call.params.get("ideaId")?).await
}

/// A write of [`write`] that lost to a concurrent change.
pub(crate) fn raced(e: DbError) -> AppError {
    match e {
        DbError::Constraint(_) => AppError::Conflict("the idea changed at the same time; reload it".into()),
        other => other.into(),
    }
}

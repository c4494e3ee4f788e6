//! Workspaces (tenants), their members and roles, and invitations
//! (SPEC IAM-5, IAM-6, IAM-7, IAM-10).

pub mod api;
pub mod invites;
pub mod members;
pub mod model;
pub use crate::api::permissions;
pub mod store;

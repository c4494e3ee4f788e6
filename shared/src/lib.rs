//! Herald's domain crate: everything that does not depend on where it runs.
//! Runtimes (Cloudflare Workers, Spin, native test hosts) supply the ports in [`ports`]
//! and hand requests to [`app::handle`].

pub mod accounts;
pub mod activity;
pub mod agency;
pub mod api;
pub mod app;
pub mod approvals;
pub mod collab;
pub mod content;
pub mod error;
pub mod health;
pub mod identity;
pub mod mail;
pub mod maintenance;
pub mod media;
pub mod platforms;
pub mod ports;
pub mod publishing;
pub mod ratelimit;
pub mod sealed;
pub mod sql;
pub mod validate;
pub mod workflows;
pub mod workspaces;

pub use api::{Context, Request, Response};
pub use app::handle;
pub use error::AppError;
#[doc(hidden)]
pub use pastey::paste as __paste;

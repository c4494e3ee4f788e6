//! Herald's domain crate: everything that does not depend on where it runs.
//! Runtimes (Cloudflare Workers, Spin, native test hosts) supply the ports in [`ports`]
//! and hand requests to [`app::handle`].
//!
//! Each area past the always-present ones is a cargo feature (see Cargo.toml): a build with
//! fewer areas serves fewer routes, and code only the missing areas used is left unused.
#![cfg_attr(not(all(feature = "approvals", feature = "maintenance")), allow(dead_code, unused_imports))]

#[cfg(feature = "accounts")]
pub mod accounts;
pub mod activity;
#[cfg(feature = "agency")]
pub mod agency;
#[cfg(feature = "ai")]
pub mod ai;
pub mod api;
pub mod app;
#[cfg(feature = "approvals")]
pub mod approvals;
#[cfg(feature = "collab")]
pub mod collab;
#[cfg(feature = "content")]
pub mod content;
pub mod encoding;
pub mod error;
pub mod health;
pub mod identity;
pub mod llm;
pub mod mail;
#[cfg(feature = "maintenance")]
pub mod maintenance;
#[cfg(feature = "media")]
pub mod media;
pub mod outbound;
pub mod plans;
#[cfg(feature = "platforms")]
pub mod platforms;
pub mod ports;
pub mod privacy;
#[cfg(feature = "publishing")]
pub mod publishing;
pub mod ratelimit;
pub mod sealed;
pub mod sql;
pub mod tiers;
pub mod validate;
#[cfg(feature = "workflows")]
pub mod workflows;
#[cfg(feature = "workspaces")]
pub mod workspaces;
pub mod zones;

pub use api::{Context, Request, Response};
pub use app::handle;
pub use error::AppError;
#[doc(hidden)]
pub use pastey::paste as __paste;

//! Content: posts, their targets (per platform or per account) and the rules a target's text and media must meet (SPEC CT).
pub mod diff;
pub mod import;
pub mod platforms;
pub mod posts;
pub mod posts_api;
pub mod render;
pub mod status;
pub mod templates;
pub mod versions;

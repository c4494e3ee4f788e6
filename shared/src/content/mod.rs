//! Content: posts, their per-platform targets and the rules a target's text and media must meet (SPEC CT).
pub mod platforms;
pub mod diff;
pub mod posts;
pub mod posts_api;
pub mod status;
pub mod versions;

//! Content's store: the only SQL on posts (with their targets, tags and versions) and
//! templates.

pub mod posts;
pub mod templates;
pub mod versions;

//! Content's handlers: parse → authorize → call → respond.

pub mod import;
pub mod posts;
pub mod templates;
pub mod versions;

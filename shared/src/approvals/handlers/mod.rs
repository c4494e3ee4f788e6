//! Approvals' handlers: parse → authorize → call → respond.

pub mod ideas;
pub mod requests;
pub mod review_ideas;
pub mod review_links;
pub mod review_page;

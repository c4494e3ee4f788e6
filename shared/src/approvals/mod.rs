//! Approvals (SPEC AP-1, AP-2, AP-4): a configurable workflow per workspace or client, the
//! requests and votes that move a post through it, and their history.

pub mod requests;
pub mod review_ideas;
pub mod review_links;
pub mod review_page;
pub mod workflow;

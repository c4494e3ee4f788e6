//! Approvals' store: the only SQL on approval requests and votes, review links with their
//! posts and ideas, and idea decisions, and what the review page reads.

pub mod ideas;
pub mod requests;
pub mod review_links;
pub mod review_page;

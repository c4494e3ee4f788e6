//! Identity: accounts, passwords, sessions and the profile (SPEC IAM-1, IAM-3, IAM-4), and the
//! account basics around them: verified addresses, password reset and change, address change.

pub mod account;
pub mod api;
pub mod email_tokens;
pub mod mails;
pub mod model;
pub mod password;
pub mod sessions;
pub mod sessions_api;
pub mod tokens;
pub mod users;

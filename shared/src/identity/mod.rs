//! Identity: accounts, passwords, sessions and the profile (SPEC IAM-1, IAM-3, IAM-4).

pub mod api;
pub mod model;
pub mod password;
pub mod sessions;
pub mod tokens;
pub mod users;

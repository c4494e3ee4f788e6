//! Identity's store: the only SQL on `users`, `sessions` with their `refresh_tokens`, and
//! `email_tokens`.

pub mod email_tokens;
pub mod sessions;
pub mod users;

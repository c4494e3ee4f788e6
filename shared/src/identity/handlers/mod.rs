//! Identity's handlers: parse → call the use case → respond.

pub mod account;
pub mod auth;
pub mod sessions;

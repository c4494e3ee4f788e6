//! Collaboration's handlers: parse → call the rules and the store → respond. Access was
//! checked from the route table before any of these runs.

pub mod comments;
pub mod events;
pub mod notifications;
pub mod slack;
pub mod tasks;

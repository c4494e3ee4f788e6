//! Publishing's handlers: connecting accounts, their posting slots, publishing now.

pub mod accounts;
pub mod calendar;
/// The calendar's events are collab's, served with the rest of the calendar (`publishing::AREA`).
pub use crate::collab::handlers::events;
pub mod oauth;
pub mod publish_now;
pub mod schedule;
pub mod slots;

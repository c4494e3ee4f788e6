//! Publishing's handlers: connecting accounts, their posting slots, publishing now.

pub mod accounts;
pub mod calendar;
pub mod oauth;
pub mod publish_now;
pub mod schedule;
pub mod slots;

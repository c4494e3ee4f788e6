//! Collaboration's store: the only SQL on `comments` and `idea_comments` (`comments`) and on
//! `notifications` (`notifications`).

pub mod comments;
pub mod events;
pub mod notifications;

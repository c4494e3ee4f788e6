//! Collaboration's store: the only SQL on `comments` and `idea_comments` (`comments`) and on
//! `notifications` (`notifications`), on `calendar_events` (`events`), on `slack_hooks` (`slack`) and on `tasks` (`tasks`).

pub mod comments;
pub mod events;
pub mod notifications;
pub mod slack;
pub mod tasks;

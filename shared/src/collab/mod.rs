//! Collaboration around content: comments with mentions, and notifications (SPEC AP-3, CO-4).

pub mod comments;
pub mod notifications;

//! Collaboration around content: comments with mentions, notifications and calendar events
//! (SPEC AP-3, CO-4, CO-5).
//!
//! Its rooms: `handlers`, `model`, `store` (the only SQL on comments and notifications);
//! `comments` and `notifications` keep their rules, and `notifications::notify` is what other
//! areas call.

pub mod comments;
pub mod events;
pub mod handlers;
pub mod model;
pub mod notifications;
pub mod store;

use crate::route;

/// Comments and notifications.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "collab",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", listComments, Workspace(CommentsRead), handlers::comments::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", createComment, Workspace(CommentsWrite), handlers::comments::create).folds_membership().trips(3),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments/{commentId}", deleteComment, Workspace(CommentsWrite), handlers::comments::delete).trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/notifications", listNotifications, Workspace(NotificationsRead), handlers::notifications::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/notifications/read-all", readAllNotifications, Workspace(NotificationsRead), handlers::notifications::mark_all_read),
        route!(POST "/api/v1/workspaces/{workspaceId}/notifications/{notificationId}/read", readNotification, Workspace(NotificationsRead), handlers::notifications::mark_read).trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", listIdeaComments, Workspace(CommentsRead), handlers::comments::list_on_idea).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", createIdeaComment, Workspace(CommentsWrite), handlers::comments::create_on_idea).folds_membership().trips(3),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments/{commentId}", deleteIdeaComment, Workspace(CommentsWrite), handlers::comments::delete_on_idea),
        route!(GET "/api/v1/workspaces/{workspaceId}/events", listWorkspaceEvents, Workspace(EventsRead), handlers::events::list_workspace).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/events", createWorkspaceEvent, Workspace(EventsWrite), handlers::events::create_workspace).trips(2),
        route!(GET "/api/v1/workspaces/{workspaceId}/events/{eventId}", getWorkspaceEvent, Workspace(EventsRead), handlers::events::get_workspace).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/events/{eventId}", updateWorkspaceEvent, Workspace(EventsWrite), handlers::events::update_workspace).folds_membership().trips(2),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/events/{eventId}", deleteWorkspaceEvent, Workspace(EventsWrite), handlers::events::delete_workspace).folds_membership().trips(2),
        route!(GET "/api/v1/users/me/events", listMyEvents, User, handlers::events::list_mine).trips(1),
        route!(POST "/api/v1/users/me/events", createMyEvent, User, handlers::events::create_mine).trips(1),
        route!(GET "/api/v1/users/me/events/{eventId}", getMyEvent, User, handlers::events::get_mine).trips(1),
        route!(PATCH "/api/v1/users/me/events/{eventId}", updateMyEvent, User, handlers::events::update_mine).trips(2),
        route!(DELETE "/api/v1/users/me/events/{eventId}", deleteMyEvent, User, handlers::events::delete_mine).trips(2),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[model::DOCUMENTED, events::DOCUMENTED],
};

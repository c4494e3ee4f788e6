//! Collaboration around content: comments with mentions, notifications (in the app, by mail and
//! to Slack), tasks and calendar events (SPEC AP-3, CO-1, CO-4, CO-5). The events' routes are publishing's,
//! beside the content calendar and the feed (`publishing::AREA`): they work in time zones, as
//! publishing does, and a Spin component of collab without them stays small. On Cloudflare the
//! AI Worker serves this area's routes (the API Worker's size, `collab-elsewhere`).
//!
//! Its rooms: `handlers`, `model`, `store` (the only SQL on comments, notifications and tasks);
//! `comments`, `notifications` and `tasks` keep their rules, and `notifications::notify` is what
//! other areas call.

pub mod comments;
pub mod events;
pub mod handlers;
pub mod model;
pub mod notifications;
pub mod slack;
pub mod store;
pub mod tasks;

use crate::route;

/// Comments, notifications, the Slack webhook and tasks.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "collab",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", listComments, Workspace(CommentsRead), handlers::comments::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", createComment, Workspace(CommentsWrite), handlers::comments::create).folds_membership().trips(3),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments/{commentId}", deleteComment, Workspace(CommentsWrite), handlers::comments::delete).trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/notifications", listNotifications, Workspace(NotificationsRead), handlers::notifications::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/notifications/read-all", readAllNotifications, Workspace(NotificationsRead), handlers::notifications::mark_all_read),
        route!(POST "/api/v1/workspaces/{workspaceId}/notifications/{notificationId}/read", readNotification, Workspace(NotificationsRead), handlers::notifications::mark_read).trips(3),
        route!(GET "/api/v1/users/me/notifications", listMyNotifications, User, handlers::notifications::inbox).trips(1),
        route!(POST "/api/v1/users/me/notifications/read-all", readAllMyNotifications, User, handlers::notifications::mark_inbox_read).trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/slack", getSlack, Workspace(WorkspaceUpdate), handlers::slack::get).folds_membership().trips(1),
        route!(PUT "/api/v1/workspaces/{workspaceId}/slack", putSlack, Workspace(WorkspaceUpdate), handlers::slack::put).trips(2),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/slack", deleteSlack, Workspace(WorkspaceUpdate), handlers::slack::delete).trips(2),
        route!(GET "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", listIdeaComments, Workspace(CommentsRead), handlers::comments::list_on_idea).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", createIdeaComment, Workspace(CommentsWrite), handlers::comments::create_on_idea).folds_membership().trips(3),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments/{commentId}", deleteIdeaComment, Workspace(CommentsWrite), handlers::comments::delete_on_idea),
        route!(GET "/api/v1/workspaces/{workspaceId}/tasks", listTasks, Workspace(TasksRead), handlers::tasks::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/tasks", createTask, Workspace(TasksWrite), handlers::tasks::create).folds_membership().trips(4),
        route!(GET "/api/v1/workspaces/{workspaceId}/tasks/{taskId}", getTask, Workspace(TasksRead), handlers::tasks::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/tasks/{taskId}", updateTask, Workspace(TasksWrite), handlers::tasks::update).folds_membership().trips(5),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/tasks/{taskId}", deleteTask, Workspace(TasksWrite), handlers::tasks::delete).folds_membership().trips(2),
        route!(GET "/api/v1/users/me/tasks", listMyTasks, User, handlers::tasks::mine).trips(1),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[model::DOCUMENTED, tasks::DOCUMENTED],
};

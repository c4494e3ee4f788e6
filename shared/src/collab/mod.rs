//! Collaboration around content: comments with mentions, and notifications (SPEC AP-3, CO-4).

pub mod comments;
pub mod notifications;

use crate::route;

/// Comments and notifications.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "collab",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", listComments, Workspace(CommentsRead), comments::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments", createComment, Workspace(CommentsWrite), comments::create),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/posts/{postId}/comments/{commentId}", deleteComment, Workspace(CommentsWrite), comments::delete),
        route!(GET "/api/v1/workspaces/{workspaceId}/notifications", listNotifications, Workspace(NotificationsRead), notifications::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/notifications/read-all", readAllNotifications, Workspace(NotificationsRead), notifications::mark_all_read),
        route!(POST "/api/v1/workspaces/{workspaceId}/notifications/{notificationId}/read", readNotification, Workspace(NotificationsRead), notifications::mark_read),
        route!(GET "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", listIdeaComments, Workspace(CommentsRead), comments::list_on_idea),
        route!(POST "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments", createIdeaComment, Workspace(CommentsWrite), comments::create_on_idea),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/comments/{commentId}", deleteIdeaComment, Workspace(CommentsWrite), comments::delete_on_idea),
    ],
    inputs: &[comments::DOCUMENTED],
};

//! Content: posts, their targets (per platform or per account) and the rules a target's text and media must meet (SPEC CT).
pub mod diff;
pub mod editing;
pub mod handlers;
pub mod posts;
pub mod render;
pub mod status;
pub mod store;
pub mod templates;
pub mod versions;

use crate::route;

/// Posts, their versions, imports and templates.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "content",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/posts", listPosts, Workspace(PostsRead), handlers::posts::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts", createPost, Workspace(PostsWrite), handlers::posts::create).trips(4),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/import", importPosts, Workspace(PostsWrite), handlers::import::import).trips(12).body(crate::api::route::Body::Large(handlers::import::MAX_BYTES)),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}", getPost, Workspace(PostsRead), handlers::posts::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/posts/{postId}", updatePost, Workspace(PostsWrite), handlers::posts::update).folds_membership().trips(4),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/posts/{postId}", deletePost, Workspace(PostsDelete), handlers::posts::delete).folds_membership().trips(2),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/archive", archivePost, Workspace(PostsDelete), handlers::posts::archive).trips(3),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/unarchive", unarchivePost, Workspace(PostsDelete), handlers::posts::unarchive).trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions", listVersions, Workspace(PostsRead), handlers::versions::list).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/diff", diffVersions, Workspace(PostsRead), handlers::versions::compare).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}", getVersion, Workspace(PostsRead), handlers::versions::get).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}/restore", restoreVersion, Workspace(PostsWrite), handlers::versions::restore).trips(4),
        route!(GET "/api/v1/workspaces/{workspaceId}/templates", listTemplates, Workspace(TemplatesRead), handlers::templates::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/templates", createTemplate, Workspace(TemplatesWrite), handlers::templates::create).trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/templates/{templateId}", getTemplate, Workspace(TemplatesRead), handlers::templates::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/templates/{templateId}", updateTemplate, Workspace(TemplatesWrite), handlers::templates::update).folds_membership().trips(2),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/templates/{templateId}", archiveTemplate, Workspace(TemplatesWrite), handlers::templates::archive).folds_membership().trips(2),
        route!(POST "/api/v1/workspaces/{workspaceId}/templates/{templateId}/render", renderTemplate, Workspace(TemplatesRead), handlers::templates::render).folds_membership().trips(2),
        route!(POST "/api/v1/workspaces/{workspaceId}/templates/{templateId}/posts", templateToPost, Workspace(PostsWrite), handlers::templates::to_post).folds_membership().trips(4),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[posts::DOCUMENTED, handlers::posts::DOCUMENTED, templates::DOCUMENTED],
};

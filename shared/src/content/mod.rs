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
        route!(GET "/api/v1/workspaces/{workspaceId}/posts", listPosts, Workspace(PostsRead), handlers::posts::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts", createPost, Workspace(PostsWrite), handlers::posts::create),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/import", importPosts, Workspace(PostsWrite), handlers::import::import).body(crate::api::route::Body::Large(handlers::import::MAX_BYTES)),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}", getPost, Workspace(PostsRead), handlers::posts::get),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/posts/{postId}", updatePost, Workspace(PostsWrite), handlers::posts::update),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/posts/{postId}", deletePost, Workspace(PostsDelete), handlers::posts::delete),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/archive", archivePost, Workspace(PostsDelete), handlers::posts::archive),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/unarchive", unarchivePost, Workspace(PostsDelete), handlers::posts::unarchive),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions", listVersions, Workspace(PostsRead), handlers::versions::list),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/diff", diffVersions, Workspace(PostsRead), handlers::versions::compare),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}", getVersion, Workspace(PostsRead), handlers::versions::get),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}/restore", restoreVersion, Workspace(PostsWrite), handlers::versions::restore),
        route!(GET "/api/v1/workspaces/{workspaceId}/templates", listTemplates, Workspace(TemplatesRead), handlers::templates::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/templates", createTemplate, Workspace(TemplatesWrite), handlers::templates::create),
        route!(GET "/api/v1/workspaces/{workspaceId}/templates/{templateId}", getTemplate, Workspace(TemplatesRead), handlers::templates::get),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/templates/{templateId}", updateTemplate, Workspace(TemplatesWrite), handlers::templates::update),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/templates/{templateId}", archiveTemplate, Workspace(TemplatesWrite), handlers::templates::archive),
        route!(POST "/api/v1/workspaces/{workspaceId}/templates/{templateId}/render", renderTemplate, Workspace(TemplatesRead), handlers::templates::render),
        route!(POST "/api/v1/workspaces/{workspaceId}/templates/{templateId}/posts", templateToPost, Workspace(PostsWrite), handlers::templates::to_post),
    ],
    inputs: &[posts::DOCUMENTED, handlers::posts::DOCUMENTED, templates::DOCUMENTED],
};

//! Content: posts, their targets (per platform or per account) and the rules a target's text and media must meet (SPEC CT).
pub mod diff;
pub mod import;
pub mod posts;
pub mod posts_api;
pub mod render;
pub mod status;
pub mod templates;
pub mod versions;

use crate::route;

/// Posts, their versions, imports and templates.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "content",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/posts", listPosts, Workspace(PostsRead), posts_api::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts", createPost, Workspace(PostsWrite), posts_api::create),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/import", importPosts, Workspace(PostsWrite), import::import).body(crate::api::route::Body::Large(import::MAX_BYTES)),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}", getPost, Workspace(PostsRead), posts_api::get),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/posts/{postId}", updatePost, Workspace(PostsWrite), posts_api::update),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/posts/{postId}", deletePost, Workspace(PostsDelete), posts_api::delete),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/archive", archivePost, Workspace(PostsDelete), posts_api::archive),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/unarchive", unarchivePost, Workspace(PostsDelete), posts_api::unarchive),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions", listVersions, Workspace(PostsRead), versions::list),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/diff", diffVersions, Workspace(PostsRead), versions::compare),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}", getVersion, Workspace(PostsRead), versions::get),
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/versions/{number}/restore", restoreVersion, Workspace(PostsWrite), versions::restore),
        route!(GET "/api/v1/workspaces/{workspaceId}/templates", listTemplates, Workspace(TemplatesRead), templates::list),
        route!(POST "/api/v1/workspaces/{workspaceId}/templates", createTemplate, Workspace(TemplatesWrite), templates::create),
        route!(GET "/api/v1/workspaces/{workspaceId}/templates/{templateId}", getTemplate, Workspace(TemplatesRead), templates::get),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/templates/{templateId}", updateTemplate, Workspace(TemplatesWrite), templates::update),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/templates/{templateId}", archiveTemplate, Workspace(TemplatesWrite), templates::archive),
        route!(POST "/api/v1/workspaces/{workspaceId}/templates/{templateId}/render", renderTemplate, Workspace(TemplatesRead), templates::render),
        route!(POST "/api/v1/workspaces/{workspaceId}/templates/{templateId}/posts", templateToPost, Workspace(PostsWrite), templates::to_post),
    ],
    inputs: &[posts::DOCUMENTED, posts_api::DOCUMENTED, templates::DOCUMENTED],
};

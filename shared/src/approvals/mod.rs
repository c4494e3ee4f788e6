//! Approvals (SPEC AP-2, AP-4): the requests and votes that move a post through its workflow
//! (the workflows area), their history, and review links for clients.

pub mod handlers;
pub mod ideas;
pub mod requests;
pub mod review_links;
pub mod review_page;
pub mod reviewing;
pub mod store;

use crate::route;

/// Approval requests, review links and idea decisions.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "approvals",
    routes: &[
        route!(POST "/api/v1/workspaces/{workspaceId}/posts/{postId}/submit", submitPost, Workspace(PostsSubmit), handlers::requests::submit).folds_membership().trips(3),
        route!(GET "/api/v1/workspaces/{workspaceId}/approvals", listApprovals, Workspace(ApprovalsRead), handlers::requests::list).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}", getApproval, Workspace(ApprovalsRead), handlers::requests::get).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}/approve", approveApproval, Workspace(ApprovalsDecide), handlers::requests::approve).folds_membership().trips(4),
        route!(POST "/api/v1/workspaces/{workspaceId}/approvals/{approvalId}/reject", rejectApproval, Workspace(ApprovalsDecide), handlers::requests::reject).folds_membership().trips(4),
        route!(GET "/api/v1/workspaces/{workspaceId}/posts/{postId}/approvals", postApprovals, Workspace(ApprovalsRead), handlers::requests::history).folds_membership().trips(1),
        route!(GET "/api/v1/workspaces/{workspaceId}/review-links", listReviewLinks, Workspace(ReviewLinksManage), handlers::review_links::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/review-links", createReviewLink, Workspace(ReviewLinksManage), handlers::review_links::create).trips(4),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/review-links/{linkId}", revokeReviewLink, Workspace(ReviewLinksManage), handlers::review_links::revoke).trips(4),
        route!(GET "/review/{token}", reviewPage, Public, handlers::review_page::page).trips(2),
        route!(POST "/review/{token}/posts/{postId}/approve", reviewApprove, Public, handlers::review_links::approve).trips(4).credential(),
        route!(POST "/review/{token}/posts/{postId}/request-changes", reviewRequestChanges, Public, handlers::review_links::request_changes).trips(4).credential(),
        route!(POST "/review/{token}/ideas/{ideaId}/approve", reviewIdeaApprove, Public, handlers::review_ideas::approve).trips(4).credential(),
        route!(POST "/review/{token}/ideas/{ideaId}/request-changes", reviewIdeaRequestChanges, Public, handlers::review_ideas::request_changes).trips(4).credential(),
        route!(GET "/review/{token}/media/{mediaId}", reviewMedia, Public, handlers::review_links::media).trips(2),
        route!(POST "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/approve", approveIdea, Workspace(IdeasDecide), handlers::ideas::approve).folds_membership().trips(4),
        route!(POST "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/reject", rejectIdea, Workspace(IdeasDecide), handlers::ideas::reject).folds_membership().trips(3),
        route!(POST "/api/v1/workspaces/{workspaceId}/ideas/{ideaId}/post", ideaToPost, Workspace(PostsWrite), handlers::ideas::to_post).trips(5),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[review_links::DOCUMENTED, requests::DOCUMENTED, ideas::DOCUMENTED],
};

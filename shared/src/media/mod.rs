//! The media library (SPEC CT-4): images and videos a workspace uploads, with their metadata,
//! kept in object storage through the [`Blobs`](crate::ports::Blobs) port.
//!
//! Two ways in: the client asks for an upload (`POST media/uploads`), gets a presigned PUT URL
//! and sends the file straight to the bucket, then calls `complete`; or it PUTs the bytes to
//! `media/{id}/content`, which the Worker streams into R2 without holding them. Either way the
//! declared type must be on the allow-list and the size within its limit, and the stored bytes
//! must match both before the asset is `ready`.

pub mod handlers;
pub mod links;
pub mod model;
pub mod probe;
pub mod s3;
pub mod sigv4;
mod store;

use crate::route;

/// The media library, uploads and signed links.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "media",
    routes: &[
        route!(GET "/api/v1/workspaces/{workspaceId}/media", listMedia, Workspace(MediaRead), handlers::list).folds_membership().trips(1),
        route!(POST "/api/v1/workspaces/{workspaceId}/media/uploads", createMediaUpload, Workspace(MediaWrite), handlers::create_upload),
        route!(GET "/api/v1/workspaces/{workspaceId}/media/{mediaId}", getMedia, Workspace(MediaRead), handlers::get).folds_membership().trips(1),
        route!(PATCH "/api/v1/workspaces/{workspaceId}/media/{mediaId}", updateMedia, Workspace(MediaWrite), handlers::update).trips(3),
        route!(DELETE "/api/v1/workspaces/{workspaceId}/media/{mediaId}", deleteMedia, Workspace(MediaWrite), handlers::delete).trips(4),
        route!(POST "/api/v1/workspaces/{workspaceId}/media/{mediaId}/complete", completeMedia, Workspace(MediaWrite), handlers::complete).trips(4),
        route!(PUT "/api/v1/workspaces/{workspaceId}/media/{mediaId}/content", putMediaContent, Workspace(MediaWrite), handlers::put_content).trips(4).body(crate::api::route::Body::Stream(model::VIDEO_MAX_BYTES as usize)),
        route!(GET "/api/v1/workspaces/{workspaceId}/media/{mediaId}/content", getMediaContent, Workspace(MediaRead), handlers::get_content).folds_membership().trips(1),
        route!(GET "/api/v1/media-links/{workspaceId}/{mediaId}", mediaLink, Public, handlers::serve_link),
        route!(GET "/api/v1/workspaces/{workspaceId}/media/{mediaId}/usage", getMediaUsage, Workspace(MediaRead), handlers::usage).folds_membership().trips(1),
    ],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[model::DOCUMENTED],
};

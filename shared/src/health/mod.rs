//! `GET /health`: the service answers and its database does (SPEC PL-7).

use serde::Serialize;
use utoipa::ToSchema;

pub mod handlers;

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub time: String,
}

use crate::route;

/// The health check.
pub const AREA: crate::api::route::Area = crate::api::route::Area {
    name: "health",
    routes: &[route!(GET "/health", health, Public, handlers::health).unlimited()],
    #[cfg(any(test, feature = "openapi"))]
    inputs: &[],
};

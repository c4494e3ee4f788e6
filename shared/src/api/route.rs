//! A route as the kit knows it: one row with its method, path, operation id, access rule, body
//! mode, rate limit and handler; the path parameters a request brought; and what an id looks
//! like. Each area declares its rows; the app puts them together (`crate::app::routes`).

use std::future::Future;
use std::pin::Pin;

#[cfg(any(test, feature = "openapi"))]
use super::documented::Documented;
use super::permissions::Permission;
use super::{Call, Context, Response};
use crate::error::AppError;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    /// Any signed-in user.
    User,
    /// A member of the workspace in the path whose role grants the permission.
    Workspace(Permission),
    /// Exists only when `ENVIRONMENT=development`.
    Development,
    /// For schedulers: `Authorization: Bearer <TICK_SECRET>`; exists only when that is set.
    Scheduler,
}

/// How a route takes its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Read whole, up to the host's JSON limit (`Config::max_body_bytes`).
    Json,
    /// Read whole, up to this many bytes or the JSON limit, whichever is larger.
    Large(usize),
    /// Passed on as it arrives (to object storage), up to this many bytes; never whole in memory.
    Stream(usize),
}

/// Which inbound rate limit counts a route's calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Per caller when signed in, per address when public (from its access rule).
    ByAccess,
    /// Per address, tight: the request carries a credential someone could guess at.
    Credential,
    /// Not counted: called by load balancers, schedulers, or guarded by a secret of its own.
    None,
}

/// What serves a route. The areas write `async fn(&Context, &Call) -> Result<Response,
/// AppError>`; [`route!`](crate::route) boxes it into this.
pub type Handler =
    for<'a> fn(&'a Context<'a>, &'a Call<'a>) -> Pin<Box<dyn Future<Output = Result<Response, AppError>> + 'a>>;

#[cfg(any(test, feature = "openapi"))]
/// Adds a route's operation (from its handler's `#[utoipa::path]`) and the schemas it names
/// to the document.
pub type Doc = fn(&mut utoipa::openapi::OpenApi);

/// One endpoint, declared once by its area with [`route!`](crate::route): the router, the
/// access check, the body limit, the rate limit and the OpenAPI document all read this row.
#[derive(Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    /// The OpenAPI `operationId`, e.g. `listPosts`.
    pub name: &'static str,
    pub access: Access,
    pub body: Body,
    pub limit: Limit,
    pub handler: Handler,
    /// The most round trips to the database one call may take (issue 21), counted by the app
    /// and checked by the suite on every call it makes.
    pub trips: u8,
    /// The handler reads the caller's membership with its own reads, in the same round trip,
    /// and admits the caller itself (`Call::admit`): the access check makes no round trip.
    pub folds_membership: bool,
    /// Served while the workspace is suspended although it changes something (paying, leaving).
    pub while_suspended: bool,
    /// Only where the document is generated: a serving build links no generator.
    #[cfg(any(test, feature = "openapi"))]
    pub doc: Doc,
}

impl Route {
    /// Takes its body as `body` says rather than as JSON.
    pub const fn body(self, body: Body) -> Route {
        Route { body, ..self }
    }

    /// Counted against the credential limit (per address): logins, token redemptions.
    pub const fn credential(self) -> Route {
        Route { limit: Limit::Credential, ..self }
    }

    /// Checks membership inside the handler's own first round trip (see `folds_membership`).
    pub const fn folds_membership(self) -> Route {
        Route { folds_membership: true, ..self }
    }

    /// May take up to `trips` round trips to the database.
    pub const fn trips(self, trips: u8) -> Route {
        Route { trips, ..self }
    }

    /// Not rate limited (see [`Limit::None`]).
    pub const fn unlimited(self) -> Route {
        Route { limit: Limit::None, ..self }
    }

    /// Served in a suspended workspace too (see [`Route::refused_while_suspended`]).
    pub const fn while_suspended(self) -> Route {
        Route { while_suspended: true, ..self }
    }

    /// A suspended workspace can be read (and exported) but not changed (SPEC IAM-5): every
    /// route of a workspace but GET, unless its row says otherwise.
    pub fn refused_while_suspended(&self) -> bool {
        matches!(self.access, Access::Workspace(_)) && self.method != "GET" && !self.while_suspended
    }
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({})", self.method, self.path, self.name)
    }
}

#[cfg(any(test, feature = "openapi"))]
/// Documents the operation `P` (the struct `#[utoipa::path]` makes for a handler) and its schemas.
pub fn document<P>(api: &mut utoipa::openapi::OpenApi)
where
    P: utoipa::Path + utoipa::__dev::SchemaReferences + for<'t> utoipa::__dev::Tags<'t>,
{
    let mut operation = P::operation();
    operation.tags.get_or_insert_with(Vec::new).extend(P::tags().into_iter().map(str::to_string));
    api.paths.add_path_operation(P::path(), P::methods(), operation);
    let mut schemas = Vec::new();
    P::schemas(&mut schemas);
    api.components.get_or_insert_with(Default::default).schemas.extend(schemas);
}

/// A route row: `route!(GET "/api/v1/workspaces/{workspaceId}/posts", listPosts,
/// Workspace(PostsRead), posts_api::list)` — method, path, operation id, access rule and the
/// handler (a function annotated with `#[utoipa::path]`, named from here).
#[macro_export]
macro_rules! route {
    ($method:ident $path:literal, $name:ident, $access:ident $(($permission:ident))?, $module:ident :: $room:ident :: $handler:ident) => {
        $crate::route!(@row $method $path, $name, $access $(($permission))?, $module::$room::$handler, $module::$room::[<__path_ $handler>])
    };
    ($method:ident $path:literal, $name:ident, $access:ident $(($permission:ident))?, $module:ident :: $handler:ident) => {
        $crate::route!(@row $method $path, $name, $access $(($permission))?, $module::$handler, $module::[<__path_ $handler>])
    };
    ($method:ident $path:literal, $name:ident, $access:ident $(($permission:ident))?, $handler:ident) => {
        $crate::route!(@row $method $path, $name, $access $(($permission))?, $handler, [<__path_ $handler>])
    };
    (@row $method:ident $path:literal, $name:ident, $access:ident $(($permission:ident))?, $handler:path, $($doc:tt)+) => {
        $crate::api::route::Route {
            method: stringify!($method),
            path: $path,
            name: stringify!($name),
            access: $crate::api::route::Access::$access $(($crate::api::permissions::Permission::$permission))?,
            body: $crate::api::route::Body::Json,
            limit: $crate::api::route::Limit::ByAccess,
            handler: |ctx, call| ::std::boxed::Box::pin($handler(ctx, call)),
            trips: $crate::api::route::DEFAULT_TRIPS,
            folds_membership: false,
            while_suspended: false,
            #[cfg(any(test, feature = "openapi"))]
            doc: |api| $crate::__paste! { $crate::api::route::document::<$($doc)+>(api) },
        }
    };
}

/// A route's budget of round trips unless its row says otherwise.
pub const DEFAULT_TRIPS: u8 = 2;

/// An area as the app sees it: its routes and the tables of what its input parsers check (for
/// the document's constraints).
pub struct Area {
    pub name: &'static str,
    pub routes: &'static [Route],
    /// What the inputs' checks are, as the OpenAPI document states them: only a build that
    /// writes the document (or a test) carries them.
    #[cfg(any(test, feature = "openapi"))]
    pub inputs: &'static [&'static [Documented]],
}

/// Path parameters, by name.
#[derive(Debug, Default, Clone)]
pub struct Params(pub(crate) Vec<(&'static str, String)>);

impl Params {
    /// Path parameters named `…Id` are ids; anything else is refused with the parameter named,
    /// before it reaches a query.
    pub(crate) fn check_ids(&self) -> Result<(), AppError> {
        for (name, value) in &self.0 {
            if name.ends_with("Id") && !is_id(value) {
                return Err(AppError::field(*name, "must be an id (a lower-case UUID)"));
            }
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Result<&str, AppError> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| AppError::Internal(format!("route has no parameter {name}")))
    }
}

/// Whether `s` is an id as Herald writes them: a hyphenated lower-case UUID.
pub fn is_id(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

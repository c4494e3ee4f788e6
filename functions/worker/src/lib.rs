//! Herald on Cloudflare: two Workers from one crate. The `api` feature (the default) builds the
//! HTTP API Worker, every route in one isolate (`api.rs`); the `publisher` feature builds the
//! publishing engine's Worker, the cron trigger and the queue consumer (`publisher.rs`). Both
//! share the adapters of the ports beside them and the `Host` that reads the environment
//! (`host.rs`); neither carries the other's entry points.

mod d1;
mod host;
mod platform;
mod r2;

#[cfg(feature = "api")]
mod api;
#[cfg(feature = "api")]
mod limits;
#[cfg(feature = "publisher")]
mod publisher;

#[worker::event(start)]
fn start() {
    use tracing_subscriber::prelude::*;
    let fmt_layer =
        tracing_subscriber::fmt::layer().with_ansi(false).without_time().with_writer(tracing_web::MakeConsoleWriter);
    let _ = tracing_subscriber::registry().with(fmt_layer).try_init();
}

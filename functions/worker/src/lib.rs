//! Herald on Cloudflare: three Workers from one crate. The `api` feature (the default) builds the
//! HTTP API Worker, every route but AI's in one isolate; the `ai` feature builds the AI Worker,
//! health and the AI area, to which the API Worker hands AI's routes through a service binding.
//! Both serve HTTP through the same fetch handler (`fetch.rs`, the `http` feature). The
//! `publisher` feature builds the publishing engine's Worker, the cron trigger and the queue
//! consumer (`publisher.rs`). All share the adapters of the ports beside them and the `Host` that
//! reads the environment (`host.rs`); none carries another's entry points.

mod d1;
mod host;
mod platform;
mod r2;

#[cfg(feature = "http")]
mod fetch;
#[cfg(feature = "http")]
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

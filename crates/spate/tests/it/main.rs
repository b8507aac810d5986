//! The integration tests of `spate`, built as one test binary: one link per build instead of
//! one per test file. A test file is a module of this binary, declared below; a file put
//! straight in `tests/` would be a binary of its own again, and one in `tests/it/` that is
//! not declared here is not built at all.
//!
//! `peers` holds the tests against the official peers that `scripts/test` installs; they are
//! `#[ignore]`d unless it runs them.

mod http_support;
mod peers;

mod client_modern_spate;
mod client_modern_wire;
mod client_process;
#[cfg(feature = "sqlite")]
mod durable;
mod engine;
mod event_subscription;
mod events;
mod http_client_session;
mod http_client_sse;
mod http_fanout;
mod http_server;
mod http_server_limits;
mod http_wire;
mod modern_http;
mod oauth_client;
mod oauth_server;
mod server_client;
mod tasks_http;
mod webhook_client;
mod webhook_receiver;
mod webhook_sender;
mod webhooks;

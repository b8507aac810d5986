//! The integration tests of `spate-cli` (the `spate` binary run as a child process), built as
//! one test binary: one link per build instead of one per test file. A test file is a module
//! of this binary, declared below; a file put straight in `tests/` would be a binary of its
//! own again, and one in `tests/it/` that is not declared here is not built at all.
//!
//! The `oauth_cli` tests need the Python peer that `scripts/test` installs; they are
//! `#[ignore]`d unless it runs them.

mod served;
mod stdio_support;

mod call_cli;
mod call_era_cli;
mod call_http_cli;
mod crash_restart;
mod oauth_cli;
mod serve_stdio;
mod serve_stdio_modern;
mod watch_cli;

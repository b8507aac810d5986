//! The integration tests of `spate-conformance` (the fixtures, in process and as the
//! `conformance-server` and `conformance-client` binaries), built as one test binary: one
//! link per build instead of one per test file. A test file is a module of this binary,
//! declared below; a file put straight in `tests/` would be a binary of its own again, and
//! one in `tests/it/` that is not declared here is not built at all.

mod common;

mod binary;
mod client;
mod client_binary;
mod wire;

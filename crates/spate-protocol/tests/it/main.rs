//! The integration tests of `spate-protocol`, built as one test binary: one link per build
//! instead of one per test file. A test file is a module of this binary, declared below; a
//! file put straight in `tests/` would be a binary of its own again, and one in `tests/it/`
//! that is not declared here is not built at all.
//!
//! `common` finds the specification's schemas (`$SPATE_SPEC_DIR`); `conformance` and
//! `strategies` are the harness and the proptest strategies of `schema_conformance`.

mod common;
mod conformance;
mod strategies;

mod examples;
mod fit_version;
mod schema_conformance;
mod tolerant_decoding;

//! Wire types of the Model Context Protocol for every released version, in one era-neutral
//! model: tolerant when reading, exact when writing for the negotiated version.
//!
//! No I/O and no runtime here: transports and the engine live in the `spate` crate.

pub mod error_code;
pub mod jsonrpc;
pub mod version;

pub use jsonrpc::{ErrorObject, Message, Notification, Request, RequestId, Response, ResponseBody};
pub use version::{Era, ProtocolVersion};

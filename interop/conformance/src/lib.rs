//! The fixture server of the official MCP conformance suite
//! (`@modelcontextprotocol/conformance`, server mode), built with Spate's server API.
//!
//! The suite connects as a client and checks named fixtures: tools `test_*`, resources
//! `test://…`, prompts `test_*`. Their names and exact contents are fixed by the suite's
//! scenarios and its reference fixture server (`examples/servers/typescript/everything-server.ts`
//! in <https://github.com/modelcontextprotocol/conformance>); each fixture here names the
//! scenarios that check it. The registration order matters: the suite calls the *first* tool and
//! reads the *first* resource in some scenarios, so `test_simple_text` and
//! `test://static-text` come first.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! spate_conformance::fixture_server().serve_stdio().await
//! # }
//! ```

#![deny(missing_docs)]

mod assets;
mod input_required;
mod interactive;
mod media;
mod modern;
mod prompts;
mod resources;
mod schema;
mod tasks;

use spate::server::{Server, ServerConfig};
use spate_protocol::Implementation;

/// The `serverInfo.name` of the fixture server.
pub const NAME: &str = "spate-conformance-server";

/// Builds the fixture server with every fixture registered, in the order the suite expects.
pub fn fixture_server() -> Server {
    let info = Implementation {
        title: Some("Spate conformance fixture server".into()),
        ..Implementation::new(NAME, env!("CARGO_PKG_VERSION"))
    };
    let server = Server::with_info(info, None, ServerConfig::default());
    let server = media::register(server);
    let server = interactive::register(server);
    let server = modern::register(server);
    let server = resources::register(server);
    let server = prompts::register(server);
    let server = input_required::register(server);
    tasks::register(server)
}

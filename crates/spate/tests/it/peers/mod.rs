//! Our client against the official peers that `scripts/test` installs (`#[ignore]`d unless it
//! runs them, with `--include-ignored`): server-everything (TypeScript SDK) and servers on the
//! Python SDK, over stdio and HTTP; and the published events peers (`mcp-handler`, `@ai-sdk/mcp`).

mod support;

mod client_modern_peers;
mod events_ai_sdk;
mod events_mcp_handler;
mod official_peers;
mod official_peers_http;

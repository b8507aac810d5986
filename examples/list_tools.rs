//! A client: launch any stdio MCP server, list its tools, call one with JSON arguments.
//!
//! `cargo run --example list_tools -- spate serve --stdio`

use spate::client::{CallOptions, Client};
use spate::transport::stdio::StdioCommand;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let program = args.next().ok_or("usage: list_tools <server command…>")?;
    let client = Client::builder("list-tools-example", "1.0")
        .connect_stdio(StdioCommand::new(program, args))
        .await?;
    println!(
        "connected to {} ({})",
        client.server().server_info.name,
        client.protocol_version()
    );
    for tool in client.list_all_tools().await? {
        println!("- {}: {}", tool.name, tool.description.unwrap_or_default());
    }
    if client
        .list_all_tools()
        .await?
        .iter()
        .any(|t| t.name == "calculate")
    {
        let options = CallOptions::with_progress(|p| eprintln!("progress {}", p.progress));
        let result = client
            .call_tool("calculate", serde_json::json!({"a": 1, "b": 2}), options)
            .await?;
        println!("calculate(1, 2) = {:?}", result.content);
    }
    client.close().await;
    Ok(())
}

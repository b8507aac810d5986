//! Tools the suite lists or calls in scenarios of the stateless 2026-07-28 revision
//! (`server-stateless`, `http-custom-header-server-validation`), and the JSON Schema 2020-12
//! tool (`json-schema-2020-12`, SEP-1613).
//!
//! They are served in every era so the catalog is the same for each client; what only the
//! 2026 wire can express (HTTP 400 with `-32021`, `input_required` results, log gating by
//! `_meta` logLevel) is done by the server runtime, not here. The multi-round-trip fixtures
//! live in `input_required`.

use serde::Deserialize;
use serde_json::{Value, json};
use spate::server::{Args, Context, Server, ToolEntry, ToolError};
use spate_protocol::{CreateMessageRequestParams, JsonObject, Role, SamplingMessage};

use crate::schema::{NoArgs, no_args, tool};

/// Registers the tools.
pub fn register(server: Server) -> Server {
    server
        .tool_entry(ToolEntry::with_tool(
            tool(
                "json_schema_2020_12_tool",
                "Tool with JSON Schema 2020-12 features",
                json_schema_2020_12(),
            ),
            |Args(arguments): Args<JsonObject>| async move {
                Ok(format!(
                    "Received arguments: {}",
                    Value::Object(arguments)
                ))
            },
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_missing_capability",
                "Needs the client's sampling capability; fails without it",
                no_args(),
            ),
            missing_capability,
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_streaming_elicitation",
                "Answers with a plain result and never sends the client a request",
                no_args(),
            ),
            |Args(NoArgs {}): Args<NoArgs>| async move {
                Ok("Streaming elicitation test completed without a server-to-client request")
            },
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_logging_tool",
                "Logs one info message (delivered only where the client asked for logs)",
                no_args(),
            ),
            |ctx: Context, Args(NoArgs {}): Args<NoArgs>| async move {
                ctx.info("Logging tool invoked")
                    .await
                    ?;
                Ok("Logging tool executed")
            },
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_trigger_tool_change",
                "Re-registers a tool, so clients hear notifications/tools/list_changed",
                no_args(),
            ),
            |ctx: Context, Args(NoArgs {}): Args<NoArgs>| async move {
                // Replacing an entry keeps its position: the list stays the same, and the
                // change is still announced.
                ctx.server().add_tool(crate::media::simple_text());
                Ok("Tool list changed")
            },
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_trigger_prompt_change",
                "Re-registers a prompt, so clients hear notifications/prompts/list_changed",
                no_args(),
            ),
            |ctx: Context, Args(NoArgs {}): Args<NoArgs>| async move {
                ctx.server().add_prompt(crate::prompts::simple_prompt());
                Ok("Prompt list changed")
            },
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_x_mcp_header",
                "Echoes its region argument, which also travels as the Mcp-Param-Region header (SEP-2243)",
                json!({
                    "type": "object",
                    "properties": {
                        "region": {"type": "string", "description": "A region name", "x-mcp-header": "Region"},
                        "level": {"type": "integer", "description": "A level"}
                    }
                }),
            ),
            |Args(args): Args<HeaderArgs>| async move {
                Ok(format!("region={}", args.region.unwrap_or_default()))
            },
        ))
}

/// `json-schema-2020-12`, verbatim: `$schema`, `$defs` with an `$anchor`, `allOf`/`anyOf`,
/// `if`/`then`/`else` and `additionalProperties: false` must all survive listing.
pub fn json_schema_2020_12() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": {
                    "street": {"type": "string"},
                    "city": {"type": "string"}
                }
            }
        },
        "properties": {
            "name": {"type": "string"},
            "address": {"$ref": "#/$defs/address"},
            "contactMethod": {"type": "string", "enum": ["phone", "email"]},
            "phone": {"type": "string"},
            "email": {"type": "string"}
        },
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": false
    })
}

/// `server-stateless`: needs the client's model. A 2026-07-28 request that does not declare
/// `sampling` is refused by the server with `-32021` (HTTP 400); with it, the model is asked
/// (`input_required` on 2026-07-28, a `sampling/createMessage` request on a legacy session).
async fn missing_capability(
    ctx: Context,
    Args(NoArgs {}): Args<NoArgs>,
) -> Result<String, ToolError> {
    let request = CreateMessageRequestParams {
        messages: vec![SamplingMessage::text(Role::User, "Say hello".to_owned())],
        max_tokens: 20,
        ..Default::default()
    };
    let reply = ctx.sample(request).await?;
    Ok(format!(
        "The model said: {}",
        reply.content.texts().join("\n")
    ))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct HeaderArgs {
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    level: Option<i64>,
}

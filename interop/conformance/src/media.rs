//! Tools that return fixed content of each kind (the suite's `tools-call-simple-text`,
//! `-image`, `-audio`, `-embedded-resource`, `-mixed-content` and `-error` scenarios).

use spate::server::{Args, Server, ToolEntry};
use spate_protocol::{CallToolResult, ContentBlock, ResourceContents, TextResourceContents};

use crate::assets::{PNG, PNG_MIME, WAV, WAV_MIME};
use crate::schema::{NoArgs, no_args, tool};

/// Registers the content tools; `test_simple_text` first, as `http-header-validation` calls
/// the first listed tool and expects a plain success.
pub fn register(server: Server) -> Server {
    server
        .tool_entry(simple_text())
        .tool_entry(fixed(
            "test_image_content",
            "Returns a 1x1 PNG image",
            vec![ContentBlock::image(PNG, PNG_MIME)],
        ))
        .tool_entry(fixed(
            "test_audio_content",
            "Returns a short WAV audio clip",
            vec![ContentBlock::audio(WAV, WAV_MIME)],
        ))
        .tool_entry(fixed(
            "test_embedded_resource",
            "Returns an embedded text resource",
            vec![embedded_text(
                "test://embedded-resource",
                "text/plain",
                "This is an embedded resource content.",
            )],
        ))
        .tool_entry(fixed(
            "test_multiple_content_types",
            "Returns text, an image and an embedded JSON resource",
            vec![
                ContentBlock::text("Multiple content types test:"),
                ContentBlock::image(PNG, PNG_MIME),
                embedded_text(
                    "test://mixed-content-resource",
                    "application/json",
                    r#"{"test":"data","value":123}"#,
                ),
            ],
        ))
        .tool_entry(ToolEntry::with_tool(
            tool(
                "test_error_handling",
                "Always fails: returns a tool error result (isError: true)",
                no_args(),
            ),
            |Args(NoArgs {}): Args<NoArgs>| async move {
                Ok(CallToolResult::error(
                    "This tool intentionally returns an error for testing",
                ))
            },
        ))
}

/// `test_simple_text` (`tools-call-simple-text`); also what `test_trigger_tool_change`
/// re-registers.
pub fn simple_text() -> ToolEntry {
    fixed(
        "test_simple_text",
        "Returns a simple text response",
        vec![ContentBlock::text(
            "This is a simple text response for testing.",
        )],
    )
}

/// A tool without arguments that always returns `content`.
fn fixed(name: &str, description: &str, content: Vec<ContentBlock>) -> ToolEntry {
    ToolEntry::with_tool(
        tool(name, description, no_args()),
        move |Args(NoArgs {}): Args<NoArgs>| {
            let content = content.clone();
            async move { Ok(content) }
        },
    )
}

/// An embedded text resource block.
pub fn embedded_text(uri: &str, mime_type: &str, text: &str) -> ContentBlock {
    ContentBlock::embedded(ResourceContents::Text(TextResourceContents {
        uri: uri.to_owned(),
        mime_type: Some(mime_type.to_owned()),
        text: text.to_owned(),
        meta: None,
    }))
}

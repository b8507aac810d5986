//! Prompts (the suite's `prompts-list` and `prompts-get-*` scenarios) and the completion of
//! `arg1` (`completion-complete`).

use std::collections::BTreeMap;

use spate::server::{PromptEntry, Server, prefix_matches};
use spate_protocol::{ContentBlock, GetPromptResult, Prompt, PromptArgument, PromptMessage, Role};

use crate::assets::{PNG, PNG_MIME};
use crate::media::embedded_text;

/// What `completion/complete` offers for the arguments of `test_prompt_with_arguments`.
const SUGGESTIONS: [&str; 5] = ["testValue1", "testValue2", "paris", "park", "party"];

/// Registers the prompts.
pub fn register(server: Server) -> Server {
    server
        .prompt(simple_prompt())
        .prompt(
            PromptEntry::new(
                prompt(
                    "test_prompt_with_arguments",
                    "A prompt with two required arguments",
                    &[
                        ("arg1", "First test argument"),
                        ("arg2", "Second test argument"),
                    ],
                ),
                |args: BTreeMap<String, String>| async move {
                    let text = format!(
                        "Prompt with arguments: arg1='{}', arg2='{}'",
                        arg(&args, "arg1"),
                        arg(&args, "arg2")
                    );
                    Ok(messages(vec![ContentBlock::text(text)]))
                },
            )
            .complete("arg1", |prefix, _| prefix_matches(SUGGESTIONS, prefix))
            .complete("arg2", |prefix, _| prefix_matches(SUGGESTIONS, prefix)),
        )
        .prompt(PromptEntry::new(
            prompt(
                "test_prompt_with_embedded_resource",
                "A prompt that embeds the resource it is given",
                &[("resourceUri", "URI of the resource to embed")],
            ),
            |args: BTreeMap<String, String>| async move {
                Ok(messages(vec![
                    embedded_text(
                        arg(&args, "resourceUri"),
                        "text/plain",
                        "Embedded resource content for testing.",
                    ),
                    ContentBlock::text("Please process the embedded resource above."),
                ]))
            },
        ))
        .prompt(PromptEntry::new(
            prompt("test_prompt_with_image", "A prompt with an image", &[]),
            || async move {
                Ok(messages(vec![
                    ContentBlock::image(PNG, PNG_MIME),
                    ContentBlock::text("Please analyze the image above."),
                ]))
            },
        ))
}

/// `test_simple_prompt` (`prompts-get-simple`); also what `test_trigger_prompt_change`
/// re-registers.
pub fn simple_prompt() -> PromptEntry {
    PromptEntry::new(
        prompt(
            "test_simple_prompt",
            "A simple prompt without arguments",
            &[],
        ),
        || async move {
            Ok(messages(vec![ContentBlock::text(
                "This is a simple prompt for testing.",
            )]))
        },
    )
}

/// A prompt description with required string arguments.
fn prompt(name: &str, description: &str, required: &[(&str, &str)]) -> Prompt {
    let arguments = required
        .iter()
        .map(|(name, description)| PromptArgument {
            name: (*name).to_owned(),
            description: Some((*description).to_owned()),
            required: Some(true),
            ..PromptArgument::default()
        })
        .collect::<Vec<_>>();
    Prompt {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        arguments: (!arguments.is_empty()).then_some(arguments),
        ..Prompt::default()
    }
}

/// One user message per content block.
fn messages(content: Vec<ContentBlock>) -> GetPromptResult {
    GetPromptResult {
        messages: content
            .into_iter()
            .map(|content| PromptMessage {
                role: Role::User,
                content,
            })
            .collect(),
        ..GetPromptResult::default()
    }
}

/// An argument the entry has already checked is present (required arguments are checked
/// before the prompt renders).
fn arg<'a>(args: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    args.get(name).map_or("", String::as_str)
}

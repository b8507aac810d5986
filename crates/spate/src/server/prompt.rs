//! Prompts with arguments.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use spate_protocol::{ErrorObject, GetPromptResult, JsonObject, Prompt, PromptArgument};

use super::Context;
use super::completion::Completer;
use super::extract::{PromptParams, Rejection, Request};
use super::handler::HandlerFn;

type GetFn = Arc<
    dyn Fn(
            Context,
            BTreeMap<String, String>,
        ) -> BoxFuture<'static, Result<GetPromptResult, ErrorObject>>
        + Send
        + Sync,
>;

/// A prompt, how to render it, and completers for its arguments.
#[derive(Clone)]
pub struct PromptEntry {
    /// What `prompts/list` shows.
    pub prompt: Prompt,
    pub(crate) get: GetFn,
    pub(crate) completers: BTreeMap<String, Completer>,
}

impl std::fmt::Debug for PromptEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptEntry")
            .field("prompt", &self.prompt)
            .finish_non_exhaustive()
    }
}

impl PromptEntry {
    /// A prompt rendered by an async function of extractors: its arguments
    /// ([`Args<T>`](super::Args), or the raw map), [`Context`], … A prompt that lists no
    /// arguments gets those of `T` in `Args<T>` (its properties, their descriptions, which are
    /// required). Required arguments are checked before the function runs.
    pub fn new<H, M>(mut prompt: Prompt, get: H) -> Self
    where
        H: HandlerFn<PromptParams, M, Output = Result<GetPromptResult, ErrorObject>>,
        M: 'static,
    {
        if prompt.arguments.is_none() {
            prompt.arguments = H::input_schema().map(|schema| arguments_of(&schema));
        }
        let get: GetFn = Arc::new(move |ctx, arguments| {
            let call = get.call(Request::new(ctx, PromptParams { arguments }));
            Box::pin(async move {
                call.await
                    .unwrap_or_else(|Rejection(message)| Err(ErrorObject::invalid_params(message)))
            })
        });
        Self {
            prompt,
            get,
            completers: BTreeMap::new(),
        }
    }

    /// Completes the argument `name` (`completion/complete` with `ref/prompt`).
    pub fn complete(
        mut self,
        name: impl Into<String>,
        completer: impl Fn(&str, &BTreeMap<String, String>) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        self.completers.insert(name.into(), Arc::new(completer));
        self
    }

    /// `-32602` naming the first required argument that is missing.
    pub(crate) fn check_required(
        &self,
        args: &BTreeMap<String, String>,
    ) -> Result<(), ErrorObject> {
        for arg in self.prompt.arguments.iter().flatten() {
            if arg.required == Some(true) && !args.contains_key(&arg.name) {
                return Err(ErrorObject::invalid_params(format!(
                    "Missing required argument {:?} for prompt {:?}",
                    arg.name, self.prompt.name
                )));
            }
        }
        Ok(())
    }
}

/// The prompt arguments a JSON Schema object describes.
fn arguments_of(schema: &JsonObject) -> Vec<PromptArgument> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|n| n.as_str()).collect())
        .unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, property)| PromptArgument {
            name: name.clone(),
            title: None,
            description: property
                .get("description")
                .and_then(|d| d.as_str())
                .map(str::to_owned),
            required: Some(required.contains(&name.as_str())),
        })
        .collect()
}

//! Prompts with arguments.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use spate_protocol::{ErrorObject, GetPromptResult, Prompt};

use super::Context;
use super::completion::Completer;

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
    /// A prompt rendered by a function of its arguments. Required arguments (as the prompt
    /// declares them) are checked before the function runs.
    pub fn new<F, Fut>(prompt: Prompt, get: F) -> Self
    where
        F: Fn(Context, BTreeMap<String, String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<GetPromptResult, ErrorObject>> + Send + 'static,
    {
        Self {
            prompt,
            get: Arc::new(move |ctx, args| Box::pin(get(ctx, args))),
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

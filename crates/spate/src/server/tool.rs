//! Tools as async functions with typed arguments.
//!
//! A tool handler is any async function taking [`Args<T>`] (and optionally a [`Context`]
//! first) and returning `Result<R, E>` where `R:` [`IntoToolResult`] and `E: Display`. The
//! input schema is derived from `T` with schemars (JSON Schema 2020-12); the output schema from
//! `R` when it is [`Structured`]. Invalid arguments and handler errors become a result with
//! `isError: true` (SEP-1303), so the model sees them and can correct itself.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use spate_protocol::{CallToolResult, ContentBlock, JsonObject, TaskSupport, Tool};

use super::Context;
use super::schema::schema_object;

/// Typed tool arguments, parsed from `arguments` of `tools/call`.
#[derive(Debug, Clone)]
pub struct Args<T>(pub T);

/// A structured tool result: a text for models that read text, and a value that is both
/// `structuredContent` and, through its type, the tool's `outputSchema`.
#[derive(Debug, Clone)]
pub struct Structured<T> {
    /// The text content block.
    pub text: String,
    /// The structured value; must serialise to a JSON object.
    pub value: T,
}

/// What a tool handler may return.
pub trait IntoToolResult {
    /// The output schema this type implies, if any.
    fn output_schema() -> Option<JsonObject> {
        None
    }
    /// Converts into the wire result.
    fn into_tool_result(self) -> CallToolResult;
}

impl IntoToolResult for CallToolResult {
    fn into_tool_result(self) -> CallToolResult {
        self
    }
}

impl IntoToolResult for String {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}

impl IntoToolResult for &'static str {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}

impl IntoToolResult for ContentBlock {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult {
            content: vec![self],
            ..Default::default()
        }
    }
}

impl IntoToolResult for Vec<ContentBlock> {
    fn into_tool_result(self) -> CallToolResult {
        CallToolResult {
            content: self,
            ..Default::default()
        }
    }
}

impl<T: Serialize + JsonSchema> IntoToolResult for Structured<T> {
    fn output_schema() -> Option<JsonObject> {
        Some(schema_object::<T>())
    }
    fn into_tool_result(self) -> CallToolResult {
        let mut result = CallToolResult::text(self.text);
        result.structured_content = serde_json::to_value(&self.value).ok();
        result
    }
}

/// A type-erased tool: what the registry stores.
pub(crate) trait ErasedTool: Send + Sync {
    fn call(
        &self,
        context: Context,
        arguments: Option<JsonObject>,
    ) -> BoxFuture<'static, CallToolResult>;
}

/// An async function usable as a tool. `M` only tells the two shapes apart.
pub trait ToolHandler<M>: Clone + Send + Sync + 'static {
    /// The input schema derived from the argument type.
    fn input_schema() -> JsonObject;
    /// The output schema derived from the result type.
    fn output_schema() -> Option<JsonObject>;
    #[doc(hidden)]
    fn call(
        &self,
        context: Context,
        arguments: Option<JsonObject>,
    ) -> BoxFuture<'static, CallToolResult>;
}

/// Marker for handlers taking only arguments.
#[doc(hidden)]
pub struct ArgsOnly<T>(std::marker::PhantomData<T>);
/// Marker for handlers taking a context and arguments.
#[doc(hidden)]
pub struct WithContext<T>(std::marker::PhantomData<T>);

fn parse_args<T: DeserializeOwned>(arguments: Option<JsonObject>) -> Result<T, CallToolResult> {
    let value = serde_json::Value::Object(arguments.unwrap_or_default());
    serde_json::from_value(value)
        .map_err(|e| CallToolResult::error(format!("Invalid arguments: {e}")))
}

fn finish<R: IntoToolResult, E: Display>(outcome: Result<R, E>) -> CallToolResult {
    match outcome {
        Ok(r) => r.into_tool_result(),
        Err(e) => CallToolResult::error(e.to_string()),
    }
}

impl<F, Fut, T, R, E> ToolHandler<ArgsOnly<(T, R, E)>> for F
where
    F: Fn(Args<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    T: DeserializeOwned + JsonSchema + Send + 'static,
    R: IntoToolResult + 'static,
    E: Display + 'static,
{
    fn input_schema() -> JsonObject {
        schema_object::<T>()
    }
    fn output_schema() -> Option<JsonObject> {
        R::output_schema()
    }
    fn call(
        &self,
        _context: Context,
        arguments: Option<JsonObject>,
    ) -> BoxFuture<'static, CallToolResult> {
        let f = self.clone();
        Box::pin(async move {
            match parse_args::<T>(arguments) {
                Ok(args) => finish(f(Args(args)).await),
                Err(invalid) => invalid,
            }
        })
    }
}

impl<F, Fut, T, R, E> ToolHandler<WithContext<(T, R, E)>> for F
where
    F: Fn(Context, Args<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<R, E>> + Send + 'static,
    T: DeserializeOwned + JsonSchema + Send + 'static,
    R: IntoToolResult + 'static,
    E: Display + 'static,
{
    fn input_schema() -> JsonObject {
        schema_object::<T>()
    }
    fn output_schema() -> Option<JsonObject> {
        R::output_schema()
    }
    fn call(
        &self,
        context: Context,
        arguments: Option<JsonObject>,
    ) -> BoxFuture<'static, CallToolResult> {
        let f = self.clone();
        Box::pin(async move {
            match parse_args::<T>(arguments) {
                Ok(args) => finish(f(context, Args(args)).await),
                Err(invalid) => invalid,
            }
        })
    }
}

struct Erased<H, M> {
    handler: H,
    _marker: std::marker::PhantomData<fn() -> M>,
}

impl<H: ToolHandler<M>, M: 'static> ErasedTool for Erased<H, M> {
    fn call(
        &self,
        context: Context,
        arguments: Option<JsonObject>,
    ) -> BoxFuture<'static, CallToolResult> {
        self.handler.call(context, arguments)
    }
}

/// A tool's description and handler, as registered.
#[derive(Clone)]
pub struct ToolEntry {
    /// What `tools/list` shows.
    pub tool: Tool,
    pub(crate) handler: Arc<dyn ErasedTool>,
    /// The handler decides when the call becomes a task ([`Context::start_task`]).
    pub(crate) starts_task_itself: bool,
}

impl std::fmt::Debug for ToolEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolEntry")
            .field("tool", &self.tool)
            .finish_non_exhaustive()
    }
}

impl ToolEntry {
    /// A tool from a typed handler; schemas are derived from its types.
    pub fn new<H: ToolHandler<M>, M: 'static>(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: H,
    ) -> Self {
        let tool = Tool {
            name: name.into(),
            description: Some(description.into()),
            input_schema: H::input_schema(),
            output_schema: H::output_schema(),
            ..Default::default()
        };
        Self::with_tool(tool, handler)
    }

    /// A tool whose description (title, annotations, icons, schemas) the caller wrote.
    pub fn with_tool<H: ToolHandler<M>, M: 'static>(tool: Tool, handler: H) -> Self {
        Self {
            tool,
            handler: Arc::new(Erased {
                handler,
                _marker: std::marker::PhantomData,
            }),
            starts_task_itself: false,
        }
    }

    /// Whether the tool may (or must) run as a task: shown as `execution.taskSupport` to
    /// 2025-11-25 clients; on 2026-07-28 requests that declare the tasks extension a tool
    /// that supports tasks always runs as one.
    pub fn task_support(mut self, support: TaskSupport) -> Self {
        self.tool.execution = Some(spate_protocol::ToolExecution {
            task_support: Some(support),
        });
        self
    }

    /// The call becomes a task only when the handler says so ([`Context::start_task`]):
    /// until then it answers like any call (`input_required` rounds included), so it can
    /// gather input first and then go on in the background.
    pub fn starts_task_itself(mut self) -> Self {
        self.starts_task_itself = true;
        self
    }

    /// How the tool may run as a task.
    pub(crate) fn tasks(&self) -> TaskSupport {
        self.tool
            .execution
            .as_ref()
            .and_then(|e| e.task_support)
            .unwrap_or_default()
    }
}

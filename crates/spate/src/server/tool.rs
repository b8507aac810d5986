//! Tools as async functions with typed arguments.
//!
//! A tool handler is any async function whose arguments are extractors ([`FromToolCall`]:
//! [`Args<T>`], [`Context`], [`Principal`], `Option<Principal>`, in any order, up to four) and
//! that returns `Result<R, ToolError>` where `R:` [`IntoToolResult`]. `?` works on
//! [`ContextError`](super::ContextError), `serde_json::Error`, `std::io::Error`, `String` and
//! `&str`. The input schema is derived from `T` with schemars (JSON Schema 2020-12); the output
//! schema from `R` when it is [`Structured`]. Invalid arguments and [`ToolError::Failed`]
//! become a result with `isError: true` (SEP-1303), so the model sees them and can correct
//! itself; [`ToolError::Protocol`] fails the request with a JSON-RPC error.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use schemars::JsonSchema;
use serde::Serialize;
use spate_protocol::{CallToolResult, ContentBlock, ErrorObject, JsonObject, TaskSupport, Tool};

use super::extract::{Rejection, Request, ToolParams};
use super::handler::HandlerFn;
use super::schema::schema_object;
use super::{Context, ToolError};

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
    ) -> BoxFuture<'static, Result<CallToolResult, ErrorObject>>;
}

struct Erased<H, M> {
    handler: H,
    _marker: std::marker::PhantomData<fn() -> M>,
}

impl<H, M, R> ErasedTool for Erased<H, M>
where
    H: HandlerFn<ToolParams, M, Output = Result<R, ToolError>>,
    R: IntoToolResult + 'static,
    M: 'static,
{
    fn call(
        &self,
        context: Context,
        arguments: Option<JsonObject>,
    ) -> BoxFuture<'static, Result<CallToolResult, ErrorObject>> {
        let call = self
            .handler
            .call(Request::new(context, ToolParams { arguments }));
        Box::pin(async move {
            match call.await {
                Ok(Ok(r)) => Ok(r.into_tool_result()),
                Ok(Err(ToolError::Failed(message))) => Ok(CallToolResult::error(message)),
                Ok(Err(ToolError::Protocol(error))) => Err(error),
                Err(Rejection(message)) => Ok(CallToolResult::error(message)),
            }
        })
    }
}

/// The schema of a tool that takes no arguments.
fn no_arguments() -> JsonObject {
    let mut schema = JsonObject::new();
    schema.insert("type".into(), "object".into());
    schema
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
    pub fn new<H, M, R>(name: impl Into<String>, description: impl Into<String>, handler: H) -> Self
    where
        H: HandlerFn<ToolParams, M, Output = Result<R, ToolError>>,
        R: IntoToolResult + 'static,
        M: 'static,
    {
        let tool = Tool {
            name: name.into(),
            description: Some(description.into()),
            input_schema: H::input_schema().unwrap_or_else(no_arguments),
            output_schema: R::output_schema(),
            ..Default::default()
        };
        Self::with_tool(tool, handler)
    }

    /// A tool whose description (title, annotations, icons, schemas) the caller wrote.
    pub fn with_tool<H, M, R>(tool: Tool, handler: H) -> Self
    where
        H: HandlerFn<ToolParams, M, Output = Result<R, ToolError>>,
        R: IntoToolResult + 'static,
        M: 'static,
    {
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

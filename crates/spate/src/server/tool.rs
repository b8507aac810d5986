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

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use spate_protocol::{CallToolResult, ContentBlock, ErrorObject, JsonObject, TaskSupport, Tool};

use super::schema::schema_object;
use super::{Context, Principal, ToolError};

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
    ) -> BoxFuture<'static, Result<CallToolResult, ErrorObject>>;
}

/// What a tool handler's arguments are taken from: one `tools/call`.
#[derive(Debug)]
pub struct ToolCall {
    context: Context,
    arguments: Option<JsonObject>,
}

/// A value a tool handler can take as an argument, taken from the call.
pub trait FromToolCall: Sized + Send + 'static {
    /// The input schema this argument implies (only [`Args`] has one).
    fn input_schema() -> Option<JsonObject> {
        None
    }
    /// Takes the value from the call; `Err` answers the call at once with that result.
    fn from_tool_call(call: &mut ToolCall) -> Result<Self, CallToolResult>;
}

impl<T: DeserializeOwned + JsonSchema + Send + 'static> FromToolCall for Args<T> {
    fn input_schema() -> Option<JsonObject> {
        Some(schema_object::<T>())
    }
    fn from_tool_call(call: &mut ToolCall) -> Result<Self, CallToolResult> {
        let value = serde_json::Value::Object(call.arguments.take().unwrap_or_default());
        serde_json::from_value(value)
            .map(Args)
            .map_err(|e| CallToolResult::error(format!("Invalid arguments: {e}")))
    }
}

impl FromToolCall for Context {
    fn from_tool_call(call: &mut ToolCall) -> Result<Self, CallToolResult> {
        Ok(call.context.clone())
    }
}

impl FromToolCall for Option<Principal> {
    fn from_tool_call(call: &mut ToolCall) -> Result<Self, CallToolResult> {
        Ok(call.context.principal())
    }
}

impl FromToolCall for Principal {
    /// Refuses (a tool error) a call that carries no verified caller.
    fn from_tool_call(call: &mut ToolCall) -> Result<Self, CallToolResult> {
        call.context
            .principal()
            .ok_or_else(|| CallToolResult::error("This tool needs an authenticated caller"))
    }
}

/// An async function usable as a tool. `M` is the tuple of its argument types.
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
    ) -> BoxFuture<'static, Result<CallToolResult, ErrorObject>>;
}

fn finish<R: IntoToolResult>(outcome: Result<R, ToolError>) -> Result<CallToolResult, ErrorObject> {
    match outcome {
        Ok(r) => Ok(r.into_tool_result()),
        Err(ToolError::Failed(message)) => Ok(CallToolResult::error(message)),
        Err(ToolError::Protocol(error)) => Err(error),
    }
}

/// The schema of a tool that takes no arguments.
fn no_arguments() -> JsonObject {
    let mut schema = JsonObject::new();
    schema.insert("type".into(), "object".into());
    schema
}

macro_rules! tool_handler {
    ($($arg:ident),*) => {
        impl<F, Fut, R, $($arg,)*> ToolHandler<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = Result<R, ToolError>> + Send + 'static,
            R: IntoToolResult + 'static,
            $($arg: FromToolCall,)*
        {
            fn input_schema() -> JsonObject {
                None$(.or_else($arg::input_schema))*.unwrap_or_else(no_arguments)
            }
            fn output_schema() -> Option<JsonObject> {
                R::output_schema()
            }
            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn call(
                &self,
                context: Context,
                arguments: Option<JsonObject>,
            ) -> BoxFuture<'static, Result<CallToolResult, ErrorObject>> {
                let f = self.clone();
                Box::pin(async move {
                    let mut call = ToolCall { context, arguments };
                    $(
                        let $arg = match $arg::from_tool_call(&mut call) {
                            Ok(value) => value,
                            Err(refused) => return Ok(refused),
                        };
                    )*
                    finish(f($($arg),*).await)
                })
            }
        }
    };
}

tool_handler!();
tool_handler!(A1);
tool_handler!(A1, A2);
tool_handler!(A1, A2, A3);
tool_handler!(A1, A2, A3, A4);

struct Erased<H, M> {
    handler: H,
    _marker: std::marker::PhantomData<fn() -> M>,
}

impl<H: ToolHandler<M>, M: 'static> ErasedTool for Erased<H, M> {
    fn call(
        &self,
        context: Context,
        arguments: Option<JsonObject>,
    ) -> BoxFuture<'static, Result<CallToolResult, ErrorObject>> {
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

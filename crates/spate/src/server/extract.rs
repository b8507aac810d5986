//! Handler arguments taken from the request they serve (extractors, as in axum).
//!
//! Every handler (tool, resource, template, prompt) is an async function whose arguments
//! implement [`FromRequest`] for what its method carries: [`ToolParams`], [`ResourceParams`]
//! or [`PromptParams`]. [`Context`] and the caller ([`Principal`], `Option<Principal>`) come
//! from any request; [`Args<T>`] from a tool's or a prompt's arguments; [`Uri`] and
//! [`Vars<T>`] from a resource read.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::Value;
use spate_protocol::JsonObject;

use super::schema::schema_object;
use super::{Context, Principal};

/// One handler call: the [`Context`] and what the method carries (`P`).
#[derive(Debug)]
pub struct Request<P> {
    context: Context,
    params: P,
}

impl<P> Request<P> {
    pub(crate) fn new(context: Context, params: P) -> Self {
        Self { context, params }
    }
}

/// What a `tools/call` carries: its arguments.
#[derive(Debug)]
pub struct ToolParams {
    pub(crate) arguments: Option<JsonObject>,
}

/// What a `resources/read` carries: the URI, and the variables a template matched in it.
#[derive(Debug)]
pub struct ResourceParams {
    pub(crate) uri: String,
    pub(crate) vars: BTreeMap<String, String>,
}

/// What a `prompts/get` carries: its arguments (strings, by the protocol).
#[derive(Debug)]
pub struct PromptParams {
    pub(crate) arguments: BTreeMap<String, String>,
}

/// Why an argument could not be taken from the request. A tool call answers it as a tool
/// error the model can read; a resource read or prompt as `-32602` invalid params.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(pub String);

/// A value a handler can take as an argument, taken from a request carrying `P`.
pub trait FromRequest<P>: Sized + Send + 'static {
    /// The JSON Schema of the arguments this extractor reads, if it reads them
    /// ([`Args<T>`]): a tool's `inputSchema`, a prompt's argument list.
    fn input_schema() -> Option<JsonObject> {
        None
    }
    /// Takes the value from the request.
    fn from_request(request: &mut Request<P>) -> Result<Self, Rejection>;
}

impl<P> FromRequest<P> for Context {
    fn from_request(request: &mut Request<P>) -> Result<Self, Rejection> {
        Ok(request.context.clone())
    }
}

impl<P> FromRequest<P> for Option<Principal> {
    fn from_request(request: &mut Request<P>) -> Result<Self, Rejection> {
        Ok(request.context.principal())
    }
}

impl<P> FromRequest<P> for Principal {
    /// Refuses a request that carries no verified caller.
    fn from_request(request: &mut Request<P>) -> Result<Self, Rejection> {
        request
            .context
            .principal()
            .ok_or_else(|| Rejection("This needs an authenticated caller".to_owned()))
    }
}

/// Typed arguments: a tool's `arguments`, or a prompt's (strings, so its fields are strings
/// or parse from one). `T`'s JSON Schema is the tool's `inputSchema`.
#[derive(Debug, Clone)]
pub struct Args<T>(pub T);

fn invalid_arguments(e: serde_json::Error) -> Rejection {
    Rejection(format!("Invalid arguments: {e}"))
}

impl<T: DeserializeOwned + schemars::JsonSchema + Send + 'static> FromRequest<ToolParams>
    for Args<T>
{
    fn input_schema() -> Option<JsonObject> {
        Some(schema_object::<T>())
    }
    fn from_request(request: &mut Request<ToolParams>) -> Result<Self, Rejection> {
        let arguments = request.params.arguments.take().unwrap_or_default();
        serde_json::from_value(Value::Object(arguments))
            .map(Args)
            .map_err(invalid_arguments)
    }
}

impl<T: DeserializeOwned + schemars::JsonSchema + Send + 'static> FromRequest<PromptParams>
    for Args<T>
{
    fn input_schema() -> Option<JsonObject> {
        Some(schema_object::<T>())
    }
    fn from_request(request: &mut Request<PromptParams>) -> Result<Self, Rejection> {
        from_strings(&request.params.arguments).map(Args)
    }
}

/// A prompt's arguments as they came.
impl FromRequest<PromptParams> for BTreeMap<String, String> {
    fn from_request(request: &mut Request<PromptParams>) -> Result<Self, Rejection> {
        Ok(std::mem::take(&mut request.params.arguments))
    }
}

/// The URI being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri(pub String);

impl FromRequest<ResourceParams> for Uri {
    fn from_request(request: &mut Request<ResourceParams>) -> Result<Self, Rejection> {
        Ok(Uri(request.params.uri.clone()))
    }
}

/// The variables a resource template matched in the URI, typed (`{id}` → a field `id`).
#[derive(Debug, Clone)]
pub struct Vars<T>(pub T);

impl<T: DeserializeOwned + Send + 'static> FromRequest<ResourceParams> for Vars<T> {
    fn from_request(request: &mut Request<ResourceParams>) -> Result<Self, Rejection> {
        from_strings(&request.params.vars).map(Vars)
    }
}

/// The variables a resource template matched, as they came (empty for a fixed resource).
impl FromRequest<ResourceParams> for BTreeMap<String, String> {
    fn from_request(request: &mut Request<ResourceParams>) -> Result<Self, Rejection> {
        Ok(std::mem::take(&mut request.params.vars))
    }
}

/// A map of strings as `T`: each value as a JSON string, or, when `T` wants a number or a
/// boolean there, as the JSON that string spells.
fn from_strings<T: DeserializeOwned>(map: &BTreeMap<String, String>) -> Result<T, Rejection> {
    let as_strings: JsonObject = map
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    match serde_json::from_value(Value::Object(as_strings)) {
        Ok(value) => Ok(value),
        Err(first) => {
            let spelled: JsonObject = map
                .iter()
                .map(|(k, v)| {
                    let value = serde_json::from_str(v).unwrap_or(Value::String(v.clone()));
                    (k.clone(), value)
                })
                .collect();
            serde_json::from_value(Value::Object(spelled)).map_err(|_| invalid_arguments(first))
        }
    }
}

//! How a tool handler fails: [`ToolError`].

use spate_protocol::{ErrorObject, UrlElicitationRequiredData, error_code};

use super::ContextError;

/// Why a tool call failed. Handlers return `Result<_, ToolError>`, and `?` converts the
/// errors they meet ([`ContextError`], `serde_json::Error`, `std::io::Error`, `String`,
/// `&str`, and [`ErrorObject`] as a protocol error).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ToolError {
    /// The tool ran and failed: the result carries this text with `isError: true`, so the
    /// model sees it and can correct itself (SEP-1303).
    Failed(String),
    /// The request itself fails with this JSON-RPC error (for instance `-32042`, URL
    /// elicitation required: see [`ToolError::url_elicitation_required`]).
    Protocol(ErrorObject),
}

impl ToolError {
    /// A tool failure with this text.
    pub fn failed(message: impl std::fmt::Display) -> Self {
        Self::Failed(message.to_string())
    }

    /// `-32042` (2025-11-25): the call cannot go on until the user completes the URL
    /// elicitations in `data` (each with its `elicitationId`); the client retries the call
    /// afterwards. Tell it when one is done with
    /// [`Context::elicitation_completer`](super::Context::elicitation_completer).
    pub fn url_elicitation_required(data: UrlElicitationRequiredData) -> Self {
        let error = ErrorObject::new(
            error_code::URL_ELICITATION_REQUIRED,
            "This request requires more information (URL elicitation)",
        )
        .with_data(serde_json::to_value(data).unwrap_or_default());
        Self::Protocol(error)
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Failed(message) => f.write_str(message),
            Self::Protocol(error) => write!(f, "{} ({})", error.message, error.code),
        }
    }
}

impl std::error::Error for ToolError {}

impl From<String> for ToolError {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

impl From<&str> for ToolError {
    fn from(message: &str) -> Self {
        Self::Failed(message.to_owned())
    }
}

impl From<ContextError> for ToolError {
    /// A failure the model sees. (Waiting for the client's input is noticed by the server
    /// whatever the handler returns, and answered `input_required`.)
    fn from(error: ContextError) -> Self {
        Self::Failed(error.to_string())
    }
}

impl From<serde_json::Error> for ToolError {
    fn from(error: serde_json::Error) -> Self {
        Self::Failed(error.to_string())
    }
}

impl From<std::io::Error> for ToolError {
    fn from(error: std::io::Error) -> Self {
        Self::Failed(error.to_string())
    }
}

impl From<ErrorObject> for ToolError {
    fn from(error: ErrorObject) -> Self {
        Self::Protocol(error)
    }
}

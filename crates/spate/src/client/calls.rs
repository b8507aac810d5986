//! Typed calls for every server method.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use spate_protocol::{
    CallToolRequestParams, CallToolResult, CompleteRequestParams, CompleteResult, EmptyResult,
    GetPromptRequestParams, GetPromptResult, JsonObject, ListPromptsResult,
    ListResourceTemplatesResult, ListResourcesResult, ListToolsResult, LoggingLevel,
    PaginatedRequestParams, Prompt, ReadResourceRequestParams, ReadResourceResult, Resource,
    ResourceTemplate, SetLevelRequestParams, SubscribeRequestParams, Tool,
    UnsubscribeRequestParams, methods,
};
use tokio_util::sync::CancellationToken;

use super::Client;
use crate::engine::{PeerError, ProgressUpdate, RequestOptions};

/// Options of one call: progress, timeout, cancellation.
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Called for each progress notification; asking for progress sends a progress token.
    pub on_progress: Option<Arc<dyn Fn(ProgressUpdate) + Send + Sync>>,
    /// Overrides the idle timeout of this call.
    pub timeout: Option<Duration>,
    /// Cancelling it cancels the call at the server.
    pub cancel: Option<CancellationToken>,
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl CallOptions {
    /// Options with a progress callback.
    pub fn with_progress(callback: impl Fn(ProgressUpdate) + Send + Sync + 'static) -> Self {
        Self {
            on_progress: Some(Arc::new(callback)),
            ..Default::default()
        }
    }
}

/// How many pages the `list_all_*` helpers follow before giving up on a server that never
/// stops paginating.
const MAX_PAGES: usize = 1000;

impl Client {
    async fn call<P: Serialize, R: DeserializeOwned>(
        &self,
        method: &str,
        params: &P,
        options: CallOptions,
    ) -> Result<R, PeerError> {
        let options = RequestOptions {
            timeout: options.timeout,
            progress: options.on_progress,
            cancel: options.cancel,
            related: None,
        };
        let raw = self.peer.request(method, params, options).await?;
        serde_json::from_str(raw.get()).map_err(|e| PeerError::Malformed(format!("{method}: {e}")))
    }

    /// `ping`.
    pub async fn ping(&self) -> Result<(), PeerError> {
        self.call::<_, EmptyResult>(
            methods::PING,
            &serde_json::json!({}),
            CallOptions::default(),
        )
        .await
        .map(|_| ())
    }

    /// One page of `tools/list`.
    pub async fn list_tools(&self, cursor: Option<String>) -> Result<ListToolsResult, PeerError> {
        self.call(methods::TOOLS_LIST, &page(cursor), CallOptions::default())
            .await
    }

    /// Every tool, following cursors.
    pub async fn list_all_tools(&self) -> Result<Vec<Tool>, PeerError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_tools(cursor).await?;
            all.extend(page.tools);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(PeerError::Malformed(format!(
            "tools/list did not end after {MAX_PAGES} pages"
        )))
    }

    /// `tools/call` with JSON arguments (an object, or `null` for none).
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: serde_json::Value,
        options: CallOptions,
    ) -> Result<CallToolResult, PeerError> {
        let arguments: Option<JsonObject> = match arguments {
            serde_json::Value::Object(map) => Some(map),
            serde_json::Value::Null => None,
            other => {
                return Err(PeerError::Malformed(format!(
                    "tool arguments must be an object, not {other}"
                )));
            }
        };
        let params = CallToolRequestParams {
            name: name.to_owned(),
            arguments,
            ..Default::default()
        };
        self.call(methods::TOOLS_CALL, &params, options).await
    }

    /// One page of `resources/list`.
    pub async fn list_resources(
        &self,
        cursor: Option<String>,
    ) -> Result<ListResourcesResult, PeerError> {
        self.call(
            methods::RESOURCES_LIST,
            &page(cursor),
            CallOptions::default(),
        )
        .await
    }

    /// Every resource, following cursors.
    pub async fn list_all_resources(&self) -> Result<Vec<Resource>, PeerError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_resources(cursor).await?;
            all.extend(page.resources);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(PeerError::Malformed(format!(
            "resources/list did not end after {MAX_PAGES} pages"
        )))
    }

    /// One page of `resources/templates/list`.
    pub async fn list_resource_templates(
        &self,
        cursor: Option<String>,
    ) -> Result<ListResourceTemplatesResult, PeerError> {
        self.call(
            methods::RESOURCES_TEMPLATES_LIST,
            &page(cursor),
            CallOptions::default(),
        )
        .await
    }

    /// Every resource template on the first page … last page.
    pub async fn list_all_resource_templates(&self) -> Result<Vec<ResourceTemplate>, PeerError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_resource_templates(cursor).await?;
            all.extend(page.resource_templates);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(PeerError::Malformed(format!(
            "resources/templates/list did not end after {MAX_PAGES} pages"
        )))
    }

    /// `resources/read`.
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, PeerError> {
        let params = ReadResourceRequestParams {
            uri: uri.to_owned(),
            ..Default::default()
        };
        self.call(methods::RESOURCES_READ, &params, CallOptions::default())
            .await
    }

    /// `resources/subscribe`; updates arrive on [`Client::notifications`].
    pub async fn subscribe(&self, uri: &str) -> Result<(), PeerError> {
        let params = SubscribeRequestParams {
            uri: uri.to_owned(),
            ..Default::default()
        };
        self.call::<_, EmptyResult>(
            methods::RESOURCES_SUBSCRIBE,
            &params,
            CallOptions::default(),
        )
        .await
        .map(|_| ())
    }

    /// `resources/unsubscribe`.
    pub async fn unsubscribe(&self, uri: &str) -> Result<(), PeerError> {
        let params = UnsubscribeRequestParams {
            uri: uri.to_owned(),
            ..Default::default()
        };
        self.call::<_, EmptyResult>(
            methods::RESOURCES_UNSUBSCRIBE,
            &params,
            CallOptions::default(),
        )
        .await
        .map(|_| ())
    }

    /// One page of `prompts/list`.
    pub async fn list_prompts(
        &self,
        cursor: Option<String>,
    ) -> Result<ListPromptsResult, PeerError> {
        self.call(methods::PROMPTS_LIST, &page(cursor), CallOptions::default())
            .await
    }

    /// Every prompt, following cursors.
    pub async fn list_all_prompts(&self) -> Result<Vec<Prompt>, PeerError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_prompts(cursor).await?;
            all.extend(page.prompts);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(PeerError::Malformed(format!(
            "prompts/list did not end after {MAX_PAGES} pages"
        )))
    }

    /// `prompts/get` with string arguments.
    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: impl IntoIterator<Item = (String, String)>,
    ) -> Result<GetPromptResult, PeerError> {
        let params = GetPromptRequestParams {
            name: name.to_owned(),
            arguments: Some(arguments.into_iter().collect()),
            ..Default::default()
        };
        self.call(methods::PROMPTS_GET, &params, CallOptions::default())
            .await
    }

    /// `completion/complete`.
    pub async fn complete(
        &self,
        params: CompleteRequestParams,
    ) -> Result<CompleteResult, PeerError> {
        self.call(
            methods::COMPLETION_COMPLETE,
            &params,
            CallOptions::default(),
        )
        .await
    }

    /// `logging/setLevel`.
    pub async fn set_logging_level(&self, level: LoggingLevel) -> Result<(), PeerError> {
        let params = SetLevelRequestParams {
            level,
            ..Default::default()
        };
        self.call::<_, EmptyResult>(methods::LOGGING_SET_LEVEL, &params, CallOptions::default())
            .await
            .map(|_| ())
    }
}

fn page(cursor: Option<String>) -> PaginatedRequestParams {
    PaginatedRequestParams {
        cursor,
        ..Default::default()
    }
}

//! What a client answers when the server asks: sampling, elicitation, roots.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use spate_protocol::{
    CreateMessageRequestParams, CreateMessageResult, ElicitAction, ElicitRequestParams,
    ElicitResult, ErrorObject, FitVersion, InputRequest, InputResponse, ListRootsResult,
    ProtocolVersion, Root, methods,
};

type SamplingFn = Arc<
    dyn Fn(
            CreateMessageRequestParams,
        ) -> BoxFuture<'static, Result<CreateMessageResult, ErrorObject>>
        + Send
        + Sync,
>;
type ElicitationFn = Arc<
    dyn Fn(ElicitRequestParams) -> BoxFuture<'static, Result<ElicitResult, ErrorObject>>
        + Send
        + Sync,
>;

/// The client's answers to server requests. Each one set also declares the matching
/// capability (in `initialize`, or in every 2026-07-28 request). In the modern era the same
/// handlers answer the input requests of `input_required` results.
#[derive(Clone, Default)]
pub struct ClientHandlers {
    pub(crate) sampling: Option<SamplingFn>,
    pub(crate) sampling_tools: bool,
    pub(crate) elicitation: Option<ElicitationFn>,
    pub(crate) elicitation_url: bool,
    pub(crate) roots: Option<Arc<std::sync::RwLock<Vec<Root>>>>,
}

impl std::fmt::Debug for ClientHandlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientHandlers")
            .field("sampling", &self.sampling.is_some())
            .field("elicitation", &self.elicitation.is_some())
            .field("roots", &self.roots.is_some())
            .finish()
    }
}

impl ClientHandlers {
    /// Answers `sampling/createMessage` with a function (a model call, typically).
    /// `with_tools` also declares support for tools in sampling.
    pub fn sampling<F, Fut>(mut self, with_tools: bool, handler: F) -> Self
    where
        F: Fn(CreateMessageRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CreateMessageResult, ErrorObject>> + Send + 'static,
    {
        self.sampling = Some(Arc::new(move |p| Box::pin(handler(p))));
        self.sampling_tools = with_tools;
        self
    }

    /// Answers `elicitation/create`. In form mode, properties the handler leaves out of an
    /// accepted answer are filled from the schema's defaults. `with_url` also declares URL mode.
    pub fn elicitation<F, Fut>(mut self, with_url: bool, handler: F) -> Self
    where
        F: Fn(ElicitRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ElicitResult, ErrorObject>> + Send + 'static,
    {
        self.elicitation = Some(Arc::new(move |p| Box::pin(handler(p))));
        self.elicitation_url = with_url;
        self
    }

    /// Answers `roots/list` with these roots (changeable later through the client).
    pub fn roots(mut self, roots: Vec<Root>) -> Self {
        self.roots = Some(Arc::new(std::sync::RwLock::new(roots)));
        self
    }
}

impl ClientHandlers {
    /// Answers `sampling/createMessage`; `-32601` when no handler is set.
    pub(crate) async fn create_message(
        &self,
        params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, ErrorObject> {
        let Some(handler) = &self.sampling else {
            return Err(ErrorObject::method_not_found(
                methods::SAMPLING_CREATE_MESSAGE,
            ));
        };
        handler(params).await
    }

    /// Answers `elicitation/create`: refuses URL mode unless declared, and fills an accepted
    /// form's missing answers from the schema's defaults.
    pub(crate) async fn elicit(
        &self,
        params: ElicitRequestParams,
    ) -> Result<ElicitResult, ErrorObject> {
        let Some(handler) = &self.elicitation else {
            return Err(ErrorObject::method_not_found(methods::ELICITATION_CREATE));
        };
        if matches!(params, ElicitRequestParams::Url { .. }) && !self.elicitation_url {
            return Err(ErrorObject::invalid_params(
                "URL-mode elicitation is not supported by this client",
            ));
        }
        let result = handler(params.clone()).await?;
        Ok(fill_defaults(&params, result))
    }

    /// Answers `roots/list` with the current roots.
    pub(crate) fn list_roots(&self) -> Result<ListRootsResult, ErrorObject> {
        let Some(roots) = &self.roots else {
            return Err(ErrorObject::method_not_found(methods::ROOTS_LIST));
        };
        let roots = roots
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        Ok(ListRootsResult {
            roots,
            ..Default::default()
        })
    }

    /// Answers one input request of a 2026-07-28 `input_required` result, shaped for
    /// `version`.
    pub(crate) async fn answer_input(
        &self,
        request: InputRequest,
        version: ProtocolVersion,
    ) -> Result<InputResponse, ErrorObject> {
        let response = match request {
            InputRequest::CreateMessage { params } => {
                InputResponse::CreateMessage(self.create_message(params).await?)
            }
            InputRequest::Elicit { params } => InputResponse::Elicit(self.elicit(params).await?),
            InputRequest::ListRoots { .. } => InputResponse::ListRoots(self.list_roots()?),
        };
        Ok(response.fitted(version))
    }
}

/// Fills absent properties of an accepted form answer with the schema's defaults.
pub(crate) fn fill_defaults(
    params: &ElicitRequestParams,
    mut result: ElicitResult,
) -> ElicitResult {
    let ElicitRequestParams::Form {
        requested_schema, ..
    } = params
    else {
        return result;
    };
    if result.action != ElicitAction::Accept {
        return result;
    }
    let content = result.content.get_or_insert_with(Default::default);
    for (name, property) in &requested_schema.properties {
        if !content.contains_key(name) {
            if let Some(default) = property.default_value() {
                content.insert(name.clone(), default);
            }
        }
    }
    result
}

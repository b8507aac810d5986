//! Resources: fixed ones, ones computed on read, and templates matched by URI.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use spate_protocol::{
    ErrorObject, Resource, ResourceContents, ResourceTemplate, TextResourceContents,
};

use super::Context;
use super::completion::Completer;
use super::extract::{Rejection, Request, ResourceParams};
use super::handler::HandlerFn;
use super::uri_template::{TemplateError, UriTemplate};

/// What a resource handler may return: the contents of the URI it read.
pub trait IntoResourceContents {
    /// The contents, for the URI `uri`.
    fn into_contents(self, uri: &str) -> Vec<ResourceContents>;
}

impl IntoResourceContents for Vec<ResourceContents> {
    fn into_contents(self, _uri: &str) -> Vec<ResourceContents> {
        self
    }
}

impl IntoResourceContents for ResourceContents {
    fn into_contents(self, _uri: &str) -> Vec<ResourceContents> {
        vec![self]
    }
}

impl IntoResourceContents for String {
    /// One text content of the URI read.
    fn into_contents(self, uri: &str) -> Vec<ResourceContents> {
        vec![ResourceContents::Text(TextResourceContents {
            uri: uri.to_owned(),
            mime_type: None,
            text: self,
            meta: None,
        })]
    }
}

/// A resource or template handler made callable with the URI and its variables.
fn erase<H, M, R>(read: H, mime: Option<String>) -> ReadFn
where
    H: HandlerFn<ResourceParams, M, Output = Result<R, ErrorObject>>,
    R: IntoResourceContents + 'static,
    M: 'static,
{
    Arc::new(move |ctx, uri, vars| {
        let mime = mime.clone();
        let uri_read = uri.clone();
        let call = read.call(Request::new(ctx, ResourceParams { uri, vars }));
        Box::pin(async move {
            match call.await {
                Ok(outcome) => outcome.map(|r| with_default_mime(r.into_contents(&uri_read), mime)),
                Err(Rejection(message)) => Err(ErrorObject::invalid_params(message)),
            }
        })
    })
}

type ReadFn = Arc<
    dyn Fn(
            Context,
            String,
            BTreeMap<String, String>,
        ) -> BoxFuture<'static, Result<Vec<ResourceContents>, ErrorObject>>
        + Send
        + Sync,
>;

/// A listed resource and how to read it.
#[derive(Clone)]
pub struct ResourceEntry {
    /// What `resources/list` shows.
    pub resource: Resource,
    pub(crate) read: ReadFn,
}

impl std::fmt::Debug for ResourceEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceEntry")
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

impl ResourceEntry {
    /// A resource with fixed text content.
    pub fn text(resource: Resource, text: impl Into<String>) -> Self {
        let text = text.into();
        Self::dynamic(resource, move || {
            let text = text.clone();
            async move { Ok(text) }
        })
    }

    /// A resource whose content an async function of extractors ([`Context`],
    /// [`Uri`](super::Uri), …) computes on every read, returning anything
    /// [`IntoResourceContents`] (a `String` is one text content).
    pub fn dynamic<H, M, R>(resource: Resource, read: H) -> Self
    where
        H: HandlerFn<ResourceParams, M, Output = Result<R, ErrorObject>>,
        R: IntoResourceContents + 'static,
        M: 'static,
    {
        let read = erase(read, resource.mime_type.clone());
        Self { resource, read }
    }
}

/// A resource template, how to read URIs that match it, and completers for its variables.
#[derive(Clone)]
pub struct TemplateEntry {
    /// What `resources/templates/list` shows.
    pub template: ResourceTemplate,
    pub(crate) matcher: UriTemplate,
    pub(crate) read: ReadFn,
    pub(crate) completers: BTreeMap<String, Completer>,
}

impl std::fmt::Debug for TemplateEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateEntry")
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

impl TemplateEntry {
    /// A template read by an async function of extractors: the URI ([`Uri`](super::Uri)),
    /// its variables ([`Vars<T>`](super::Vars), or the raw map), [`Context`], …
    pub fn new<H, M, R>(template: ResourceTemplate, read: H) -> Result<Self, TemplateError>
    where
        H: HandlerFn<ResourceParams, M, Output = Result<R, ErrorObject>>,
        R: IntoResourceContents + 'static,
        M: 'static,
    {
        let matcher = UriTemplate::parse(&template.uri_template)?;
        let read = erase(read, template.mime_type.clone());
        Ok(Self {
            template,
            matcher,
            read,
            completers: BTreeMap::new(),
        })
    }

    /// Completes the variable `name` with a function of the typed prefix and the other
    /// variables already known (`completion/complete` with `ref/resource`).
    pub fn complete(
        mut self,
        name: impl Into<String>,
        completer: impl Fn(&str, &BTreeMap<String, String>) -> Vec<String> + Send + Sync + 'static,
    ) -> Self {
        self.completers.insert(name.into(), Arc::new(completer));
        self
    }
}

fn with_default_mime(
    mut contents: Vec<ResourceContents>,
    mime: Option<String>,
) -> Vec<ResourceContents> {
    if let Some(mime) = mime {
        for c in &mut contents {
            let slot = match c {
                ResourceContents::Text(t) => &mut t.mime_type,
                ResourceContents::Blob(b) => &mut b.mime_type,
            };
            if slot.is_none() {
                *slot = Some(mime.clone());
            }
        }
    }
    contents
}

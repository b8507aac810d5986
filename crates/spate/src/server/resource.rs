//! Resources: fixed ones, ones computed on read, and templates matched by URI.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use spate_protocol::{
    ErrorObject, Resource, ResourceContents, ResourceTemplate, TextResourceContents,
};

use super::Context;
use super::completion::Completer;
use super::uri_template::{TemplateError, UriTemplate};

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
        Self::dynamic(resource, move |_ctx, uri| {
            let text = text.clone();
            async move {
                Ok(vec![ResourceContents::Text(TextResourceContents {
                    uri,
                    mime_type: None,
                    text,
                    meta: None,
                })])
            }
        })
    }

    /// A resource whose content a function computes on every read (text or binary).
    pub fn dynamic<F, Fut>(resource: Resource, read: F) -> Self
    where
        F: Fn(Context, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<ResourceContents>, ErrorObject>> + Send + 'static,
    {
        let mime = resource.mime_type.clone();
        Self {
            resource,
            read: Arc::new(move |ctx, uri, _vars| {
                let mime = mime.clone();
                let fut = read(ctx, uri);
                Box::pin(async move { fut.await.map(|contents| with_default_mime(contents, mime)) })
            }),
        }
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
    /// A template read by a function that receives the URI and its variables.
    pub fn new<F, Fut>(template: ResourceTemplate, read: F) -> Result<Self, TemplateError>
    where
        F: Fn(Context, String, BTreeMap<String, String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<ResourceContents>, ErrorObject>> + Send + 'static,
    {
        let matcher = UriTemplate::parse(&template.uri_template)?;
        let mime = template.mime_type.clone();
        Ok(Self {
            template,
            matcher,
            read: Arc::new(move |ctx, uri, vars| {
                let mime = mime.clone();
                let fut = read(ctx, uri, vars);
                Box::pin(async move { fut.await.map(|contents| with_default_mime(contents, mime)) })
            }),
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

//! Resources: listing, templates, reading and (legacy) subscriptions (Server Features ›
//! Resources, <https://modelcontextprotocol.io/specification/2025-11-25/server/resources> and
//! <https://modelcontextprotocol.io/specification/2026-07-28/server/resources>).

use serde::{Deserialize, Serialize};

use crate::content::{Annotations, ResourceContents};
use crate::fit::{FitVersion, since};
use crate::icon::Icon;
use crate::meta::Meta;
use crate::modern::InputResponses;
use crate::result::{
    CacheScope, ResultType, fit_cacheable, fit_meta, fit_request_meta, fit_result,
};
use crate::version::ProtocolVersion;

/// A resource the server can read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    /// Its URI.
    pub uri: String,
    /// A programmatic name.
    pub name: String,
    /// A display name (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it is, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Size in bytes, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Display hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Icons (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Vec<Icon>>,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl Resource {
    /// A resource with a URI and a name.
    pub fn new(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            name: name.into(),
            ..Self::default()
        }
    }
}

/// A family of resources described by an RFC 6570 URI template.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceTemplate {
    /// The URI template.
    pub uri_template: String,
    /// A programmatic name.
    pub name: String,
    /// A display name (2025-06-18+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What it is, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The type of every matching resource, when they share one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Display hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<Annotations>,
    /// Icons (2025-11-25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icons: Option<Vec<Icon>>,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `resources/list`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResourcesResult {
    /// This page of resources.
    pub resources: Vec<Resource>,
    /// Where the next page starts; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// How long the page stays fresh (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
    /// Who may cache it (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_scope: Option<CacheScope>,
    /// `complete` (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `resources/templates/list`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResourceTemplatesResult {
    /// This page of templates.
    pub resource_templates: Vec<ResourceTemplate>,
    /// Where the next page starts; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// How long the page stays fresh (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
    /// Who may cache it (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_scope: Option<CacheScope>,
    /// `complete` (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `resources/read`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadResourceRequestParams {
    /// The URI to read.
    pub uri: String,
    /// Answers to the input requests of a previous `InputRequiredResult` (2026 MRTR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_responses: Option<InputResponses>,
    /// The `requestState` echoed from that result, untouched (2026 MRTR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `resources/read`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadResourceResult {
    /// One or more contents (several for a directory, say).
    pub contents: Vec<ResourceContents>,
    /// How long the contents stay fresh (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
    /// Who may cache them (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_scope: Option<CacheScope>,
    /// `complete` (2026).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `resources/subscribe` (legacy only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeRequestParams {
    /// The URI to watch.
    pub uri: String,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `resources/unsubscribe` (legacy only).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnsubscribeRequestParams {
    /// The URI to stop watching.
    pub uri: String,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `notifications/resources/updated`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceUpdatedNotificationParams {
    /// The URI that changed (may be a sub-resource of the subscribed one).
    pub uri: String,
    /// Notification metadata (2026: `subscriptionId`).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Fits the fields `Resource`, `ResourceLink` and `ResourceTemplate` share.
fn fit_descriptor(
    title: &mut Option<String>,
    annotations: &mut Option<Annotations>,
    icons: &mut Option<Vec<Icon>>,
    meta: &mut Option<Meta>,
    version: ProtocolVersion,
) {
    use ProtocolVersion as V;
    since(title, version, V::V2025_06_18);
    annotations.fit_version(version);
    since(icons, version, V::V2025_11_25);
    since(meta, version, V::V2025_06_18);
    fit_meta(meta, version);
}

impl FitVersion for Resource {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_descriptor(
            &mut self.title,
            &mut self.annotations,
            &mut self.icons,
            &mut self.meta,
            version,
        );
    }
}

impl FitVersion for ResourceTemplate {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_descriptor(
            &mut self.title,
            &mut self.annotations,
            &mut self.icons,
            &mut self.meta,
            version,
        );
    }
}

impl FitVersion for ListResourcesResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.resources.fit_version(version);
        fit_cacheable(&mut self.ttl_ms, &mut self.cache_scope, version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

impl FitVersion for ListResourceTemplatesResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.resource_templates.fit_version(version);
        fit_cacheable(&mut self.ttl_ms, &mut self.cache_scope, version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

impl FitVersion for ReadResourceRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        since(
            &mut self.input_responses,
            version,
            ProtocolVersion::V2026_07_28,
        );
        since(
            &mut self.request_state,
            version,
            ProtocolVersion::V2026_07_28,
        );
        self.input_responses.fit_version(version);
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for ReadResourceResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.contents.fit_version(version);
        fit_cacheable(&mut self.ttl_ms, &mut self.cache_scope, version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

impl FitVersion for SubscribeRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for UnsubscribeRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for ResourceUpdatedNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_meta(&mut self.meta, version);
    }
}

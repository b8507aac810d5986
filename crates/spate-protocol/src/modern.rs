//! What only the modern era (2026-07-28) has: `server/discover`, multi round-trip requests
//! (MRTR) and `subscriptions/listen` (Server Features › Discovery; Base Protocol › Message
//! Patterns › Multi Round-Trip Requests and Subscriptions:
//! <https://modelcontextprotocol.io/specification/2026-07-28/server/discover>,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/patterns/mrtr>,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/patterns/subscriptions>).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::capabilities::ServerCapabilities;
use crate::elicitation::{ElicitRequestParams, ElicitResult};
use crate::fit::{FitVersion, since};
use crate::jsonrpc::RequestId;
use crate::meta::{self, Meta};
use crate::result::{
    CacheScope, RequestParams, ResultType, fit_cacheable, fit_meta, fit_request_meta, fit_result,
};
use crate::roots::ListRootsResult;
use crate::sampling::{CreateMessageRequestParams, CreateMessageResult};
use crate::version::ProtocolVersion;

/// Params of `server/discover`: only `_meta`.
pub type DiscoverRequestParams = RequestParams;

/// Result of `server/discover` (2026).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscoverResult {
    /// Every protocol version the server speaks.
    pub supported_versions: Vec<String>,
    /// What the server offers.
    pub capabilities: ServerCapabilities,
    /// How to use the server, for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// How long this stays fresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
    /// Who may cache it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_scope: Option<CacheScope>,
    /// `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata (`serverInfo`).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of the `roots/list` input request: only `_meta`.
pub type ListRootsRequestParams = RequestParams;

/// A request the server needs the client to answer before it can finish (2026 MRTR):
/// `{method, params}` without `jsonrpc` or `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method")]
pub enum InputRequest {
    /// `sampling/createMessage`.
    #[serde(rename = "sampling/createMessage")]
    CreateMessage {
        /// The sampling request.
        params: CreateMessageRequestParams,
    },
    /// `roots/list`.
    #[serde(rename = "roots/list")]
    ListRoots {
        /// Only `_meta`, if anything.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        params: Option<ListRootsRequestParams>,
    },
    /// `elicitation/create`.
    #[serde(rename = "elicitation/create")]
    Elicit {
        /// The elicitation.
        params: ElicitRequestParams,
    },
}

impl InputRequest {
    /// The method name.
    pub fn method(&self) -> &'static str {
        match self {
            Self::CreateMessage { .. } => crate::methods::SAMPLING_CREATE_MESSAGE,
            Self::ListRoots { .. } => crate::methods::ROOTS_LIST,
            Self::Elicit { .. } => crate::methods::ELICITATION_CREATE,
        }
    }
}

/// The client's answer to one [`InputRequest`] (told apart by shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InputResponse {
    /// Answers `sampling/createMessage`.
    CreateMessage(CreateMessageResult),
    /// Answers `roots/list`.
    ListRoots(ListRootsResult),
    /// Answers `elicitation/create`.
    Elicit(ElicitResult),
}

/// Input requests by key (keys unique within the request).
pub type InputRequests = BTreeMap<String, InputRequest>;

/// Input responses by the key of the request they answer.
pub type InputResponses = BTreeMap<String, InputResponse>;

/// "Ask the user/model first, then retry" (2026 MRTR); `resultType: "input_required"`.
/// Must hold `inputRequests`, `requestState` or both.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputRequiredResult {
    /// What the client must answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_requests: Option<InputRequests>,
    /// Opaque state the client echoes on the retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
    /// `input_required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Which notifications a `subscriptions/listen` stream carries (2026).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionFilter {
    /// `notifications/tools/list_changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools_list_changed: Option<bool>,
    /// `notifications/prompts/list_changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompts_list_changed: Option<bool>,
    /// `notifications/resources/list_changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources_list_changed: Option<bool>,
    /// `notifications/resources/updated` for these URIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_subscriptions: Option<Vec<String>>,
    /// `notifications/tasks` for these tasks (tasks extension).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_ids: Option<Vec<String>>,
    /// `notifications/events/list_changed` (events extension, SEP-3415). A server echoes it
    /// in the acknowledgement only when it declared `listChanged: true` for events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_list_changed: Option<bool>,
}

/// Params of `subscriptions/listen` (2026).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionsListenRequestParams {
    /// What to listen to.
    pub notifications: SubscriptionFilter,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `notifications/subscriptions/acknowledged` (2026): the agreed subset.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionsAcknowledgedNotificationParams {
    /// What the stream will carry.
    pub notifications: SubscriptionFilter,
    /// Notification metadata (`subscriptionId`).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The result that ends a `subscriptions/listen` stream gracefully (2026); its `_meta` must
/// carry `subscriptionId`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionsListenResult {
    /// `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata (`subscriptionId`, required).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl SubscriptionsListenResult {
    /// The closing result of the listen request `subscription_id`.
    pub fn new(subscription_id: RequestId) -> Self {
        let mut meta = Meta::new();
        meta.insert(
            meta::SUBSCRIPTION_ID_KEY.to_owned(),
            serde_json::to_value(subscription_id).unwrap_or_default(),
        );
        Self {
            result_type: Some(ResultType::Complete),
            meta: Some(meta),
        }
    }
}

/// Tags a notification's `_meta` with the listen request it belongs to.
pub fn set_subscription_id(meta: &mut Option<Meta>, subscription_id: &RequestId) {
    meta.get_or_insert_with(Meta::new).insert(
        meta::SUBSCRIPTION_ID_KEY.to_owned(),
        serde_json::to_value(subscription_id).unwrap_or_default(),
    );
}

impl FitVersion for DiscoverResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.capabilities.fit_version(version);
        fit_cacheable(&mut self.ttl_ms, &mut self.cache_scope, version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

impl FitVersion for InputRequest {
    fn fit_version(&mut self, version: ProtocolVersion) {
        match self {
            Self::CreateMessage { params } => params.fit_version(version),
            Self::ListRoots { params } => {
                if let Some(p) = params {
                    fit_meta(&mut p.meta, version);
                }
            }
            Self::Elicit { params } => params.fit_version(version),
        }
    }
}

impl FitVersion for InputResponse {
    fn fit_version(&mut self, version: ProtocolVersion) {
        match self {
            Self::CreateMessage(r) => r.fit_version(version),
            Self::ListRoots(r) => r.fit_version(version),
            Self::Elicit(r) => r.fit_version(version),
        }
    }
}

impl FitVersion for InputRequiredResult {
    /// Fills `resultType: "input_required"` (not `complete`) when missing.
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.input_requests.fit_version(version);
        if version >= ProtocolVersion::V2026_07_28 {
            self.result_type.get_or_insert(ResultType::InputRequired);
        }
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

impl FitVersion for SubscriptionFilter {
    fn fit_version(&mut self, version: ProtocolVersion) {
        since(&mut self.task_ids, version, ProtocolVersion::V2026_07_28);
        since(
            &mut self.events_list_changed,
            version,
            ProtocolVersion::V2026_07_28,
        );
    }
}

impl FitVersion for SubscriptionsListenRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.notifications.fit_version(version);
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for SubscriptionsAcknowledgedNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.notifications.fit_version(version);
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for SubscriptionsListenResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

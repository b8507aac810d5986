//! Push delivery: `events/stream` and its notifications (SEP-3415, "Push").
//!
//! The request stays open for the life of one subscription. On Streamable HTTP its response
//! is an SSE stream carrying only this subscription's `notifications/events/*`; on stdio the
//! notifications interleave with everything else. Either way every notification names the
//! stream in `_meta["io.modelcontextprotocol/subscriptionId"]`: the id of the `events/stream`
//! request, echoed exactly (string or integer).

use serde::{Deserialize, Serialize};

use crate::fit::FitVersion;
use crate::jsonrpc::{ErrorObject, RequestId};
use crate::meta::{self, JsonObject, Meta};
use crate::modern::set_subscription_id;
use crate::result::{NotificationParams, ResultType, fit_request_meta};
use crate::version::ProtocolVersion;

use super::occurrence::EventOccurrence;

/// The `events/stream` request a message belongs to, read from its `_meta`; `None` when the
/// key is absent or is not a string or an integer.
pub fn subscription_id(meta: Option<&Meta>) -> Option<RequestId> {
    let value = meta?.get(meta::SUBSCRIPTION_ID_KEY)?;
    serde_json::from_value(value.clone()).ok()
}

/// Params of `events/stream` (there is no `maxEvents`: the stream is paced by the transport).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamEventsRequestParams {
    /// The event type.
    pub name: String,
    /// Subscription arguments (absent or `null` reads as `{}`; `params` is accepted as the
    /// design sketch's older spelling). Always written.
    #[serde(default, alias = "params", deserialize_with = "super::arguments")]
    pub arguments: JsonObject,
    /// Where to resume (after a reconnect, the last cursor received); `None` (written
    /// `null`) starts from now.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Replay floor in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_ms: Option<u64>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The response that ends an `events/stream` request. It carries nothing but the
/// subscription id; a server sends it only when it closes the stream itself, and a client
/// must not depend on it. The design sketch's `{"_meta": {}}` reads as this type too.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamEventsResult {
    /// `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata (the subscription id).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl StreamEventsResult {
    /// The closing result of the stream opened by request `subscription_id`.
    pub fn new(subscription_id: RequestId) -> Self {
        let mut meta = None;
        set_subscription_id(&mut meta, &subscription_id);
        Self {
            result_type: Some(ResultType::Complete),
            meta,
        }
    }
}

/// Params of `notifications/events/active`: sent first to confirm the subscription, and
/// again mid-stream with `truncated: true` and a fresh cursor after a gap (the stream goes
/// on; a gap is not an error).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsActiveNotificationParams {
    /// The position to resume from; `None` (written `null`) for a type without replay.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Occurrences may have been missed before this point.
    #[serde(default)]
    pub truncated: bool,
    /// Notification metadata (the subscription id).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `notifications/events/event`: the occurrence itself, its `cursor` the position
/// after it and its `_meta` the subscription id.
pub type EventNotificationParams = EventOccurrence;

/// Params of `notifications/events/heartbeat`, sent at least every 30 seconds: the stream is
/// alive and the server has checked up to `cursor`, so a quiet stream's position still moves.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsHeartbeatNotificationParams {
    /// The position checked up to; `None` (written `null`) for a type without replay.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Notification metadata (the subscription id).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `notifications/events/error` (a recoverable failure, the subscription stays
/// active) and of `notifications/events/terminated` (the subscription has ended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventsErrorNotificationParams {
    /// What went wrong, as a JSON-RPC error object.
    pub error: ErrorObject,
    /// Notification metadata (the subscription id).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `notifications/events/terminated`: the same shape as an error notification.
pub type EventsTerminatedNotificationParams = EventsErrorNotificationParams;

/// Params of `notifications/events/list_changed`: only `_meta`.
pub type EventsListChangedNotificationParams = NotificationParams;

impl FitVersion for StreamEventsRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for StreamEventsResult {
    /// `resultType` as for any result; the subscription id is kept in every version.
    fn fit_version(&mut self, version: ProtocolVersion) {
        if version >= ProtocolVersion::V2026_07_28 {
            self.result_type.get_or_insert(ResultType::Complete);
        } else {
            self.result_type = None;
        }
        super::fit_stream_meta(&mut self.meta, version);
    }
}

impl FitVersion for EventsActiveNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        super::fit_stream_meta(&mut self.meta, version);
    }
}

impl FitVersion for EventsHeartbeatNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        super::fit_stream_meta(&mut self.meta, version);
    }
}

impl FitVersion for EventsErrorNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        super::fit_stream_meta(&mut self.meta, version);
    }
}

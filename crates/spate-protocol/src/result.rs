//! What every result, request and notification shares: `resultType` and cache hints (2026),
//! the generic params, the empty result, and the `_meta` rules per version.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::fit::FitVersion;
use crate::meta::{self, Meta};
use crate::version::ProtocolVersion;

/// What kind of result a 2026 response carries (`resultType`); absent means `complete`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ResultType {
    /// The final result of the request.
    #[default]
    Complete,
    /// The server needs input first (MRTR, `InputRequiredResult`).
    InputRequired,
    /// A task was created (`CreateTaskResult` of the tasks extension).
    Task,
    /// A value defined by an extension this crate does not know.
    Other(String),
}

impl ResultType {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Complete => "complete",
            Self::InputRequired => "input_required",
            Self::Task => "task",
            Self::Other(s) => s,
        }
    }

    /// Parses a wire spelling (never fails: unknown values become [`ResultType::Other`]).
    pub fn parse(text: &str) -> Self {
        match text {
            "complete" => Self::Complete,
            "input_required" => Self::InputRequired,
            "task" => Self::Task,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for ResultType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResultType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResultType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(Self::parse(&text))
    }
}

/// Who may share a cached result (`cacheScope`, 2026 `CacheableResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheScope {
    /// Any cache may keep it.
    Public,
    /// Only caches bound to one authorization context. The default: it is never wrong.
    #[default]
    Private,
}

/// The `ttlMs` [`FitVersion`] writes when a cacheable 2026 result has none: `0`, "stale at
/// once", the only value that cannot make a client serve outdated data.
pub const DEFAULT_TTL_MS: u64 = 0;

/// Params holding only `_meta`: `ping`, `server/discover`, `roots/list`, …
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RequestParams {
    /// Request metadata (`progressToken`; 2026: version, capabilities, client info).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params holding only `_meta`: `notifications/initialized`, `…/list_changed`, …
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NotificationParams {
    /// Notification metadata (2026: `subscriptionId` on listen streams).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// A result with no content: answers `ping`, `resources/subscribe`, `logging/setLevel`, …
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyResult {
    /// `complete` (2026); absent in legacy versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Fits the parts every result has: `resultType` (filled with `complete` for 2026, removed
/// before) and `_meta` (reserved keys of other versions removed).
pub(crate) fn fit_result(
    result_type: &mut Option<ResultType>,
    meta: &mut Option<Meta>,
    version: ProtocolVersion,
) {
    if version >= ProtocolVersion::V2026_07_28 {
        result_type.get_or_insert(ResultType::Complete);
    } else {
        *result_type = None;
    }
    fit_meta(meta, version);
}

/// Fits the cache hints of a 2026 `CacheableResult`: filled with [`DEFAULT_TTL_MS`] and
/// [`CacheScope::Private`] when missing, removed for legacy versions.
pub(crate) fn fit_cacheable(
    ttl_ms: &mut Option<u64>,
    cache_scope: &mut Option<CacheScope>,
    version: ProtocolVersion,
) {
    if version >= ProtocolVersion::V2026_07_28 {
        ttl_ms.get_or_insert(DEFAULT_TTL_MS);
        cache_scope.get_or_insert(CacheScope::Private);
    } else {
        *ttl_ms = None;
        *cache_scope = None;
    }
}

/// Fits a `_meta` of any message: removes the 2026 reserved keys for legacy versions and the
/// 2025-11-25 `related-task` key elsewhere; an emptied object is dropped.
pub(crate) fn fit_meta(meta: &mut Option<Meta>, version: ProtocolVersion) {
    if meta.is_none() {
        return;
    }
    if version < ProtocolVersion::V2026_07_28 {
        meta::strip_modern_keys(meta);
    }
    if version != ProtocolVersion::V2025_11_25 {
        meta::remove_key(meta, meta::RELATED_TASK_KEY);
        meta::remove_key(meta, meta::MODEL_IMMEDIATE_RESPONSE_KEY);
    }
    if meta.as_ref().is_some_and(|m| m.is_empty()) {
        *meta = None;
    }
}

/// Fits the `_meta` of a client request: for 2026 it must name the protocol version
/// (overwritten with `version`) and the client capabilities (`{}` when missing: the client
/// engine sets the real ones; declaring nothing is never a lie).
pub(crate) fn fit_request_meta(meta: &mut Option<Meta>, version: ProtocolVersion) {
    fit_meta(meta, version);
    if version >= ProtocolVersion::V2026_07_28 {
        let m = meta.get_or_insert_with(Meta::new);
        m.insert(
            meta::PROTOCOL_VERSION_KEY.to_owned(),
            version.as_str().into(),
        );
        m.entry(meta::CLIENT_CAPABILITIES_KEY)
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
    }
}

impl FitVersion for RequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for NotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for EmptyResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

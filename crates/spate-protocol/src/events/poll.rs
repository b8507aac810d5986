//! Poll delivery: `events/poll` (SEP-3415, "Poll"). One subscription per request and no
//! server state required: the client carries the cursor from one poll to the next.

use serde::{Deserialize, Serialize};

use super::occurrence::EventOccurrence;
use crate::fit::FitVersion;
use crate::meta::{JsonObject, Meta};
use crate::result::{ResultType, fit_request_meta, fit_result};
use crate::version::ProtocolVersion;

/// Params of `events/poll`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollEventsRequestParams {
    /// The event type.
    pub name: String,
    /// Subscription arguments, valid against the type's `inputSchema`. Absent or `null` is
    /// read as `{}`; the design sketch's older spelling `params` is accepted too. Always
    /// written.
    #[serde(default, alias = "params", deserialize_with = "super::arguments")]
    pub arguments: JsonObject,
    /// Where to continue; `None` (written `null`; absent reads the same) starts from now:
    /// no history, only a fresh cursor.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Replay floor in milliseconds: start no earlier than now minus this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_ms: Option<u64>,
    /// At most this many occurrences in the answer (≥ 1); the server's default otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u64>,
    /// How long the server may hold the request open waiting for an occurrence (a long
    /// poll), in milliseconds.
    ///
    /// Not part of SEP-3415: it comes from the design sketch (proposed there as `waitMs`,
    /// which is read too). Our choice while the drafts disagree: a server treats it as an
    /// optional hint, holds only while nothing is available and never longer than its own
    /// cap, and answers at once when it is absent; a client sends it only to a server known
    /// to honour it.
    #[serde(default, alias = "waitMs", skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl PollEventsRequestParams {
    /// A first poll of `name` with `arguments`: no cursor, so it starts from now.
    pub fn new(name: impl Into<String>, arguments: JsonObject) -> Self {
        Self {
            name: name.into(),
            arguments,
            ..Self::default()
        }
    }
}

/// Result of `events/poll`.
///
/// Pacing: with `hasMore` the client polls again at once with the new cursor; otherwise it
/// waits `nextPollMs`, but never less than its own floor.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollEventsResult {
    /// The occurrences, oldest first; always written, empty when nothing happened. Entries
    /// carry no cursor of their own.
    #[serde(default)]
    pub events: Vec<EventOccurrence>,
    /// The position after this batch, to send on the next poll; it advances even when the
    /// batch is empty. `None` (written `null`) means the type has no replay: the client then
    /// always polls with `null`.
    #[serde(default)]
    pub cursor: Option<String>,
    /// The server resumed later than the cursor asked for, so occurrences may have been
    /// missed (never an error).
    #[serde(default)]
    pub truncated: bool,
    /// More occurrences are ready beyond this batch.
    #[serde(default)]
    pub has_more: bool,
    /// How long the server asks the client to wait before the next poll, in milliseconds
    /// (ignored when `hasMore`).
    #[serde(default)]
    pub next_poll_ms: u64,
    /// `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl FitVersion for PollEventsRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for PollEventsResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.events.fit_version(version);
        fit_result(&mut self.result_type, &mut self.meta, version);
    }
}

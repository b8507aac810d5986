//! Checkable sources: event types whose history lives upstream (a database, an API with a
//! changes feed). Nothing is emitted; each subscription asks the source what happened after
//! its cursor ([`EventEntry::checkable`](super::EventEntry::checkable)): a poll asks once, a
//! push stream or a webhook subscription asks again every poll interval, or at once when the
//! source says something changed ([`ServerHandle::nudge`](crate::server::ServerHandle::nudge)).
//!
//! The cursors are the source's own, passed through unchanged; one it no longer knows goes on
//! from now, reported as `truncated`.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use spate_protocol::{ErrorObject, JsonObject};

/// One question to a checkable source.
#[derive(Debug, Clone)]
pub struct Check<A> {
    /// The subscription's arguments: return only what they select.
    pub arguments: A,
    /// The subscription's cursor; `None` asks for the cursor of now (and no events).
    pub after: Option<String>,
    /// The most events to return.
    pub limit: usize,
}

/// What a checkable source answers.
#[derive(Debug, Clone)]
pub struct Checked<P> {
    /// What happened after the cursor, oldest first.
    pub events: Vec<CheckedEvent<P>>,
    /// The cursor after everything looked at (past the last event, and past what the
    /// arguments filtered out).
    pub cursor: String,
    /// Whether more is already there.
    pub has_more: bool,
}

/// One occurrence a checkable source reports.
#[derive(Debug, Clone)]
pub struct CheckedEvent<P> {
    /// Its id (stable: a redelivery carries the same).
    pub event_id: String,
    /// When it happened, in Unix milliseconds.
    pub timestamp_ms: u64,
    /// Its payload.
    pub data: P,
    /// The cursor right after it (safe to persist once it was handled).
    pub cursor: String,
}

/// Why a checkable source could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The cursor is not one the source knows (any more): the subscription goes on from
    /// now and is told it may have missed something (`truncated`).
    #[error("unknown cursor")]
    UnknownCursor,
    /// The source failed; the request gets an internal error with this message.
    #[error("event source failed: {0}")]
    Failed(String),
}

/// A checkable source with its types erased.
pub(crate) type CheckFn = Arc<
    dyn Fn(
            JsonObject,
            Option<String>,
            usize,
        ) -> BoxFuture<'static, Result<Checked<Value>, CheckError>>
        + Send
        + Sync,
>;

/// Erases the types of a source asked with an `A` and answering `P`s.
pub(crate) fn erase<A, P, F, Fut>(check: F) -> CheckFn
where
    A: DeserializeOwned + Send + 'static,
    P: Serialize + 'static,
    F: Fn(Check<A>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Checked<P>, CheckError>> + Send + 'static,
{
    let check = Arc::new(check);
    Arc::new(move |arguments, after, limit| {
        let arguments = serde_json::from_value::<A>(Value::Object(arguments));
        let check = check.clone();
        Box::pin(async move {
            let arguments = arguments.map_err(|e| CheckError::Failed(e.to_string()))?;
            let checked = check(Check {
                arguments,
                after,
                limit,
            })
            .await?;
            let mut events = Vec::with_capacity(checked.events.len());
            for event in checked.events {
                let data = serde_json::to_value(event.data)
                    .map_err(|e| CheckError::Failed(e.to_string()))?;
                events.push(CheckedEvent {
                    event_id: event.event_id,
                    timestamp_ms: event.timestamp_ms,
                    data,
                    cursor: event.cursor,
                });
            }
            Ok(Checked {
                events,
                cursor: checked.cursor,
                has_more: checked.has_more,
            })
        })
    })
}

/// The error a request (or a push stream's `error` notification) gets when its source
/// failed: `-32603`, as SEP-3415's example, with `data.reason`.
pub(crate) fn failed(e: &CheckError) -> ErrorObject {
    let mut error = ErrorObject::new(spate_protocol::error_code::INTERNAL_ERROR, "UpstreamError");
    error.data = Some(serde_json::json!({ "reason": e.to_string() }));
    error
}

/// A count of nudges per checkable type, for
/// [`ServerHandle::nudge`](crate::server::ServerHandle::nudge): a reader that has not seen
/// the latest count asks its source again, so a nudge between two reads is not lost.
#[derive(Debug, Default)]
pub(crate) struct Nudges {
    types: std::sync::Mutex<std::collections::HashMap<String, tokio::sync::watch::Sender<u64>>>,
}

impl Nudges {
    /// Watches the nudges of `name` (made on first use; only registered types get here).
    pub(crate) fn of(&self, name: &str) -> tokio::sync::watch::Receiver<u64> {
        crate::mutex::lock(&self.types)
            .entry(name.to_owned())
            .or_insert_with(|| tokio::sync::watch::channel(0).0)
            .subscribe()
    }

    /// Tells the readers of `name` that its source has news.
    pub(crate) fn nudge(&self, name: &str) {
        if let Some(news) = crate::mutex::lock(&self.types).get(name) {
            news.send_modify(|count| *count = count.wrapping_add(1));
        }
    }
}

//! The events extension on the client (SEP-3415): list a server's event types, poll one, or
//! follow one with an [`EventPoller`] that paces itself as the server asks, remembers its
//! cursor and drops occurrences it has already handed out.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use spate_protocol::JsonObject;
use spate_protocol::events::methods::{EVENTS_LIST, EVENTS_POLL};
use spate_protocol::events::{
    EventDescriptor, EventOccurrence, ListEventsResult, PollEventsRequestParams, PollEventsResult,
};

use super::Client;
use super::calls::{CallOptions, MAX_PAGES, page};
use crate::engine::PeerError;

/// Event ids an [`EventPoller`] remembers to drop a redelivered occurrence.
const REMEMBERED_IDS: usize = 4096;

impl Client {
    /// One page of `events/list`.
    pub async fn list_events(&self, cursor: Option<String>) -> Result<ListEventsResult, PeerError> {
        self.call(EVENTS_LIST, &page(cursor), CallOptions::default())
            .await
    }

    /// Every event type the server offers, following cursors.
    pub async fn list_all_events(&self) -> Result<Vec<EventDescriptor>, PeerError> {
        let mut all = Vec::new();
        let mut cursor = None;
        for _ in 0..MAX_PAGES {
            let page = self.list_events(cursor).await?;
            all.extend(page.events);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
        Err(PeerError::Malformed(format!(
            "events/list did not end after {MAX_PAGES} pages"
        )))
    }

    /// One `events/poll`.
    pub async fn poll_events(
        &self,
        params: &PollEventsRequestParams,
    ) -> Result<PollEventsResult, PeerError> {
        self.call(EVENTS_POLL, params, CallOptions::default()).await
    }

    /// Follows the event type `name` with these subscription arguments from now on (or
    /// from a cursor kept earlier, see [`EventPoller::from_cursor`]).
    pub fn poll_events_of(
        &self,
        name: impl Into<String>,
        arguments: JsonObject,
    ) -> EventPoller<'_> {
        EventPoller {
            client: self,
            params: PollEventsRequestParams::new(name, arguments),
            ready: VecDeque::new(),
            wait: Duration::ZERO,
            floor: Duration::from_secs(1),
            truncated: false,
            seen: SeenIds::default(),
        }
    }
}

/// One poll subscription, as a stream of occurrences. It polls again at once while the
/// server says it has more, else after the server's `nextPollMs` but never sooner than its
/// floor (1 s unless set), keeps the server's cursor, and drops an occurrence whose
/// `eventId` it handed out recently.
#[derive(Debug)]
pub struct EventPoller<'a> {
    client: &'a Client,
    params: PollEventsRequestParams,
    ready: VecDeque<EventOccurrence>,
    wait: Duration,
    floor: Duration,
    truncated: bool,
    seen: SeenIds,
}

impl EventPoller<'_> {
    /// Starts from a cursor kept from an earlier poller (see [`EventPoller::cursor`]).
    pub fn from_cursor(mut self, cursor: impl Into<String>) -> Self {
        self.params.cursor = Some(cursor.into());
        self
    }

    /// The shortest wait between two polls that found nothing more (default 1 s).
    pub fn min_interval(mut self, floor: Duration) -> Self {
        self.floor = floor;
        self
    }

    /// The position after the last occurrence polled: keep it to resume later.
    pub fn cursor(&self) -> Option<&str> {
        self.params.cursor.as_deref()
    }

    /// Whether the server reported a gap (`truncated`) since the last call; clears it.
    pub fn take_truncated(&mut self) -> bool {
        std::mem::take(&mut self.truncated)
    }

    /// The next occurrence, polling as long as it takes.
    pub async fn next(&mut self) -> Result<EventOccurrence, PeerError> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(event);
            }
            tokio::time::sleep(self.wait).await;
            let result = self.client.poll_events(&self.params).await?;
            self.params.cursor = result.cursor;
            self.truncated |= result.truncated;
            self.wait = if result.has_more {
                Duration::ZERO
            } else {
                Duration::from_millis(result.next_poll_ms).max(self.floor)
            };
            for event in result.events {
                if self.seen.first_sight(&event.event_id) {
                    self.ready.push_back(event);
                }
            }
        }
    }
}

/// The event ids handed out recently (the last [`REMEMBERED_IDS`]), to drop an occurrence
/// delivered again (at-least-once delivery).
#[derive(Debug, Default)]
pub(super) struct SeenIds {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenIds {
    /// Remembers an event id; `false` when it was handed out recently.
    pub(super) fn first_sight(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() == REMEMBERED_IDS {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        self.ids.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        true
    }
}

//! One subscription to an event type over whichever delivery mode fits: see
//! [`EventSubscription`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use spate_protocol::JsonObject;
use spate_protocol::events::{
    DeliveryMode, EventDescriptor, EventOccurrence, PollEventsRequestParams,
    SubscribeEventsRequestParams, SubscribeEventsResult, WebhookDelivery,
};
use tokio::sync::watch;

use super::cursor_store::{CursorStore, CursorStoreError, cursor_key};
use super::event_stream::EventStream;
use super::events::SeenIds;
use super::webhook_inbox::{InboxItem, WebhookInbox};
use super::{Client, KeeperStatus, WebhookBinding, WebhookKeeper};
use crate::engine::PeerError;
use crate::events::WebhookSecret;

/// The shortest wait between two polls that found nothing more, unless set.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// A delivery mode an [`EventSubscription`] can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubscriptionMode {
    /// `events/poll`, paced as the server asks.
    Poll,
    /// `events/stream` notifications, reopened from the cursor when the stream dies.
    Push,
    /// Signed POSTs to a [`WebhookInbox`], kept subscribed with `events/subscribe`.
    Webhook,
}

impl SubscriptionMode {
    /// The delivery mode as `events/list` names it.
    pub fn delivery(self) -> DeliveryMode {
        match self {
            Self::Poll => DeliveryMode::Poll,
            Self::Push => DeliveryMode::Push,
            Self::Webhook => DeliveryMode::Webhook,
        }
    }
}

/// What an [`EventSubscription`] hands out.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SubscriptionItem {
    /// One occurrence.
    Event(EventOccurrence),
    /// Occurrences may have been missed here: the server's history no longer reached the
    /// cursor (`truncated`), or a webhook `gap` envelope. Delivery goes on after it.
    Gap,
}

/// Why an [`EventSubscription`] could not open or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubscriptionError {
    /// A call failed, the connection closed, or the server refused or ended the
    /// subscription (`PeerError::Remote` with its error: a `terminated` notification or
    /// envelope ends up here too).
    #[error(transparent)]
    Peer(#[from] PeerError),
    /// The cursor store failed. Nothing is lost: the cursor is saved again on the next call.
    #[error(transparent)]
    Store(#[from] CursorStoreError),
    /// The server does not list the event type (`mode: None`), or not with the mode asked
    /// for.
    #[error("the server does not offer event type {name:?}{}", .mode.map(|m| format!(" over {m:?}")).unwrap_or_default())]
    NotOffered {
        /// The event type.
        name: String,
        /// The mode that was forced, if one was.
        mode: Option<SubscriptionMode>,
    },
    /// Webhook delivery was forced without a [`WebhookInbox`] to receive it.
    #[error("webhook delivery needs a webhook inbox")]
    NoInbox,
}

impl Client {
    /// Starts a subscription to the event type `name` with these arguments, over whichever
    /// mode fits (see [`EventSubscriptionBuilder`]). The client is held by `Arc`: a webhook
    /// subscription keeps a refresh task running on it.
    pub fn subscribe_events(
        self: &Arc<Self>,
        name: impl Into<String>,
        arguments: JsonObject,
    ) -> EventSubscriptionBuilder {
        EventSubscriptionBuilder {
            client: self.clone(),
            name: name.into(),
            arguments,
            store: None,
            key: None,
            inbox: None,
            mode: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }
}

/// Settings of an [`EventSubscription`]; made by [`Client::subscribe_events`].
pub struct EventSubscriptionBuilder {
    client: Arc<Client>,
    name: String,
    arguments: JsonObject,
    store: Option<Arc<dyn CursorStore>>,
    key: Option<String>,
    inbox: Option<Arc<dyn WebhookInbox>>,
    mode: Option<SubscriptionMode>,
    poll_interval: Duration,
}

impl std::fmt::Debug for EventSubscriptionBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSubscriptionBuilder")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("webhook", &self.inbox.is_some())
            .finish_non_exhaustive()
    }
}

impl EventSubscriptionBuilder {
    /// Where the cursor is loaded from and saved to (none by default: every run starts now).
    pub fn cursor_store(mut self, store: impl CursorStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// The key the cursor is kept under (default: [`cursor_key`] of the name and arguments).
    pub fn cursor_key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// A webhook receiver: webhook delivery is preferred when the type offers it.
    pub fn webhook(mut self, inbox: impl WebhookInbox) -> Self {
        self.inbox = Some(Arc::new(inbox));
        self
    }

    /// Uses this mode, or fails to open when the type does not offer it.
    pub fn mode(mut self, mode: SubscriptionMode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// The shortest wait between two polls that found nothing more (default 1 s).
    pub fn poll_interval(mut self, floor: Duration) -> Self {
        self.poll_interval = floor;
        self
    }

    /// Lists the server's event types, picks the mode, loads the cursor and starts
    /// delivery: a push stream is open (the server answered `active`), a webhook subscribed
    /// (its callback verified), and a poll subscription has its starting cursor.
    pub async fn open(self) -> Result<EventSubscription, SubscriptionError> {
        let types = self.client.list_all_events().await?;
        let descriptor = types.iter().find(|t| t.name == self.name);
        let mode = choose(descriptor, &self.name, self.mode, self.inbox.is_some())?;
        let key = self
            .key
            .unwrap_or_else(|| cursor_key(&self.name, &self.arguments));
        let stored = match &self.store {
            Some(store) => store.load(&key).await?,
            None => None,
        };
        let mut subscription = EventSubscription {
            name: self.name.clone(),
            mode,
            driver: Driver::Closed,
            store: self.store,
            key,
            saved: stored.clone(),
            pending: None,
            queue: VecDeque::new(),
            seen: SeenIds::default(),
        };
        let (name, arguments) = (self.name, self.arguments);
        subscription.driver = match mode {
            SubscriptionMode::Poll => {
                let mut params = PollEventsRequestParams::new(name, arguments);
                params.cursor.clone_from(&stored);
                let mut poll = Poller {
                    client: self.client,
                    params,
                    wait: Duration::ZERO,
                    floor: self.poll_interval,
                };
                if stored.is_none() {
                    // A first poll without cursor fixes "now".
                    poll.fill(&mut subscription.queue).await?;
                }
                Driver::Poll(poll)
            }
            SubscriptionMode::Push => {
                let mut stream = self.client.stream_events_shared(name, arguments);
                if let Some(cursor) = &stored {
                    stream = stream.from_cursor(cursor.clone());
                }
                stream.started().await?;
                if let Some(cursor) = stream.cursor() {
                    subscription
                        .queue
                        .push_back(Step::Cursor(cursor.to_owned()));
                }
                Driver::Push(Box::new(stream))
            }
            SubscriptionMode::Webhook => {
                let inbox = self.inbox.ok_or(SubscriptionError::NoInbox)?;
                let hook = Hook::open(&self.client, &*inbox, name, arguments, stored).await?;
                if let Some(cursor) = hook.status.borrow().last.cursor.clone() {
                    subscription.queue.push_back(Step::Cursor(cursor));
                }
                Driver::Webhook(hook)
            }
        };
        subscription.settle().await?;
        Ok(subscription)
    }
}

/// Webhook if an inbox is given and offered, else push, else poll; or the forced mode.
fn choose(
    descriptor: Option<&EventDescriptor>,
    name: &str,
    forced: Option<SubscriptionMode>,
    inbox: bool,
) -> Result<SubscriptionMode, SubscriptionError> {
    let not_offered = |mode| SubscriptionError::NotOffered {
        name: name.to_owned(),
        mode,
    };
    let descriptor = descriptor.ok_or_else(|| not_offered(None))?;
    let offers = |mode: SubscriptionMode| descriptor.offers(&mode.delivery());
    if let Some(mode) = forced {
        if mode == SubscriptionMode::Webhook && !inbox {
            return Err(SubscriptionError::NoInbox);
        }
        return if offers(mode) {
            Ok(mode)
        } else {
            Err(not_offered(Some(mode)))
        };
    }
    if inbox && offers(SubscriptionMode::Webhook) {
        Ok(SubscriptionMode::Webhook)
    } else if offers(SubscriptionMode::Push) {
        Ok(SubscriptionMode::Push)
    } else if offers(SubscriptionMode::Poll) {
        Ok(SubscriptionMode::Poll)
    } else {
        Err(not_offered(None))
    }
}

/// One subscription to an event type over whichever delivery mode fits, so an agent writes
/// one loop whether the server pushes, is polled, or POSTs webhooks; made by
/// [`Client::subscribe_events`] and [`EventSubscriptionBuilder::open`].
///
/// (The name `Subscription` is taken by [`Client::listen`]'s `subscriptions/listen` stream;
/// this is the events extension's subscription.)
///
/// ```no_run
/// use std::sync::Arc;
/// use spate::client::{Client, MemoryCursorStore, SubscriptionItem};
///
/// # async fn run(client: Arc<Client>) -> Result<(), Box<dyn std::error::Error>> {
/// let store = MemoryCursorStore::new();
/// let mut subscription = client
///     .subscribe_events("order.created", Default::default())
///     .cursor_store(store)
///     .open()
///     .await?;
/// println!("receiving over {:?}", subscription.mode());
/// loop {
///     match subscription.next().await? {
///         SubscriptionItem::Event(event) => println!("{}: {:?}", event.event_id, event.data),
///         SubscriptionItem::Gap => println!("some occurrences were missed"),
///         _ => {}
///     }
/// }
/// # }
/// ```
///
/// **Mode.** [`EventSubscriptionBuilder::open`] lists the server's event types and picks
/// webhook when a [`WebhookInbox`] was given and the type offers webhook delivery, else push
/// when offered, else poll; [`EventSubscriptionBuilder::mode`] forces one instead.
///
/// **Cursor.** With a [`CursorStore`], the subscription starts from the cursor saved under
/// its key (see [`cursor_key`]), or from now when there is none, and saves the position where
/// it starts as soon as it knows it. The cursor of an item is saved when the application asks
/// for the next one (or closes the subscription): an item is only counted as done once the
/// application came back for more. A crash while handling an item therefore delivers it
/// again on the next run (at-least-once); within one run, an occurrence whose `eventId` was
/// handed out recently is dropped. A poll page carries one cursor, after its last
/// occurrence: a crash in the middle of a page delivers the whole page again. One key holds
/// one cursor whatever the mode, which assumes the server's cursors are good in every mode
/// (Spate's are: all modes read one history).
///
/// [`EventSubscription::next`] may be abandoned (a timeout, a `select!`): nothing it had
/// received is lost, and the next call picks up where it was.
///
/// **Webhook.** The subscription registers a fresh secret with the inbox, subscribes with
/// the callback URL it answered, and keeps the subscription refreshed (a [`WebhookKeeper`]
/// running inside it) until [`EventSubscription::close`], which unsubscribes. Dropping the
/// subscription instead stops the refreshes and forgets the registration; the server's
/// subscription then lapses on its own.
pub struct EventSubscription {
    name: String,
    mode: SubscriptionMode,
    driver: Driver,
    store: Option<Arc<dyn CursorStore>>,
    key: String,
    /// The cursor last saved (or loaded).
    saved: Option<String>,
    /// The cursor of the last item handed out, saved on the next call.
    pending: Option<String>,
    queue: VecDeque<Step>,
    seen: SeenIds,
}

impl std::fmt::Debug for EventSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSubscription")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("key", &self.key)
            .field("cursor", &self.cursor())
            .finish_non_exhaustive()
    }
}

impl EventSubscription {
    /// The mode the subscription receives over.
    pub fn mode(&self) -> SubscriptionMode {
        self.mode
    }

    /// The event type.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key its cursor is kept under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The position after the last item handed out (saved at the next call), else the one
    /// saved last.
    pub fn cursor(&self) -> Option<&str> {
        self.pending.as_deref().or(self.saved.as_deref())
    }

    /// The next item, after saving the cursor of the one handed out before. Fails when the
    /// server refuses or ends the subscription, the connection closes, a webhook keeper
    /// gives up, or the cursor store fails (then call again: the cursor is retried).
    pub async fn next(&mut self) -> Result<SubscriptionItem, SubscriptionError> {
        self.commit().await?;
        loop {
            while let Some(step) = self.queue.pop_front() {
                match step {
                    Step::Cursor(cursor) => {
                        self.pending = Some(cursor);
                        self.commit().await?;
                    }
                    Step::Item(item, cursor) => {
                        if cursor.is_some() {
                            self.pending = cursor;
                        }
                        if let SubscriptionItem::Event(event) = &item {
                            if !self.seen.first_sight(&event.event_id) {
                                continue;
                            }
                        }
                        return Ok(item);
                    }
                }
            }
            match &mut self.driver {
                Driver::Poll(poll) => poll.fill(&mut self.queue).await?,
                Driver::Push(stream) => {
                    let event = stream.next().await?;
                    if stream.take_truncated() {
                        self.queue
                            .push_back(Step::Item(SubscriptionItem::Gap, None));
                    }
                    let cursor = event.position().map(str::to_owned);
                    self.queue
                        .push_back(Step::Item(SubscriptionItem::Event(event), cursor));
                }
                Driver::Webhook(hook) => hook.fill(&mut self.queue).await?,
                Driver::Closed => return Err(PeerError::Closed.into()),
            }
        }
    }

    /// Saves the cursor of the last item handed out, stops delivery (a webhook subscription
    /// is unsubscribed and its registration forgotten) and ends the subscription.
    pub async fn close(mut self) -> Result<(), SubscriptionError> {
        let saved = self.commit().await;
        let stopped = match std::mem::replace(&mut self.driver, Driver::Closed) {
            Driver::Webhook(hook) => hook.stop().await,
            _ => Ok(()),
        };
        saved?;
        Ok(stopped?)
    }

    /// Saves the cursors of the leading steps that carry nothing to hand out.
    async fn settle(&mut self) -> Result<(), CursorStoreError> {
        while let Some(Step::Cursor(cursor)) = self.queue.front() {
            self.pending = Some(cursor.clone());
            self.queue.pop_front();
            self.commit().await?;
        }
        Ok(())
    }

    /// Saves the pending cursor, unless it is the one saved already.
    async fn commit(&mut self) -> Result<(), CursorStoreError> {
        let Some(cursor) = self.pending.clone() else {
            return Ok(());
        };
        if let Some(store) = &self.store {
            if self.saved.as_ref() != Some(&cursor) {
                store.save(&self.key, &cursor).await?;
            }
        }
        self.saved = Some(cursor);
        self.pending = None;
        Ok(())
    }
}

/// What a mode produced: an item with the cursor to save once it was handed out, or a
/// position reached with nothing to hand out (saved at once).
#[derive(Debug)]
enum Step {
    Item(SubscriptionItem, Option<String>),
    Cursor(String),
}

enum Driver {
    Poll(Poller),
    Push(Box<EventStream<'static>>),
    Webhook(Hook),
    Closed,
}

/// Poll mode: pages of `events/poll`, paced like an [`EventPoller`](super::EventPoller).
struct Poller {
    client: Arc<Client>,
    params: PollEventsRequestParams,
    wait: Duration,
    floor: Duration,
}

impl Poller {
    /// Polls until a page yields a step. Only the last occurrence of a page carries its
    /// cursor (the page's): the server gives no position inside a page.
    async fn fill(&mut self, out: &mut VecDeque<Step>) -> Result<(), PeerError> {
        loop {
            tokio::time::sleep(self.wait).await;
            let result = self.client.poll_events(&self.params).await?;
            self.wait = if result.has_more {
                Duration::ZERO
            } else {
                Duration::from_millis(result.next_poll_ms).max(self.floor)
            };
            let moved = result.cursor.is_some() && result.cursor != self.params.cursor;
            self.params.cursor.clone_from(&result.cursor);
            let count = result.events.len();
            if result.truncated {
                let cursor = if count == 0 {
                    result.cursor.clone()
                } else {
                    None
                };
                out.push_back(Step::Item(SubscriptionItem::Gap, cursor));
            } else if count == 0 && moved {
                if let Some(cursor) = result.cursor.clone() {
                    out.push_back(Step::Cursor(cursor));
                }
            }
            for (index, event) in result.events.into_iter().enumerate() {
                let cursor = (index + 1 == count)
                    .then(|| result.cursor.clone())
                    .flatten();
                out.push_back(Step::Item(SubscriptionItem::Event(event), cursor));
            }
            if !out.is_empty() {
                return Ok(());
            }
        }
    }
}

/// Webhook mode: the inbox's deliveries, and the keeper refreshing the subscription.
struct Hook {
    keeper: Option<WebhookKeeper>,
    status: watch::Receiver<KeeperStatus>,
    items: BoxStream<'static, InboxItem>,
    release: Option<Box<dyn FnOnce() + Send>>,
}

impl Hook {
    async fn open(
        client: &Arc<Client>,
        inbox: &dyn WebhookInbox,
        name: String,
        arguments: JsonObject,
        cursor: Option<String>,
    ) -> Result<Self, PeerError> {
        let secret = WebhookSecret::generate();
        let registration = inbox.register(&secret);
        let binding = Arc::new(Seeded {
            inner: registration.binding,
            seed: cursor.clone(),
        });
        let params = SubscribeEventsRequestParams {
            name,
            arguments,
            delivery: WebhookDelivery::new(registration.url, secret.to_text()),
            cursor,
            max_age_ms: None,
            ttl_ms: None,
            meta: None,
        };
        let mut hook = Self {
            keeper: None,
            status: watch::channel(KeeperStatus {
                last: SubscribeEventsResult::default(),
                refreshes: 0,
                resubscribes: 0,
                ended: None,
            })
            .1,
            items: registration.items,
            release: Some(registration.release),
        };
        // On failure, dropping `hook` forgets the registration.
        let keeper = client.keep_webhook(params, binding).await?;
        hook.status = keeper.watch();
        hook.keeper = Some(keeper);
        Ok(hook)
    }

    /// Waits for one delivery; a `terminated` envelope, the end of the deliveries or a
    /// keeper that gave up is an error.
    async fn fill(&mut self, out: &mut VecDeque<Step>) -> Result<(), PeerError> {
        tokio::select! {
            biased;
            item = self.items.next() => match item {
                Some(InboxItem::Event(event)) => {
                    let cursor = event.position().map(str::to_owned);
                    out.push_back(Step::Item(SubscriptionItem::Event(event), cursor));
                }
                Some(InboxItem::Gap { cursor }) => {
                    out.push_back(Step::Item(SubscriptionItem::Gap, cursor));
                }
                Some(InboxItem::Terminated(error)) => return Err(PeerError::Remote(error)),
                None => return Err(PeerError::Closed),
            },
            ended = self.status.wait_for(|s| s.ended.is_some()) => {
                let error = ended.ok().and_then(|s| s.ended.clone());
                return Err(error.unwrap_or(PeerError::Closed));
            }
        }
        Ok(())
    }

    /// Unsubscribes and forgets the registration.
    async fn stop(mut self) -> Result<(), PeerError> {
        let stopped = match self.keeper.take() {
            Some(keeper) => keeper.stop().await,
            None => Ok(()),
        };
        if let Some(release) = self.release.take() {
            release();
        }
        stopped
    }
}

impl Drop for Hook {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

/// The inbox's binding, answering the stored cursor until the inbox has one of its own (so a
/// refresh before the first delivery does not restart from now).
struct Seeded {
    inner: Arc<dyn WebhookBinding>,
    seed: Option<String>,
}

impl WebhookBinding for Seeded {
    fn cursor(&self) -> Option<String> {
        self.inner.cursor().or_else(|| self.seed.clone())
    }

    fn subscribed(&self, result: &SubscribeEventsResult) {
        self.inner.subscribed(result);
    }
}

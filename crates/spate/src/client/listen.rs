//! `subscriptions/listen` (2026-07-28; Base Protocol › Message Patterns › Subscriptions,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/patterns/subscriptions>) as
//! a stream of typed events.
//!
//! [`Client::listen`] sends the listen request and waits for the server's
//! `notifications/subscriptions/acknowledged`; the [`Subscription`] it returns then yields
//! every notification the server tags with its id (the listen request's JSON-RPC id), in
//! order. Dropping the subscription ends it: over HTTP its stream is closed, over stdio a
//! `notifications/cancelled` goes out. When the server ends it (a final result, or the
//! connection drops), the stream ends after what already arrived.
//!
//! The engine numbers requests itself, so the id is learnt from the acknowledgement: one
//! subscription is set up at a time, and the first acknowledgement for an unknown id while
//! it waits is its own (acknowledgements come before anything else of a subscription).
//!
//! [`Client::listen`]: super::Client::listen

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use serde::Deserialize;
use spate_protocol::jsonrpc::to_raw;
use spate_protocol::meta::SUBSCRIPTION_ID_KEY;
use spate_protocol::{
    JsonObject, Meta, Notification, RequestId, ResourceUpdatedNotificationParams,
    SubscriptionFilter, SubscriptionsAcknowledgedNotificationParams, methods,
};
use tokio::sync::{mpsc, oneshot};

use super::Client;
use crate::engine::{PeerError, RequestOptions};

/// A listen request runs until someone ends it: its idle timeout is (practically) never.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(60 * 60 * 24 * 365 * 30);
/// How long the server may take to acknowledge a subscription.
const ACK_TIMEOUT: Duration = Duration::from_secs(30);

/// One notification of a subscription.
#[derive(Debug, Clone)]
pub enum SubscriptionEvent {
    /// `notifications/tools/list_changed`.
    ToolsListChanged,
    /// `notifications/prompts/list_changed`.
    PromptsListChanged,
    /// `notifications/resources/list_changed`.
    ResourcesListChanged,
    /// `notifications/resources/updated`: the resource at `uri` changed.
    ResourceUpdated {
        /// The resource that changed.
        uri: String,
    },
    /// Anything else on the stream (an extension's notification, say).
    Other(Notification),
}

impl SubscriptionEvent {
    fn of(notification: Notification) -> Self {
        match notification.method.as_str() {
            methods::NOTIFICATIONS_TOOLS_LIST_CHANGED => Self::ToolsListChanged,
            methods::NOTIFICATIONS_PROMPTS_LIST_CHANGED => Self::PromptsListChanged,
            methods::NOTIFICATIONS_RESOURCES_LIST_CHANGED => Self::ResourcesListChanged,
            methods::NOTIFICATIONS_RESOURCES_UPDATED => {
                match notification.parse_params::<ResourceUpdatedNotificationParams>() {
                    Ok(p) => Self::ResourceUpdated { uri: p.uri },
                    Err(_) => Self::Other(notification),
                }
            }
            _ => Self::Other(notification),
        }
    }
}

/// How a subscription ended, once it has.
pub type ListenOutcome = Option<Result<(), PeerError>>;

/// A subscription being set up: where its acknowledgement and events go.
struct Setup {
    acknowledged: oneshot::Sender<(RequestId, SubscriptionFilter)>,
    events: mpsc::Sender<Notification>,
}

#[derive(Default)]
struct Routes {
    live: HashMap<RequestId, mpsc::Sender<Notification>>,
    setup: Option<Setup>,
}

/// The subscriptions of one connection, by id.
#[derive(Default)]
pub(crate) struct ListenRoutes {
    routes: Mutex<Routes>,
}

#[derive(Deserialize)]
struct MetaOnly {
    #[serde(rename = "_meta", default)]
    meta: Option<Meta>,
}

/// The subscription a notification belongs to, if it says.
pub(super) fn subscription_of(notification: &Notification) -> Option<RequestId> {
    let meta = notification.parse_params::<MetaOnly>().ok()?.meta?;
    RequestId::deserialize(meta.get(SUBSCRIPTION_ID_KEY)?).ok()
}

impl ListenRoutes {
    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        self.routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hands a notification to its subscription, if it has one.
    pub(crate) fn route(&self, notification: &Notification) {
        let Some(id) = subscription_of(notification) else {
            return;
        };
        let mut routes = self.routes();
        if notification.method == methods::NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED {
            if routes.live.contains_key(&id) {
                return; // a repeated acknowledgement
            }
            let Some(setup) = routes.setup.take() else {
                tracing::debug!("acknowledgement of unknown subscription {id}");
                return;
            };
            let agreed = notification
                .parse_params::<SubscriptionsAcknowledgedNotificationParams>()
                .map(|p| p.notifications)
                .unwrap_or_default();
            routes.live.insert(id.clone(), setup.events);
            let _ = setup.acknowledged.send((id, agreed));
            return;
        }
        let Some(events) = routes.live.get(&id) else {
            tracing::debug!("{} for unknown subscription {id}", notification.method);
            return;
        };
        match events.try_send(notification.clone()) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(
                    "subscription {id} is not read fast enough: dropped {}",
                    notification.method
                );
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                routes.live.remove(&id);
            }
        }
    }

    /// Starts setting up a subscription; its events will go to `events`.
    pub(crate) fn expect(
        &self,
        events: mpsc::Sender<Notification>,
    ) -> oneshot::Receiver<(RequestId, SubscriptionFilter)> {
        let (acknowledged, ack) = oneshot::channel();
        self.routes().setup = Some(Setup {
            acknowledged,
            events,
        });
        ack
    }

    /// Gives up a setup that got no acknowledgement.
    pub(crate) fn abandon(&self) {
        self.routes().setup = None;
    }

    /// Ends a subscription's stream (after what already arrived).
    pub(crate) fn end(&self, id: &RequestId) {
        self.routes().live.remove(id);
    }
}

impl Client {
    /// Opens a `subscriptions/listen` stream for the notifications `filter` asks for and
    /// waits for the server's acknowledgement (at most 30 s). A legacy server answers
    /// `-32601` (it has `resources/subscribe` and its own stream instead).
    ///
    /// ```no_run
    /// # async fn run(client: spate::client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use spate::client::SubscriptionEvent;
    /// let filter = spate_protocol::SubscriptionFilter {
    ///     resource_subscriptions: Some(vec!["file:///notes.txt".into()]),
    ///     ..Default::default()
    /// };
    /// let mut updates = client.listen(filter).await?;
    /// while let Some(event) = updates.next().await {
    ///     if let SubscriptionEvent::ResourceUpdated { uri } = event {
    ///         println!("{uri} changed: {:?}", client.read_resource(&uri).await?);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn listen(&self, filter: SubscriptionFilter) -> Result<Subscription, PeerError> {
        let _one_at_a_time = self.listen_setup.lock().await;
        let mut params = JsonObject::new();
        params.insert(
            "notifications".into(),
            serde_json::to_value(&filter).unwrap_or_default(),
        );
        let routes = self.routing.listens.clone();
        let (events, receiver) = mpsc::channel(self.limits.listen_buffer);
        let acknowledged = routes.expect(events);
        let outcome = Arc::new(Mutex::new(None));
        let (ended, setup_failed) = oneshot::channel::<PeerError>();
        let (id_tx, id_rx) = oneshot::channel::<RequestId>();
        let task = {
            let peer = self.peer.clone();
            let envelope = self.envelope.clone();
            let routes = routes.clone();
            let outcome = outcome.clone();
            tokio::spawn(async move {
                let options = RequestOptions {
                    timeout: Some(LISTEN_TIMEOUT),
                    ..Default::default()
                };
                let method = methods::SUBSCRIPTIONS_LISTEN;
                let result = match &envelope {
                    Some(envelope) => envelope.request(&peer, method, &params, options).await,
                    None => {
                        peer.request_raw(method, Some(to_raw(&params)), options)
                            .await
                    }
                };
                let result = result.map(|_| ());
                *outcome
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(result.clone());
                if let Err(error) = result {
                    let _ = ended.send(error);
                }
                if let Ok(id) = id_rx.await {
                    routes.end(&id);
                }
            })
        };
        let setup = tokio::select! {
            biased;
            ack = acknowledged => ack.map_err(|_| PeerError::Closed),
            error = setup_failed => Err(error.unwrap_or_else(|_| {
                PeerError::Malformed("subscriptions/listen ended before it was acknowledged".into())
            })),
            () = tokio::time::sleep(ACK_TIMEOUT) => Err(PeerError::Timeout(ACK_TIMEOUT)),
        };
        match setup {
            Ok((id, agreed)) => {
                let _ = id_tx.send(id.clone());
                Ok(Subscription {
                    id,
                    acknowledged: agreed,
                    events: receiver,
                    task,
                    routes,
                    outcome,
                })
            }
            Err(error) => {
                routes.abandon();
                task.abort();
                Err(error)
            }
        }
    }
}

/// A live `subscriptions/listen` stream. Read it with [`Subscription::next`] or as a
/// [`futures_util::Stream`]; drop it to end the subscription.
pub struct Subscription {
    id: RequestId,
    acknowledged: SubscriptionFilter,
    events: mpsc::Receiver<Notification>,
    task: tokio::task::JoinHandle<()>,
    routes: Arc<ListenRoutes>,
    outcome: Arc<Mutex<ListenOutcome>>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("acknowledged", &self.acknowledged)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// The subscription id: the JSON-RPC id of the listen request.
    pub fn id(&self) -> &RequestId {
        &self.id
    }

    /// What the server agreed to send (it may be less than asked).
    pub fn acknowledged(&self) -> &SubscriptionFilter {
        &self.acknowledged
    }

    /// The next event; `None` once the subscription has ended.
    pub async fn next(&mut self) -> Option<SubscriptionEvent> {
        self.events.recv().await.map(SubscriptionEvent::of)
    }

    /// How the subscription ended: `Some(Ok(()))` when the server closed it with a result,
    /// `Some(Err(_))` when it failed or the connection dropped, `None` while it runs.
    pub fn outcome(&self) -> ListenOutcome {
        self.outcome
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl futures_util::Stream for Subscription {
    type Item = SubscriptionEvent;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.events
            .poll_recv(cx)
            .map(|n| n.map(SubscriptionEvent::of))
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        // Dropping the listen request cancels it: HTTP closes its stream, stdio sends
        // notifications/cancelled.
        self.task.abort();
        self.routes.end(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn note(method: &str, id: i64, extra: serde_json::Value) -> Notification {
        let mut params = extra.as_object().cloned().unwrap_or_default();
        params.insert("_meta".into(), json!({ SUBSCRIPTION_ID_KEY: id }));
        Notification::new(method, &params)
    }

    #[tokio::test]
    async fn the_acknowledgement_binds_the_id_then_events_follow_it() {
        let routes = ListenRoutes::default();
        let (tx, mut rx) = mpsc::channel(4);
        // Before any setup, tagged notifications go nowhere.
        routes.route(&note("notifications/tools/list_changed", 7, json!({})));
        let ack = routes.expect(tx);
        let filter = json!({"notifications": {"toolsListChanged": true}});
        routes.route(&note(
            methods::NOTIFICATIONS_SUBSCRIPTIONS_ACKNOWLEDGED,
            7,
            filter,
        ));
        let (id, agreed) = ack.await.unwrap();
        assert_eq!(id, RequestId::Number(7));
        assert_eq!(agreed.tools_list_changed, Some(true));
        routes.route(&note("notifications/tools/list_changed", 7, json!({})));
        routes.route(&note("notifications/tools/list_changed", 8, json!({})));
        routes.route(&note(
            "notifications/resources/updated",
            7,
            json!({"uri": "a://b"}),
        ));
        let first = SubscriptionEvent::of(rx.recv().await.unwrap());
        assert!(matches!(first, SubscriptionEvent::ToolsListChanged));
        let second = SubscriptionEvent::of(rx.recv().await.unwrap());
        assert!(matches!(second, SubscriptionEvent::ResourceUpdated { uri } if uri == "a://b"));
        routes.end(&id);
        assert!(rx.recv().await.is_none());
    }
}

//! What an [`EventSubscription`](super::EventSubscription) needs from a webhook receiver: a
//! [`WebhookInbox`] registers a callback for one subscription and hands back its URL, the
//! [`WebhookBinding`] the keeper talks to, and the stream of verified deliveries.
//!
//! The client layer cannot reach the HTTP transport; the transport implements this trait for
//! its receiver (`spate::transport::http::webhook_receiver::ReceiverInbox`), and an
//! application with a receiver of its own can implement it too.

use std::sync::Arc;

use futures_util::stream::BoxStream;
use spate_protocol::ErrorObject;
use spate_protocol::events::EventOccurrence;

use super::WebhookBinding;
use crate::events::WebhookSecret;

/// A webhook receiver, as an [`EventSubscription`](super::EventSubscription) uses it.
pub trait WebhookInbox: Send + Sync + 'static {
    /// Registers a callback for a subscription about to be made with `secret`: deliveries
    /// signed with it to the answered URL are verified and streamed, in arrival order.
    fn register(&self, secret: &WebhookSecret) -> InboxRegistration;
}

impl<I: WebhookInbox + ?Sized> WebhookInbox for Arc<I> {
    fn register(&self, secret: &WebhookSecret) -> InboxRegistration {
        (**self).register(secret)
    }
}

/// One callback registered with a [`WebhookInbox`].
pub struct InboxRegistration {
    /// The callback URL to subscribe with.
    pub url: String,
    /// Told every subscribe result (binding the subscription id) and asked for the cursor a
    /// refresh sends.
    pub binding: Arc<dyn WebhookBinding>,
    /// The verified, deduplicated deliveries; ends when the registration is gone.
    pub items: BoxStream<'static, InboxItem>,
    /// Forgets the registration (its URL stops accepting deliveries); called once, when the
    /// subscription is closed or dropped.
    pub release: Box<dyn FnOnce() + Send>,
}

impl std::fmt::Debug for InboxRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxRegistration")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// One delivery a [`WebhookInbox`] received.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InboxItem {
    /// An occurrence (its `cursor` is the position after it, safe to persist).
    Event(EventOccurrence),
    /// A `gap` envelope: occurrences may have been missed; delivery goes on from `cursor`.
    Gap {
        /// The position delivery resumes from; `None` for a type without replay.
        cursor: Option<String>,
    },
    /// A `terminated` envelope: the server ended the subscription for this reason.
    Terminated(ErrorObject),
}

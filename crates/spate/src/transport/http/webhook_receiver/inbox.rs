//! The receiver as the client's [`WebhookInbox`], so an `EventSubscription` can receive
//! webhooks through it.

use futures_util::StreamExt as _;

use super::{WebhookItem, WebhookReceiver};
use crate::client::{InboxItem, InboxRegistration, WebhookInbox};
use crate::events::WebhookSecret;

/// A [`WebhookReceiver`] reachable at a public base URL: the [`WebhookInbox`] an
/// `EventSubscription` registers its callbacks with. Cloning shares the receiver.
#[derive(Debug, Clone)]
pub struct ReceiverInbox {
    receiver: WebhookReceiver,
    base_url: String,
}

impl ReceiverInbox {
    /// The receiver, whose router is mounted at `base_url` (e.g.
    /// `https://hooks.example.com/hooks`, as the server will reach it).
    pub fn new(receiver: WebhookReceiver, base_url: impl Into<String>) -> Self {
        Self {
            receiver,
            base_url: base_url.into(),
        }
    }

    /// The receiver.
    pub fn receiver(&self) -> &WebhookReceiver {
        &self.receiver
    }
}

impl WebhookReceiver {
    /// This receiver as a [`WebhookInbox`], its router mounted at `base_url`.
    pub fn inbox(&self, base_url: impl Into<String>) -> ReceiverInbox {
        ReceiverInbox::new(self.clone(), base_url)
    }
}

impl WebhookInbox for ReceiverInbox {
    fn register(&self, secret: &WebhookSecret) -> InboxRegistration {
        let (registration, deliveries) = self.receiver.register(secret.clone());
        let url = registration.callback_url(&self.base_url);
        let forget = registration.clone();
        let items = deliveries
            .map(|item| match item {
                WebhookItem::Event(event) => InboxItem::Event(event),
                WebhookItem::Gap { cursor } => InboxItem::Gap { cursor },
                WebhookItem::Terminated(error) => InboxItem::Terminated(error),
            })
            .boxed();
        InboxRegistration {
            url,
            binding: std::sync::Arc::new(registration),
            items,
            release: Box::new(move || forget.unregister()),
        }
    }
}

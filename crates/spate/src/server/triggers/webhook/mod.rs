//! Webhook delivery (SEP-3415, "Webhook"): `events/subscribe` and `events/unsubscribe`, and
//! the delivery of each subscription's occurrences to its callback.

mod sender;

pub use sender::{CallbackRefusal, SendFailure, WebhookReply, WebhookSender};

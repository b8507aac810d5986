//! Webhook delivery (SEP-3415, "Webhook"): `events/subscribe` and `events/unsubscribe`, the
//! verification challenge, and one delivery task per subscription that POSTs its
//! occurrences, signed, in order, with retries.
//!
//! * [`sender`]: the seam to the HTTP client that reaches callbacks safely;
//! * [`settings`]: lifetimes, retries, quotas;
//! * `subscribe`: the requests; `registry`: the running subscriptions; `live`: one
//!   subscription's changing state; `worker`: its delivery task; `post`: one signed POST.

mod live;
mod post;
mod registry;
mod sender;
mod settings;
mod subscribe;
mod worker;

pub(crate) use registry::Webhooks;
pub use sender::{CallbackRefusal, SendFailure, WebhookReply, WebhookSender};
pub use settings::WebhookSettings;
pub(crate) use subscribe::answer;

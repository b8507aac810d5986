//! The events extension (SEP-3415): the computations a server and a client both need, with
//! no I/O and no runtime, so any layer may use them.
//!
//! * [`webhook_signature`]: Standard Webhooks signing and verification of deliveries, and
//!   the `whsec_` secrets they use;
//! * [`verification`]: the endpoint verification challenge;
//! * [`subscription_id`]: the subscription id derived from a subscription's key;
//! * [`canonical_json`]: the JavaScript-compatible canonical JSON the id is hashed over;
//! * [`callback_address`]: which addresses a webhook callback may reach (the SSRF policy).
//!
//! The wire types are in [`spate_protocol::events`].

pub mod callback_address;
pub mod canonical_json;
pub mod subscription_id;
pub mod verification;
pub mod webhook_signature;

pub use callback_address::{AddressPolicy, IpNetwork, IpNetworkError};
pub use subscription_id::derive_subscription_id;
pub use verification::ChallengeError;
pub use webhook_signature::{
    SecretError, SignatureError, SignatureVerifier, WebhookHeaders, WebhookSecret, signature_header,
};

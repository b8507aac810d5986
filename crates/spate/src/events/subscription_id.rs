//! The webhook subscription id (SEP-3415, "Subscription identity").
//!
//! A webhook subscription is keyed by (principal, callback URL, event name, arguments). Its
//! id is derived from that key, so it is stable across refreshes and restarts without being
//! stored, and it is never accepted as input: knowing an id grants nothing. SEP-3415 asks
//! only for a deterministic digest of the key; the derivation here is the one OpenAI's MCP
//! Events guide and Hookdeck's Outpost use:
//!
//! ```text
//! id = "sub_" + lowercase hex of the first 16 bytes of
//!      SHA-256(canonical JSON of {"arguments": …, "name": …, "principal": …, "url": …})
//! ```
//!
//! Any derivation would do (the id is private to the server), but sharing this one keeps
//! ids comparable with other implementations and testable against published vectors.

use serde_json::Value;
use sha2::{Digest, Sha256};
use spate_protocol::meta::JsonObject;

use super::canonical_json::canonical_json;

/// The prefix of every derived id.
pub const SUBSCRIPTION_ID_PREFIX: &str = "sub_";

/// The canonical serialization of a subscription key: the text that is hashed.
///
/// `url` must already be normalized (lower-case scheme and host, default port dropped, dot
/// segments resolved, …) so that two spellings of one callback give one key.
pub fn subscription_key(principal: &str, url: &str, name: &str, arguments: &JsonObject) -> String {
    let mut key = JsonObject::new();
    key.insert("arguments".to_owned(), Value::Object(arguments.clone()));
    key.insert("name".to_owned(), Value::String(name.to_owned()));
    key.insert("principal".to_owned(), Value::String(principal.to_owned()));
    key.insert("url".to_owned(), Value::String(url.to_owned()));
    canonical_json(&Value::Object(key))
}

/// The subscription id of a key: `sub_` and 32 lower-case hex digits.
///
/// ```
/// use serde_json::json;
/// use spate::events::subscription_id::derive_subscription_id;
/// let arguments = json!({"severity": "P1"}).as_object().unwrap().clone();
/// let id = derive_subscription_id(
///     "user_8f2c",
///     "https://proxy.example.com/hooks/client123",
///     "incident.created",
///     &arguments,
/// );
/// assert_eq!(id, "sub_ba5e89db71c6768d12b05dd8d4d328c7");
/// ```
pub fn derive_subscription_id(
    principal: &str,
    url: &str,
    name: &str,
    arguments: &JsonObject,
) -> String {
    id_of_key(&subscription_key(principal, url, name, arguments))
}

/// The id of an already canonical key text.
fn id_of_key(canonical_key: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(canonical_key.as_bytes());
    let mut id = String::with_capacity(SUBSCRIPTION_ID_PREFIX.len() + 32);
    id.push_str(SUBSCRIPTION_ID_PREFIX);
    for byte in &digest[..16] {
        id.push(char::from(HEX[usize::from(byte >> 4)]));
        id.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vector {
        principal: &'static str,
        url: &'static str,
        name: &'static str,
        /// The arguments as the client sent them (member order and number spelling vary).
        arguments: &'static str,
        canonical_key: &'static str,
        id: &'static str,
    }

    /// All but the last are the subscription-id test data published with Hookdeck's
    /// Outpost (`internal/mcpevents/testdata/subscription_ids.json`, generated there with
    /// Node). The last is the subscription of SEP-3415's delivery example (principal
    /// `user_8f2c`), computed independently with the same derivation.
    const VECTORS: &[Vector] = &[
        Vector {
            principal: "user_8f2c",
            url: "https://receiver.example.com/mcp-events/abc123",
            name: "order.created",
            arguments: r#"{"total":{"$gte":100},"currency":"USD"}"#,
            canonical_key: r#"{"arguments":{"currency":"USD","total":{"$gte":100}},"name":"order.created","principal":"user_8f2c","url":"https://receiver.example.com/mcp-events/abc123"}"#,
            id: "sub_1fa69bec3707ee16223ae5400f92f935",
        },
        Vector {
            principal: "user_8f2c",
            url: "https://receiver.example.com/mcp-events/abc123",
            name: "order.created",
            arguments: r#"{"currency":"USD","total":{"$gte":100}}"#,
            canonical_key: r#"{"arguments":{"currency":"USD","total":{"$gte":100}},"name":"order.created","principal":"user_8f2c","url":"https://receiver.example.com/mcp-events/abc123"}"#,
            id: "sub_1fa69bec3707ee16223ae5400f92f935",
        },
        Vector {
            principal: "user_8f2c",
            url: "https://receiver.example.com/mcp-events/abc123",
            name: "order.created",
            arguments: "{}",
            canonical_key: r#"{"arguments":{},"name":"order.created","principal":"user_8f2c","url":"https://receiver.example.com/mcp-events/abc123"}"#,
            id: "sub_a9706246dc14045d205e78a46261b0e3",
        },
        Vector {
            principal: "user_8f2c",
            url: "https://connectors.api.openai.com/webhook/mcp-events/0123456789abcdef0123456789abcdef",
            name: "incident.created",
            arguments: r#"{"severity":"P1"}"#,
            canonical_key: r#"{"arguments":{"severity":"P1"},"name":"incident.created","principal":"user_8f2c","url":"https://connectors.api.openai.com/webhook/mcp-events/0123456789abcdef0123456789abcdef"}"#,
            id: "sub_c55e0052003255d463cd1f02bb97b637",
        },
        Vector {
            principal: "",
            url: "https://a.example/",
            name: "",
            arguments: "{}",
            canonical_key: r#"{"arguments":{},"name":"","principal":"","url":"https://a.example/"}"#,
            id: "sub_281e96ca35da5138147622b463f25654",
        },
        Vector {
            principal: "user_8f2c",
            url: "https://receiver.example.com/mcp-events/abc123",
            name: "order.created",
            arguments: r#"{"currency":["EUR","USD"]}"#,
            canonical_key: r#"{"arguments":{"currency":["EUR","USD"]},"name":"order.created","principal":"user_8f2c","url":"https://receiver.example.com/mcp-events/abc123"}"#,
            id: "sub_80d4b932b3200c959eced052f7a5b385",
        },
        Vector {
            principal: "auth0|5f7c8ec7c33c6c004bbafe82",
            url: "https://hooks.example.com/x?y=1",
            name: "order.created",
            arguments: r#"{"total":1e21,"min":5e-324}"#,
            canonical_key: r#"{"arguments":{"min":5e-324,"total":1e+21},"name":"order.created","principal":"auth0|5f7c8ec7c33c6c004bbafe82","url":"https://hooks.example.com/x?y=1"}"#,
            id: "sub_3eaa0cc176b746116c37c4abf2b3f31f",
        },
        Vector {
            principal: "pr\u{2028}incipal \"quoted\" \\ \u{e9} \u{1f600}",
            url: "https://xn--bcher-kva.de/p%C3%A9",
            name: "topic.\u{e9}",
            arguments: "{\"k\u{2029}\":\"v\\u0001\",\"n\":-0}",
            canonical_key: "{\"arguments\":{\"k\u{2029}\":\"v\\u0001\",\"n\":0},\"name\":\"topic.\u{e9}\",\"principal\":\"pr\u{2028}incipal \\\"quoted\\\" \\\\ \u{e9} \u{1f600}\",\"url\":\"https://xn--bcher-kva.de/p%C3%A9\"}",
            id: "sub_fd38275d43d18650cc76789b4f44f82f",
        },
        Vector {
            principal: "tenant\u{0}principal",
            url: "http://127.0.0.1:8080/hook",
            name: "a.b",
            arguments: r#"{"x":[1,2,3],"y":{"$lt":0.1}}"#,
            canonical_key: r#"{"arguments":{"x":[1,2,3],"y":{"$lt":0.1}},"name":"a.b","principal":"tenant\u0000principal","url":"http://127.0.0.1:8080/hook"}"#,
            id: "sub_0819a6dae2cdbf88f2f36517ea433d11",
        },
        Vector {
            principal: "user_8f2c",
            url: "https://proxy.example.com/hooks/client123",
            name: "incident.created",
            arguments: r#"{"severity":"P1"}"#,
            canonical_key: r#"{"arguments":{"severity":"P1"},"name":"incident.created","principal":"user_8f2c","url":"https://proxy.example.com/hooks/client123"}"#,
            id: "sub_ba5e89db71c6768d12b05dd8d4d328c7",
        },
    ];

    #[test]
    fn published_vectors() {
        for v in VECTORS {
            let arguments: JsonObject = serde_json::from_str(v.arguments).unwrap();
            let key = subscription_key(v.principal, v.url, v.name, &arguments);
            assert_eq!(key, v.canonical_key, "key of {}", v.id);
            assert_eq!(
                id_of_key(v.canonical_key),
                v.id,
                "hash of {}",
                v.canonical_key
            );
            assert_eq!(
                derive_subscription_id(v.principal, v.url, v.name, &arguments),
                v.id
            );
        }
    }

    #[test]
    fn every_part_of_the_key_matters() {
        let args: JsonObject = serde_json::from_str(r#"{"severity":"P1"}"#).unwrap();
        let base = derive_subscription_id("p", "https://a.example/h", "n", &args);
        assert_ne!(
            base,
            derive_subscription_id("q", "https://a.example/h", "n", &args)
        );
        assert_ne!(
            base,
            derive_subscription_id("p", "https://b.example/h", "n", &args)
        );
        assert_ne!(
            base,
            derive_subscription_id("p", "https://a.example/h", "m", &args)
        );
        assert_ne!(
            base,
            derive_subscription_id("p", "https://a.example/h", "n", &JsonObject::new())
        );
        assert_eq!(base.len(), 4 + 32);
    }
}

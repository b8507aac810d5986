//! Proptest strategies for the model types: hostile-ish strings, unicode, large numbers,
//! optional fields present and absent, every enum shape.
//!
//! Values are what a server or client could legitimately build. Where a field is constrained
//! by the spec in a way no `fit_version` can repair (a URI must be a URI, an `elicitationId`
//! is required in 2025-11-25, `requestId` in every version but one), the strategy respects
//! the constraint; everything a version cannot carry is left to `fit_version` to remove.

pub mod client;
pub mod content;
pub mod features;
pub mod tasks;

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::Value;
use spate_protocol::meta::{self, JsonObject, Meta};
use spate_protocol::{ErrorObject, LoggingLevel, ProgressToken, RequestId};

/// `Some` or `None`, evenly.
pub fn opt<S: Strategy>(s: S) -> impl Strategy<Value = Option<S::Value>> {
    option::of(s)
}

/// Strings a peer might send: plain, arbitrary unicode, empty, and a few nasty fixed ones.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z0-9 _.-]{0,12}",
        2 => any::<String>().prop_map(|s| s.chars().take(24).collect()),
        1 => Just(String::new()),
        1 => prop::sample::select(vec![
            "\u{0}nul",
            "\"quoted\" \\ back\\slash",
            "line\nbreak\r\n\ttab",
            "emoji 🦀 👩‍👩‍👧 family",
            "rtl \u{202e}txet",
            "</script><script>alert(1)</script>",
            "' OR 1=1 --",
            "\u{feff}bom",
            "𝕌𝕟𝕚𝕔𝕠𝕕𝕖 and ünïcödé",
            "{\"json\": true}",
            "\u{7f}\u{1b}[31mred",
        ])
        .prop_map(String::from),
    ]
    .boxed()
}

/// Identifier-like names (tools, prompts, arguments).
pub fn name() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-zA-Z][a-zA-Z0-9_.-]{0,15}",
        1 => text(),
    ]
    .boxed()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Absolute URIs (RFC 3986), including percent-encoded unicode paths.
pub fn uri() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-z0-9/_.-]{0,20}".prop_map(|p| format!("file:///{p}")),
        3 => ("[a-z]{1,10}", vec("[a-zA-Z0-9._~-]{0,8}", 0..3), opt("[a-z]=[a-z0-9]{0,6}"))
            .prop_map(|(host, segs, q)| {
                let mut u = format!("https://{host}.example");
                for s in segs {
                    u.push('/');
                    u.push_str(&s);
                }
                if let Some(q) = q {
                    u.push('?');
                    u.push_str(&q);
                }
                u
            }),
        1 => ("[a-z][a-z0-9+.-]{0,8}", "[a-zA-Z0-9._~-]{1,16}")
            .prop_map(|(scheme, rest)| format!("{scheme}:{rest}")),
        1 => any::<String>().prop_map(|s| {
            let s: String = s.chars().take(12).collect();
            format!("file:///{}", percent_encode(&s))
        }),
    ]
    .boxed()
}

/// RFC 6570 URI templates. (No percent-encoded literals: they are valid RFC 6570, but the
/// `jsonschema` crate's `uri-template` format check rejects them.)
pub fn uri_template() -> BoxedStrategy<String> {
    prop_oneof![
        Just("file:///{path}".to_owned()),
        Just("https://api.example/users/{id}/items{?q,page}".to_owned()),
        Just("db://{table}/{+rest}".to_owned()),
        "[a-z0-9/_.-]{0,20}".prop_map(|p| format!("file:///{p}")),
        ("[a-z]{1,10}", "[a-zA-Z0-9._~-]{0,8}")
            .prop_map(|(host, path)| format!("https://{host}.example/{path}{{?page}}")),
    ]
    .boxed()
}

/// Base64 of a few arbitrary bytes.
pub fn base64() -> BoxedStrategy<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    vec(any::<u8>(), 0..24)
        .prop_map(|bytes| {
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let b = [
                    chunk[0],
                    *chunk.get(1).unwrap_or(&0),
                    *chunk.get(2).unwrap_or(&0),
                ];
                let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
                for i in 0..4 {
                    if i <= chunk.len() {
                        out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                    } else {
                        out.push('=');
                    }
                }
            }
            out
        })
        .boxed()
}

/// ISO 8601 timestamps.
pub fn timestamp() -> BoxedStrategy<String> {
    (2000u32..2100, 1u32..13, 1u32..29, 0u32..24, 0u32..60)
        .prop_map(|(y, mo, d, h, mi)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00Z"))
        .boxed()
}

/// MIME types.
pub fn mime() -> BoxedStrategy<String> {
    prop_oneof![
        Just("text/plain".to_owned()),
        Just("image/png".to_owned()),
        Just("audio/wav".to_owned()),
        Just("application/json".to_owned()),
        "[a-z]{1,8}/[a-z0-9.+-]{1,12}",
    ]
    .boxed()
}

/// Integers from small to the extremes.
pub fn big_u64() -> BoxedStrategy<u64> {
    prop_oneof![0u64..1000, Just(u64::MAX), any::<u64>()].boxed()
}

/// Integers up to 2^53 - 1 (schemas that bound integers to the exact f64 range).
pub fn safe_u64() -> BoxedStrategy<u64> {
    prop_oneof![
        0u64..100_000,
        Just(9_007_199_254_740_991u64),
        0u64..9_007_199_254_740_991
    ]
    .boxed()
}

/// Finite floats, whole or not, small or huge.
pub fn number() -> BoxedStrategy<f64> {
    prop_oneof![
        (-1000i32..1000).prop_map(f64::from),
        -1e6f64..1e6,
        Just(0.5),
        Just(1e300),
        Just(-0.0),
    ]
    .boxed()
}

/// Floats in `[0, 1]` (priorities).
pub fn unit() -> BoxedStrategy<f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0f64..=1.0].boxed()
}

/// Any JSON, including `null` and fractions.
pub fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(name(), inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// JSON the 2026 schema calls `JSONValue`: no `null`, no fractions.
pub fn plain_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            btree_map(name(), inner, 0..3).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// An object of [`plain_json`] values (`JSONObject`).
pub fn plain_object() -> BoxedStrategy<JsonObject> {
    btree_map(name(), plain_json(), 0..3)
        .prop_map(|m| m.into_iter().collect())
        .boxed()
}

/// An object of [`any_json`] values.
pub fn any_object() -> BoxedStrategy<JsonObject> {
    btree_map(name(), any_json(), 0..4)
        .prop_map(|m| m.into_iter().collect())
        .boxed()
}

/// Valid, non-reserved `_meta` keys.
pub fn meta_key() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-z][a-zA-Z0-9]{0,8}",
        "(com|org)\\.[a-z]{1,6}/[a-z][a-z0-9_.-]{0,6}[a-z0-9]",
    ]
    .boxed()
}

/// A free-form `_meta` with a few extension keys.
pub fn meta_object() -> BoxedStrategy<Meta> {
    btree_map(meta_key(), plain_json(), 0..3)
        .prop_map(|m| m.into_iter().collect())
        .boxed()
}

pub fn request_id() -> BoxedStrategy<RequestId> {
    prop_oneof![
        any::<i64>().prop_map(RequestId::Number),
        text().prop_map(RequestId::String),
    ]
    .boxed()
}

pub fn progress_token() -> BoxedStrategy<ProgressToken> {
    request_id().prop_map(ProgressToken::from).boxed()
}

pub fn logging_level() -> BoxedStrategy<LoggingLevel> {
    prop::sample::select(LoggingLevel::ALL.to_vec()).boxed()
}

/// The reserved keys a message of some kind may carry in one version or another.
#[derive(Debug, Clone, Copy)]
pub enum MetaKind {
    /// A request: `progressToken`; 2026 `clientInfo`, `logLevel`.
    Request,
    /// A result: 2026 `serverInfo`; 2025-11-25 `related-task`.
    Result,
    /// A notification: 2026 `subscriptionId`.
    Notification,
    /// Anything else: extension keys only.
    Plain,
}

/// `_meta` for a message of `kind`: absent, or extension keys plus reserved ones.
pub fn meta(kind: MetaKind) -> BoxedStrategy<Option<Meta>> {
    let reserved: BoxedStrategy<Vec<(String, Value)>> = match kind {
        MetaKind::Request => (
            opt(progress_token()),
            opt(features::implementation()),
            opt(logging_level()),
        )
            .prop_map(|(token, info, level)| {
                let mut out = Vec::new();
                if let Some(t) = token {
                    out.push((meta::PROGRESS_TOKEN.to_owned(), Value::from(t)));
                }
                if let Some(i) = info {
                    out.push((
                        meta::CLIENT_INFO_KEY.to_owned(),
                        serde_json::to_value(i).unwrap(),
                    ));
                }
                if let Some(l) = level {
                    out.push((
                        meta::LOG_LEVEL_KEY.to_owned(),
                        serde_json::to_value(l).unwrap(),
                    ));
                }
                out
            })
            .boxed(),
        MetaKind::Result => (opt(features::implementation()), opt(text()))
            .prop_map(|(info, task)| {
                let mut out = Vec::new();
                if let Some(i) = info {
                    out.push((
                        meta::SERVER_INFO_KEY.to_owned(),
                        serde_json::to_value(i).unwrap(),
                    ));
                }
                if let Some(t) = task {
                    out.push((
                        meta::RELATED_TASK_KEY.to_owned(),
                        serde_json::json!({"taskId": t}),
                    ));
                }
                out
            })
            .boxed(),
        MetaKind::Notification => opt(request_id())
            .prop_map(|id| {
                id.map(|id| {
                    vec![(
                        meta::SUBSCRIPTION_ID_KEY.to_owned(),
                        serde_json::to_value(id).unwrap(),
                    )]
                })
                .unwrap_or_default()
            })
            .boxed(),
        MetaKind::Plain => Just(Vec::new()).boxed(),
    };
    opt((meta_object(), reserved).prop_map(|(mut m, reserved)| {
        for (k, v) in reserved {
            m.insert(k, v);
        }
        m
    }))
    .boxed()
}

/// A JSON-RPC error object.
pub fn error_object() -> BoxedStrategy<ErrorObject> {
    (any::<i64>(), text(), opt(any_json()))
        .prop_map(|(code, message, data)| ErrorObject {
            code,
            message,
            data,
        })
        .boxed()
}

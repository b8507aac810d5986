//! Sealed `requestState` for multi-round-trip requests (2026 MRTR).
//!
//! What the server keeps between rounds travels with the client, so it must be treated as
//! hostile input (SEP-2322; Multi Round-Trip Requests › Security Considerations,
//! <https://modelcontextprotocol.io/specification/2026-07-28/basic/patterns/mrtr>). A token is
//!
//! ```text
//! v1.<key id>.<base64url(JSON payload)>.<base64url(HMAC-SHA256 of everything before it)>
//! ```
//!
//! and the payload binds the method, a digest of the request's parameters (without
//! `inputResponses`, `requestState` and `_meta`, which change between rounds) and an expiry.
//! Any instance holding the key verifies it, so a retry may reach another process; keys
//! rotate by adding a new first key (it signs) and keeping the old ones (they still verify)
//! until their tokens have expired. Tokens are not single-use: a replay within the expiry
//! re-runs the same round with the same answers, which the handler sees as a retry.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use spate_protocol::ErrorObject;

type HmacSha256 = Hmac<Sha256>;

/// The longest `requestState` accepted, in bytes.
pub const MAX_REQUEST_STATE: usize = 512 * 1024;
/// How long a sealed state is accepted by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(10 * 60);
/// The shortest secret accepted, in bytes.
const MIN_SECRET: usize = 16;

/// The keys that seal and open `requestState`: the first one signs, every one verifies.
#[derive(Clone)]
pub struct RequestStateKeys {
    keys: Vec<(String, Vec<u8>)>,
    ttl: Duration,
}

impl std::fmt::Debug for RequestStateKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("RequestStateKeys")
            .field("key_ids", &ids)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Default for RequestStateKeys {
    /// One random key for this process: right for a single instance; instances that share
    /// clients need shared keys ([`RequestStateKeys::parse`]).
    fn default() -> Self {
        let mut secret = vec![0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        Self {
            keys: vec![("local".to_owned(), secret)],
            ttl: DEFAULT_TTL,
        }
    }
}

impl RequestStateKeys {
    /// A key ring from `(id, secret)` pairs, the signing key first. Ids are 1–32 characters
    /// of `[A-Za-z0-9_-]`; secrets at least 16 bytes.
    pub fn new(keys: Vec<(String, Vec<u8>)>) -> Result<Self, String> {
        if keys.is_empty() {
            return Err("at least one requestState key is needed".into());
        }
        for (id, secret) in &keys {
            let id_ok = (1..=32).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !id_ok {
                return Err(format!(
                    "requestState key id {id:?} must be 1-32 of [A-Za-z0-9_-]"
                ));
            }
            if secret.len() < MIN_SECRET {
                return Err(format!(
                    "requestState key {id:?} is {} bytes; at least {MIN_SECRET} are needed",
                    secret.len()
                ));
            }
        }
        Ok(Self {
            keys,
            ttl: DEFAULT_TTL,
        })
    }

    /// Parses `id:base64secret[,id:base64secret…]` (the `SPATE_REQUEST_STATE_KEYS` format).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let keys = spec
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| {
                let (id, secret) = k
                    .split_once(':')
                    .ok_or_else(|| format!("requestState key {k:?} is not id:base64secret"))?;
                let secret = STANDARD
                    .decode(secret)
                    .map_err(|e| format!("requestState key {id:?}: bad base64: {e}"))?;
                Ok((id.to_owned(), secret))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Self::new(keys)
    }

    /// The same keys with another expiry for new tokens (and for accepting them).
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    pub(crate) fn seal(&self, binding: &Binding, contents: &Sealed) -> String {
        let (id, secret) = &self.keys[0];
        let payload = Payload {
            method: binding.method.clone(),
            digest: binding.digest.clone(),
            expires_ms: now_ms().saturating_add(millis(self.ttl)),
            answers: contents.answers.clone(),
            state: contents.state.clone(),
        };
        let json = serde_json::to_vec(&payload).unwrap_or_default();
        let signed = format!("v1.{id}.{}", URL_SAFE_NO_PAD.encode(json));
        let mac = URL_SAFE_NO_PAD.encode(mac_of(secret, signed.as_bytes()).finalize().into_bytes());
        format!("{signed}.{mac}")
    }

    /// Verifies a token for this request; any failure is `-32602`, saying only why in
    /// general terms (never what was expected).
    pub(crate) fn open(&self, binding: &Binding, token: &str) -> Result<Sealed, ErrorObject> {
        let refuse = |why: &str| {
            ErrorObject::invalid_params(format!("requestState integrity check failed: {why}"))
        };
        if token.len() > MAX_REQUEST_STATE {
            return Err(refuse("too long"));
        }
        let (signed, mac) = token.rsplit_once('.').ok_or_else(|| refuse("malformed"))?;
        let mut parts = signed.splitn(3, '.');
        let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(refuse("malformed"));
        };
        let secret = self
            .keys
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, s)| s)
            .ok_or_else(|| refuse("unknown key"))?;
        let mac = URL_SAFE_NO_PAD
            .decode(mac)
            .map_err(|_| refuse("malformed"))?;
        mac_of(secret, signed.as_bytes())
            .verify_slice(&mac)
            .map_err(|_| refuse("bad signature"))?;
        let json = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| refuse("malformed"))?;
        let payload: Payload = serde_json::from_slice(&json).map_err(|_| refuse("malformed"))?;
        if payload.expires_ms < now_ms() || payload.expires_ms > now_ms() + millis(self.ttl) {
            return Err(refuse("expired"));
        }
        if payload.method != binding.method || payload.digest != binding.digest {
            return Err(refuse("issued for another request"));
        }
        Ok(Sealed {
            answers: payload.answers,
            state: payload.state,
        })
    }
}

fn mac_of(secret: &[u8], data: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts any key");
    mac.update(data);
    mac
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// What a token is issued for: the method and the request's parameters that stay the same
/// across rounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Binding {
    method: String,
    digest: String,
}

impl Binding {
    /// The binding of `method` with `params` (a canonical digest: key order does not matter).
    pub(crate) fn of(method: &str, params: Option<&RawValue>) -> Self {
        let mut value: Value = params
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            for volatile in ["inputResponses", "requestState", "_meta"] {
                map.remove(volatile);
            }
        }
        let mut canonical = String::new();
        write_canonical(&value, &mut canonical);
        let digest = Sha256::digest(canonical.as_bytes());
        Self {
            method: method.to_owned(),
            digest: digest.iter().fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            }),
        }
    }
}

/// JSON with object keys sorted at every level.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// What a token carries between rounds.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sealed {
    /// Answers of earlier rounds the handler used, by input key.
    pub(crate) answers: BTreeMap<String, Value>,
    /// State the handler chose to keep ([`crate::server::Context::set_request_state`]).
    pub(crate) state: Option<Value>,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    #[serde(rename = "m")]
    method: String,
    #[serde(rename = "d")]
    digest: String,
    #[serde(rename = "e")]
    expires_ms: u64,
    #[serde(rename = "a", default)]
    answers: BTreeMap<String, Value>,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    state: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(v: Value) -> Box<RawValue> {
        serde_json::value::to_raw_value(&v).unwrap()
    }

    fn sample() -> Sealed {
        Sealed {
            answers: BTreeMap::from([("k".to_owned(), json!({"action": "accept"}))]),
            state: Some(json!({"step": 2})),
        }
    }

    #[test]
    fn a_sealed_state_opens_for_the_same_request_only() {
        let keys = RequestStateKeys::default();
        let params = raw(json!({"name": "t", "arguments": {"a": 1, "b": [1, 2]}}));
        let binding = Binding::of("tools/call", Some(&params));
        let token = keys.seal(&binding, &sample());
        assert_eq!(keys.open(&binding, &token).unwrap(), sample());

        // Key order, _meta, inputResponses and the state itself do not change the binding.
        let same = raw(json!({"arguments": {"b": [1, 2], "a": 1}, "name": "t",
            "_meta": {"x": 1}, "inputResponses": {"k": {}}, "requestState": "zzz"}));
        assert!(
            keys.open(&Binding::of("tools/call", Some(&same)), &token)
                .is_ok()
        );

        // Other arguments, another tool or another method do.
        for other in [
            Binding::of(
                "tools/call",
                Some(&raw(
                    json!({"name": "t", "arguments": {"a": 2, "b": [1, 2]}}),
                )),
            ),
            Binding::of(
                "tools/call",
                Some(&raw(
                    json!({"name": "u", "arguments": {"a": 1, "b": [1, 2]}}),
                )),
            ),
            Binding::of("prompts/get", Some(&params)),
        ] {
            let e = keys.open(&other, &token).unwrap_err();
            assert_eq!(e.code, spate_protocol::error_code::INVALID_PARAMS);
        }
    }

    #[test]
    fn tampering_foreign_keys_and_expiry_are_refused() {
        let keys = RequestStateKeys::default();
        let binding = Binding::of("tools/call", None);
        let token = keys.seal(&binding, &sample());
        let mut hostile = vec![
            format!("{token}-TAMPERED"),
            token.replacen("v1.", "v2.", 1),
            token.replacen("local", "other", 1),
            String::new(),
            "v1".into(),
            "v1.local..".into(),
            "....".into(),
            "x".repeat(MAX_REQUEST_STATE + 1),
        ];
        // Flip one character of the payload: the signature no longer matches.
        let mut flipped: Vec<char> = token.chars().collect();
        let at = token.find("local.").unwrap() + 8;
        flipped[at] = if flipped[at] == 'A' { 'B' } else { 'A' };
        hostile.push(flipped.into_iter().collect());
        // Another server's key, same id.
        hostile.push(RequestStateKeys::default().seal(&binding, &sample()));
        for bad in &hostile {
            assert!(keys.open(&binding, bad).is_err(), "accepted {bad:.60}");
        }
        let expired = keys.clone().with_ttl(Duration::ZERO);
        let token = expired.seal(&binding, &sample());
        std::thread::sleep(Duration::from_millis(5));
        assert!(expired.open(&binding, &token).is_err());
    }

    #[test]
    fn rotated_keys_still_open_old_tokens() {
        let old = RequestStateKeys::new(vec![("k1".into(), vec![1; 32])]).unwrap();
        let rotated =
            RequestStateKeys::new(vec![("k2".into(), vec![2; 32]), ("k1".into(), vec![1; 32])])
                .unwrap();
        let binding = Binding::of("resources/read", None);
        let token = old.seal(&binding, &sample());
        assert!(rotated.open(&binding, &token).is_ok());
        assert!(rotated.seal(&binding, &sample()).starts_with("v1.k2."));
        assert!(
            old.open(&binding, &rotated.seal(&binding, &sample()))
                .is_err()
        );
    }

    #[test]
    fn key_rings_are_checked_and_parsed() {
        assert!(RequestStateKeys::new(vec![]).is_err());
        assert!(RequestStateKeys::new(vec![("a b".into(), vec![0; 32])]).is_err());
        assert!(RequestStateKeys::new(vec![("a".into(), vec![0; 8])]).is_err());
        let secret = STANDARD.encode([7u8; 24]);
        let ring = RequestStateKeys::parse(&format!("new:{secret}, old:{secret}")).unwrap();
        assert_eq!(format!("{ring:?}").matches("new").count(), 1);
        assert!(
            !format!("{ring:?}").contains(&secret),
            "secrets never print"
        );
        assert!(RequestStateKeys::parse("nocolon").is_err());
        assert!(RequestStateKeys::parse("a:!!!").is_err());
    }
}

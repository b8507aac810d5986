//! Signing and verifying webhook deliveries per the Standard Webhooks specification
//! (<https://www.standardwebhooks.com/>), the profile SEP-3415 ("Webhook Delivery") uses.
//!
//! The signed bytes are `<webhook-id>.<webhook-timestamp>.<body>`: the id, the timestamp
//! exactly as it appears in its header, and the raw body bytes as sent. The signature is
//! HMAC-SHA256 keyed with the decoded secret, written `v1,<base64>`; the
//! `webhook-signature` header may hold several, separated by spaces (a server signs with the
//! old and the new secret while a rotation settles).
//!
//! A receiver verifies over the raw bytes before parsing anything (re-serialized JSON
//! would not match), accepts when any `v1` signature matches any secret it holds (compared
//! in constant time), ignores other versions (such as an `v1a` server-identity signature),
//! and refuses timestamps more than five minutes away from its clock in either direction.
//!
//! Nothing here panics on hostile input: empty or garbage headers, bad base64 and oversized
//! values end in a [`SignatureError`]. Bounding the body's size is the transport's job.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;
use spate_protocol::events::webhook::{WEBHOOK_ID, WEBHOOK_SIGNATURE, WEBHOOK_TIMESTAMP};
use subtle::ConstantTimeEq as _;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of a secret's text form.
pub const SECRET_PREFIX: &str = "whsec_";
/// The fewest key bytes a secret may have (SEP-3415).
pub const MIN_SECRET_BYTES: usize = 24;
/// The most key bytes a secret may have (SEP-3415).
pub const MAX_SECRET_BYTES: usize = 64;
/// The key size [`WebhookSecret::generate`] uses.
pub const GENERATED_SECRET_BYTES: usize = 32;
/// How far a timestamp may be from the receiver's clock, either way, by default.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// The signature scheme this module writes and checks.
pub const SIGNATURE_VERSION: &str = "v1";

/// The length of an HMAC-SHA256 tag.
const TAG_BYTES: usize = 32;

/// Standard alphabet. Written padded; read with or without padding, but when padding is
/// present it must be right, and no whitespace, line break or URL-safe character passes.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// The text does not start with `whsec_`.
    #[error("a webhook secret must start with \"whsec_\"")]
    MissingPrefix,
    /// What follows the prefix is not standard base64.
    #[error("a webhook secret must be \"whsec_\" followed by standard base64")]
    InvalidBase64,
    /// The key is too short or too long.
    #[error(
        "a webhook secret must decode to {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes, not {bytes}"
    )]
    InvalidLength {
        /// How many bytes it has.
        bytes: usize,
    },
}

/// A signing key: the bytes a `whsec_…` secret decodes to. Its `Debug` output hides them
/// and its equality is constant-time.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl WebhookSecret {
    /// Reads a secret in its text form: `whsec_` and the standard base64 (padded or not) of
    /// 24 to 64 bytes, as SEP-3415 requires of `delivery.secret`.
    ///
    /// ```
    /// use spate::events::webhook_signature::WebhookSecret;
    /// let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    /// assert_eq!(secret.len(), 24);
    /// assert!(WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SecretError::MissingPrefix)?;
        let key = BASE64
            .decode(encoded)
            .map_err(|_| SecretError::InvalidBase64)?;
        Self::from_bytes(key)
    }

    /// A secret from raw key bytes (24 to 64 of them).
    pub fn from_bytes(key: impl Into<Vec<u8>>) -> Result<Self, SecretError> {
        let key = key.into();
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&key.len()) {
            return Err(SecretError::InvalidLength { bytes: key.len() });
        }
        Ok(Self { key })
    }

    /// A fresh secret of [`GENERATED_SECRET_BYTES`] random bytes from the operating
    /// system's generator, as a client should pick one.
    pub fn generate() -> Self {
        let mut key = vec![0u8; GENERATED_SECRET_BYTES];
        rand::rng().fill_bytes(&mut key);
        Self { key }
    }

    /// The text form, `whsec_` and padded standard base64: what a client sends as
    /// `delivery.secret`.
    pub fn to_text(&self) -> String {
        format!("{SECRET_PREFIX}{}", BASE64.encode(&self.key))
    }

    /// The key length in bytes.
    pub fn len(&self) -> usize {
        self.key.len()
    }

    /// Always `false`: a secret has at least [`MIN_SECRET_BYTES`] bytes.
    pub fn is_empty(&self) -> bool {
        self.key.is_empty()
    }

    /// The `v1,<base64>` signature of one message.
    ///
    /// `timestamp` is the Unix time in seconds that goes into `webhook-timestamp`; each retry
    /// of a message gets a new one, and so a new signature.
    pub fn sign(&self, message_id: &str, timestamp: u64, body: &[u8]) -> String {
        let tag = self.tag(message_id, &timestamp.to_string(), body);
        format!("{SIGNATURE_VERSION},{}", BASE64.encode(tag))
    }

    /// HMAC-SHA256 over `id.timestamp.body`, without building the concatenation.
    fn tag(&self, message_id: &str, timestamp: &str, body: &[u8]) -> [u8; TAG_BYTES] {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.key).expect("HMAC accepts keys of any size");
        mac.update(message_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().into()
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookSecret(<{} bytes, redacted>)", self.key.len())
    }
}

impl PartialEq for WebhookSecret {
    fn eq(&self, other: &Self) -> bool {
        self.key.ct_eq(&other.key).into()
    }
}

impl Eq for WebhookSecret {}

/// The `webhook-signature` value for one message signed with every secret given, in the
/// order given (the current secret first, then the one being retired).
///
/// ```
/// use spate::events::webhook_signature::{WebhookSecret, signature_header};
/// let new = WebhookSecret::generate();
/// let old = WebhookSecret::generate();
/// let header = signature_header([&new, &old], "evt_1", 1739980800, b"{}");
/// assert_eq!(header.split(' ').count(), 2);
/// ```
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a WebhookSecret>,
    message_id: &str,
    timestamp: u64,
    body: &[u8],
) -> String {
    let signatures: Vec<String> = secrets
        .into_iter()
        .map(|secret| secret.sign(message_id, timestamp, body))
        .collect();
    signatures.join(" ")
}

/// The three Standard Webhooks headers of a received delivery, as they arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookHeaders<'a> {
    /// `webhook-id`.
    pub id: &'a str,
    /// `webhook-timestamp`.
    pub timestamp: &'a str,
    /// `webhook-signature`.
    pub signature: &'a str,
}

/// Why a delivery failed verification. A receiver answers all of them the same way
/// (`401`); the variants are for its logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// A header is absent or empty (its name is given).
    #[error("the {0} header is missing or empty")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not a decimal count of seconds.
    #[error("webhook-timestamp is not a whole number of seconds")]
    InvalidTimestamp,
    /// The timestamp is older than the tolerance allows (a replay, or a very late retry).
    #[error("webhook-timestamp is {age_secs} s old, more than the {tolerance_secs} s allowed")]
    TimestampTooOld {
        /// How old it is, in seconds.
        age_secs: u64,
        /// The tolerance, in seconds.
        tolerance_secs: u64,
    },
    /// The timestamp is further in the future than the tolerance allows.
    #[error(
        "webhook-timestamp is {ahead_secs} s in the future, more than the {tolerance_secs} s allowed"
    )]
    TimestampInFuture {
        /// How far ahead it is, in seconds.
        ahead_secs: u64,
        /// The tolerance, in seconds.
        tolerance_secs: u64,
    },
    /// `webhook-signature` holds no `v1,…` entry.
    #[error("webhook-signature holds no v1 signature")]
    NoV1Signature,
    /// No `v1` signature matches any of the secrets.
    #[error("no webhook signature matches")]
    Mismatch,
}

/// Checks the signature and the freshness of received deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureVerifier {
    tolerance: Duration,
}

impl Default for SignatureVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl SignatureVerifier {
    /// A verifier with the default five-minute tolerance.
    pub const fn new() -> Self {
        Self {
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    /// The same verifier with another tolerance (applied both ways).
    pub const fn with_tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The tolerance.
    pub const fn tolerance(&self) -> Duration {
        self.tolerance
    }

    /// Verifies one delivery against the clock.
    pub fn verify<'a>(
        &self,
        secrets: impl IntoIterator<Item = &'a WebhookSecret>,
        headers: &WebhookHeaders<'_>,
        body: &[u8],
    ) -> Result<usize, SignatureError> {
        self.verify_at(secrets, headers, body, SystemTime::now())
    }

    /// Verifies one delivery as of `now`: the headers are present, the timestamp is within
    /// the tolerance of `now`, and a `v1` signature matches one of `secrets` over the raw
    /// `body`. Answers the position (in `secrets`) of the first secret that matches, so a
    /// receiver that tried several can tell which one the sender holds.
    pub fn verify_at<'a>(
        &self,
        secrets: impl IntoIterator<Item = &'a WebhookSecret>,
        headers: &WebhookHeaders<'_>,
        body: &[u8],
        now: SystemTime,
    ) -> Result<usize, SignatureError> {
        if headers.id.is_empty() {
            return Err(SignatureError::MissingHeader(WEBHOOK_ID));
        }
        if headers.timestamp.is_empty() {
            return Err(SignatureError::MissingHeader(WEBHOOK_TIMESTAMP));
        }
        if headers.signature.trim_ascii().is_empty() {
            return Err(SignatureError::MissingHeader(WEBHOOK_SIGNATURE));
        }
        let sent = parse_timestamp(headers.timestamp)?;
        self.check_freshness(sent, now)?;

        let Some(candidates) = v1_signatures(headers.signature) else {
            return Err(SignatureError::NoV1Signature);
        };
        for (index, secret) in secrets.into_iter().enumerate() {
            let expected = secret.tag(headers.id, headers.timestamp, body);
            let mut matched = subtle::Choice::from(0u8);
            for candidate in &candidates {
                matched |= candidate[..].ct_eq(&expected[..]);
            }
            if bool::from(matched) {
                return Ok(index);
            }
        }
        Err(SignatureError::Mismatch)
    }

    fn check_freshness(&self, sent: u64, now: SystemTime) -> Result<(), SignatureError> {
        let now = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let tolerance_secs = self.tolerance.as_secs();
        if now > sent {
            let age_secs = now - sent;
            if age_secs > tolerance_secs {
                return Err(SignatureError::TimestampTooOld {
                    age_secs,
                    tolerance_secs,
                });
            }
        } else {
            let ahead_secs = sent - now;
            if ahead_secs > tolerance_secs {
                return Err(SignatureError::TimestampInFuture {
                    ahead_secs,
                    tolerance_secs,
                });
            }
        }
        Ok(())
    }
}

/// Reads `webhook-timestamp`: ASCII digits only (no sign, no space, no fraction).
fn parse_timestamp(text: &str) -> Result<u64, SignatureError> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::InvalidTimestamp);
    }
    text.parse().map_err(|_| SignatureError::InvalidTimestamp)
}

/// The decoded `v1` entries of a `webhook-signature` value; `None` when it has no `v1`
/// entry at all. Entries of other versions are ignored; `v1` entries whose base64 is
/// malformed or of the wrong length are dropped, since they can never match.
fn v1_signatures(header: &str) -> Option<Vec<[u8; TAG_BYTES]>> {
    let mut any_v1 = false;
    let mut tags = Vec::new();
    for entry in header.split_ascii_whitespace() {
        let Some((SIGNATURE_VERSION, encoded)) = entry.split_once(',') else {
            continue;
        };
        any_v1 = true;
        if let Some(tag) = decode_tag(encoded) {
            tags.push(tag);
        }
    }
    any_v1.then_some(tags)
}

/// One signature's base64, if it decodes to exactly one HMAC-SHA256 tag.
fn decode_tag(encoded: &str) -> Option<[u8; TAG_BYTES]> {
    // 44 characters padded, 43 without; anything much longer is not a tag (and is not
    // decoded at all).
    if encoded.len() > 48 {
        return None;
    }
    // Room for the longest text let through: 48 characters decode to at most 36 bytes.
    let mut scratch = [0u8; 36];
    let written = BASE64.decode_slice(encoded, &mut scratch).ok()?;
    if written != TAG_BYTES {
        return None;
    }
    let mut tag = [0u8; TAG_BYTES];
    tag.copy_from_slice(&scratch[..TAG_BYTES]);
    Some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn secret(text: &str) -> WebhookSecret {
        WebhookSecret::parse(text).unwrap()
    }

    /// A verification of `signature` over `body` at `now` with `secrets`.
    fn check(
        secrets: &[&WebhookSecret],
        id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now: u64,
    ) -> Result<usize, SignatureError> {
        let headers = WebhookHeaders {
            id,
            timestamp,
            signature,
        };
        SignatureVerifier::new().verify_at(secrets.iter().copied(), &headers, body, at(now))
    }

    // The reference vector of the Standard Webhooks libraries' own tests.
    const REF_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const REF_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const REF_TIMESTAMP: u64 = 1_614_265_330;
    const REF_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const REF_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    // Vectors for SEP-3415's delivery example, computed independently (Python's `hmac`,
    // cross-checked with `openssl dgst -hmac`): a 32-byte "new" key (0x00…0x1f), a 24-byte
    // "old" key (0x20…0x37), and the example's event body B1, byte for byte.
    //
    //   V1 event, new key      V2 same, old key      V3 both (rotation)
    //   V4 retry, 30 s later   V5 B1 re-spaced       V6 verification   V7 terminated
    const NEW: &str = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const OLD: &str = "whsec_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3";
    const B1: &[u8] = br#"{"eventId":"evt_789","name":"incident.created","timestamp":"2026-02-19T16:00:00Z","data":{"incidentId":"INC-1234","severity":"P1"},"cursor":"cursor_xyz"}"#;
    const T: u64 = 1_739_980_800;
    const V1: &str = "v1,u5ioNyT4/kV1AuuMANtQq5P6hVmteAEuqaMjCNrDpc4=";
    const V2: &str = "v1,fU+5EFMUIsKHjSrnE9d/zhaW7f14NXxB5u5xTQMOktY=";
    const V4: &str = "v1,nG6YiUM4YNP940Ywl4z0dusFMkD3oyp/V7HLlTFFRZ8=";
    const V5: &str = "v1,7Ay464nZDhD2LgESY+4WNloREbv1SURsBd47CLNzz0o=";
    const V6: &str = "v1,qSVYu3UYY8C6iLPZ+tJ7hZzchW9gFaHf8X2swU75NUM=";
    const V7: &str = "v1,MyN5swowRHEPCdF7U3zLY5ZF7um7phr7ktxzLfNiZI8=";
    const V6_ID: &str = "msg_verification_0123456789abcdef01234567";
    const V6_BODY: &[u8] =
        br#"{"type":"verification","challenge":"Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx"}"#;
    const V7_ID: &str = "msg_terminated_0123456789abcdef01234567";
    const V7_BODY: &[u8] = br#"{"type":"terminated","error":{"code":-32024,"message":"Forbidden","data":{"reason":"Access revoked"}}}"#;

    /// B1 with every `,"` replaced by `, "`: the same JSON, other bytes.
    fn b5() -> Vec<u8> {
        String::from_utf8(B1.to_vec())
            .unwrap()
            .replace(",\"", ", \"")
            .into_bytes()
    }

    #[test]
    fn reference_vector_signs_and_verifies() {
        let key = secret(REF_SECRET);
        assert_eq!(key.len(), 24);
        assert_eq!(key.sign(REF_ID, REF_TIMESTAMP, REF_BODY), REF_SIGNATURE);
        let ts = REF_TIMESTAMP.to_string();
        assert_eq!(
            check(&[&key], REF_ID, &ts, REF_SIGNATURE, REF_BODY, REF_TIMESTAMP),
            Ok(0)
        );
    }

    #[test]
    fn sep_vectors_sign_to_the_expected_headers() {
        let (new, old) = (secret(NEW), secret(OLD));
        assert_eq!((new.len(), old.len()), (32, 24));
        assert_eq!(new.sign("evt_789", T, B1), V1, "V1");
        assert_eq!(old.sign("evt_789", T, B1), V2, "V2");
        assert_eq!(
            signature_header([&new, &old], "evt_789", T, B1),
            format!("{V1} {V2}"),
            "V3"
        );
        assert_eq!(new.sign("evt_789", T + 30, B1), V4, "V4");
        assert_eq!(new.sign("evt_789", T, &b5()), V5, "V5");
        assert_ne!(V5, V1);
        assert_eq!(new.sign(V6_ID, T, V6_BODY), V6, "V6");
        assert_eq!(new.sign(V7_ID, T, V7_BODY), V7, "V7");
    }

    #[test]
    fn sep_vectors_verify() {
        let (new, old) = (secret(NEW), secret(OLD));
        let ts = T.to_string();
        assert_eq!(check(&[&new], "evt_789", &ts, V1, B1, T), Ok(0), "V1");
        assert_eq!(check(&[&old], "evt_789", &ts, V2, B1, T), Ok(0), "V2");
        // V3: a dual-signed header verifies with either secret, in either order, and
        // tells which secret matched.
        let dual = format!("{V1} {V2}");
        let swapped = format!("{V2} {V1}");
        for header in [&dual, &swapped] {
            assert_eq!(check(&[&new], "evt_789", &ts, header, B1, T), Ok(0), "V3");
            assert_eq!(check(&[&old], "evt_789", &ts, header, B1, T), Ok(0), "V3");
        }
        let unrelated = WebhookSecret::generate();
        assert_eq!(
            check(&[&unrelated, &old], "evt_789", &ts, &dual, B1, T),
            Ok(1)
        );
        let ts4 = (T + 30).to_string();
        assert_eq!(check(&[&new], "evt_789", &ts4, V4, B1, T + 30), Ok(0), "V4");
        assert_eq!(check(&[&new], "evt_789", &ts, V5, &b5(), T), Ok(0), "V5");
        assert_eq!(check(&[&new], V6_ID, &ts, V6, V6_BODY, T), Ok(0), "V6");
        assert_eq!(check(&[&new], V7_ID, &ts, V7, V7_BODY, T), Ok(0), "V7");
    }

    #[test]
    fn anything_changed_is_a_mismatch() {
        let (new, old) = (secret(NEW), secret(OLD));
        let ts = T.to_string();
        let mismatch = Err(SignatureError::Mismatch);
        // A flipped body byte, and the re-serialized body (V5 bytes against V1's signature).
        let mut flipped = B1.to_vec();
        flipped[10] ^= 0x01;
        assert_eq!(check(&[&new], "evt_789", &ts, V1, &flipped, T), mismatch);
        assert_eq!(check(&[&new], "evt_789", &ts, V1, &b5(), T), mismatch);
        // A flipped signature byte.
        let mut tag = BASE64.decode(&V1[3..]).unwrap();
        tag[0] ^= 0x80;
        let forged = format!("v1,{}", BASE64.encode(&tag));
        assert_eq!(check(&[&new], "evt_789", &ts, &forged, B1, T), mismatch);
        // The wrong secret, or none.
        assert_eq!(check(&[&old], "evt_789", &ts, V1, B1, T), mismatch);
        assert_eq!(check(&[], "evt_789", &ts, V1, B1, T), mismatch);
        // Another id, or another timestamp in the header than was signed.
        assert_eq!(check(&[&new], "evt_790", &ts, V1, B1, T), mismatch);
        let ts4 = (T + 30).to_string();
        assert_eq!(check(&[&new], "evt_789", &ts4, V1, B1, T), mismatch);
        // The timestamp is signed as written: a leading zero is another message.
        assert_eq!(
            check(&[&new], "evt_789", &format!("0{T}"), V1, B1, T),
            mismatch
        );
        // The reference vector under a different secret.
        let ts = REF_TIMESTAMP.to_string();
        assert_eq!(
            check(&[&new], REF_ID, &ts, REF_SIGNATURE, REF_BODY, REF_TIMESTAMP),
            mismatch
        );
    }

    #[test]
    fn timestamps_are_accepted_up_to_300_seconds_either_way() {
        let new = secret(NEW);
        let ts = T.to_string();
        for now in [T - 300, T - 1, T, T + 1, T + 300] {
            assert_eq!(
                check(&[&new], "evt_789", &ts, V1, B1, now),
                Ok(0),
                "now {now}"
            );
        }
        assert_eq!(
            check(&[&new], "evt_789", &ts, V1, B1, T + 301),
            Err(SignatureError::TimestampTooOld {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert_eq!(
            check(&[&new], "evt_789", &ts, V1, B1, T - 301),
            Err(SignatureError::TimestampInFuture {
                ahead_secs: 301,
                tolerance_secs: 300
            })
        );
        // Ten minutes old, a stale replay.
        assert!(matches!(
            check(&[&new], "evt_789", &ts, V1, B1, T + 600),
            Err(SignatureError::TimestampTooOld { .. })
        ));
        // A custom tolerance.
        let strict = SignatureVerifier::new().with_tolerance(Duration::from_secs(10));
        let headers = WebhookHeaders {
            id: "evt_789",
            timestamp: &ts,
            signature: V1,
        };
        assert!(strict.verify_at([&new], &headers, B1, at(T + 10)).is_ok());
        assert!(strict.verify_at([&new], &headers, B1, at(T + 11)).is_err());
        // Extreme values neither overflow nor pass.
        let max = u64::MAX.to_string();
        assert!(matches!(
            check(&[&new], "evt_789", &max, V1, B1, T),
            Err(SignatureError::TimestampInFuture { .. })
        ));
        assert!(matches!(
            check(&[&new], "evt_789", "0", V1, B1, T),
            Err(SignatureError::TimestampTooOld { .. })
        ));
        // A clock before 1970 reads as 0.
        let headers = WebhookHeaders {
            id: "evt_789",
            timestamp: "100",
            signature: V1,
        };
        let before_epoch = UNIX_EPOCH - Duration::from_secs(5);
        assert_eq!(
            SignatureVerifier::new().verify_at([&new], &headers, B1, before_epoch),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers() {
        let new = secret(NEW);
        let ts = T.to_string();
        assert_eq!(
            check(&[&new], "", &ts, V1, B1, T),
            Err(SignatureError::MissingHeader(WEBHOOK_ID))
        );
        assert_eq!(
            check(&[&new], "evt_789", "", V1, B1, T),
            Err(SignatureError::MissingHeader(WEBHOOK_TIMESTAMP))
        );
        for empty in ["", "  "] {
            assert_eq!(
                check(&[&new], "evt_789", &ts, empty, B1, T),
                Err(SignatureError::MissingHeader(WEBHOOK_SIGNATURE))
            );
        }
        for bad in [
            "-1739980800",
            "+1739980800",
            " 1739980800",
            "1739980800.5",
            "1e9",
            "now",
            "99999999999999999999999",
        ] {
            assert_eq!(
                check(&[&new], "evt_789", bad, V1, B1, T),
                Err(SignatureError::InvalidTimestamp),
                "timestamp {bad:?}"
            );
        }
        for garbage in [
            "garbage",
            "v1",
            "v2,u5ioNyT4/kV1AuuMANtQq5P6hVmteAEuqaMjCNrDpc4=",
            "v1a,u5ioNyT4/kV1AuuMANtQq5P6hVmteAEuqaMjCNrDpc4=",
            "V1,u5ioNyT4/kV1AuuMANtQq5P6hVmteAEuqaMjCNrDpc4=",
            "u5ioNyT4/kV1AuuMANtQq5P6hVmteAEuqaMjCNrDpc4=",
        ] {
            assert_eq!(
                check(&[&new], "evt_789", &ts, garbage, B1, T),
                Err(SignatureError::NoV1Signature),
                "signature {garbage:?}"
            );
        }
        for broken in [
            "v1,",
            "v1,not base64!",
            "v1,u5ioNyT4-kV1AuuMANtQq5P6hVmteAEuqaMjCNrDpc4=",
            "v1,u5ioNyT4/kV1AuuMANtQq5P6hVmteAEuqaMjCNrDpc4=====",
            "v1,AAAA",
            "v1,u5ioNyT4/kV1AuuMANtQq5P6hVmteAEuqaMjCNrDpc4AAAA",
        ] {
            assert_eq!(
                check(&[&new], "evt_789", &ts, broken, B1, T),
                Err(SignatureError::Mismatch),
                "signature {broken:?}"
            );
        }
        // A good entry among broken ones, an ed25519 one, and extra spaces still verifies.
        let crowded = format!("v1,AAAA  v1a,Zm9v {V1}  garbage ");
        assert_eq!(check(&[&new], "evt_789", &ts, &crowded, B1, T), Ok(0));
        // Unpadded base64 is read too.
        let unpadded = V1.trim_end_matches('=');
        assert_eq!(check(&[&new], "evt_789", &ts, unpadded, B1, T), Ok(0));
    }

    #[test]
    fn huge_inputs_do_not_panic() {
        let new = secret(NEW);
        let ts = T.to_string();
        let long_id = "i".repeat(1 << 20);
        let many = format!("{} {V1}", "v1,AAAA ".repeat(10_000));
        let long_entry = format!("v1,{}", "A".repeat(1 << 20));
        let body = vec![b'x'; 1 << 20];
        assert_eq!(
            check(&[&new], &long_id, &ts, V1, B1, T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(check(&[&new], "evt_789", &ts, &many, B1, T), Ok(0));
        assert_eq!(
            check(&[&new], "evt_789", &ts, &long_entry, B1, T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(&[&new], "evt_789", &ts, V1, &body, T),
            Err(SignatureError::Mismatch)
        );
        let huge_ts = "9".repeat(1 << 16);
        assert_eq!(
            check(&[&new], "evt_789", &huge_ts, V1, B1, T),
            Err(SignatureError::InvalidTimestamp)
        );
        assert!(WebhookSecret::parse(&format!("whsec_{}", "A".repeat(1 << 20))).is_err());
    }

    #[test]
    fn secret_text_form() {
        // 24 and 64 bytes are accepted, 23 and 65 are not.
        let of = |n: usize| format!("{SECRET_PREFIX}{}", BASE64.encode(vec![0u8; n]));
        assert_eq!(
            WebhookSecret::parse("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
            Err(SecretError::InvalidLength { bytes: 23 })
        );
        assert_eq!(
            WebhookSecret::parse(&of(23)),
            Err(SecretError::InvalidLength { bytes: 23 })
        );
        assert_eq!(WebhookSecret::parse(&of(24)).unwrap().len(), 24);
        assert_eq!(WebhookSecret::parse(&of(64)).unwrap().len(), 64);
        assert!(matches!(
            WebhookSecret::parse(&of(65)),
            Err(SecretError::InvalidLength { .. })
        ));
        // The URL-safe alphabet, an embedded newline or space, and bad padding are refused.
        // 24 bytes of 0xfb are "+/v7" eight times in the standard alphabet.
        let standard = format!("{SECRET_PREFIX}{}", "+/v7".repeat(8));
        assert_eq!(WebhookSecret::parse(&standard).unwrap().len(), 24);
        let url_safe = format!("{SECRET_PREFIX}{}", "-_v7".repeat(8));
        for bad in [
            url_safe.as_str(),
            "whsec_AAECAwQFBgcICQoLDA0ODxAR\nEhMUFRYXGBkaGxwdHh8=",
            "whsec_AAECAwQFBgcICQoLDA0ODxAR EhMUFRYXGBkaGxwdHh8=",
            "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==",
            "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8===",
            "whsec_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3=",
        ] {
            assert_eq!(
                WebhookSecret::parse(bad),
                Err(SecretError::InvalidBase64),
                "{bad:?}"
            );
        }
        assert_eq!(WebhookSecret::parse(""), Err(SecretError::MissingPrefix));
        assert_eq!(
            WebhookSecret::parse("WHSEC_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
            Err(SecretError::MissingPrefix)
        );
        // Unpadded standard base64 is accepted; the text form is written padded.
        let unpadded = WebhookSecret::parse(NEW.trim_end_matches('=')).unwrap();
        assert_eq!(unpadded, secret(NEW));
        assert_eq!(unpadded.to_text(), NEW);
        assert_eq!(secret(OLD).to_text(), OLD);
        assert_eq!(
            WebhookSecret::from_bytes((0u8..32).collect::<Vec<_>>()).unwrap(),
            secret(NEW)
        );
    }

    #[test]
    fn generated_secrets_are_fresh_and_hidden() {
        let a = WebhookSecret::generate();
        let b = WebhookSecret::generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), GENERATED_SECRET_BYTES);
        assert_eq!(WebhookSecret::parse(&a.to_text()).unwrap(), a);
        let debug = format!("{a:?}");
        assert!(!debug.contains(&a.to_text()[6..]), "{debug}");
    }

    #[test]
    fn errors_read_well() {
        assert_eq!(
            SignatureError::MissingHeader(WEBHOOK_SIGNATURE).to_string(),
            "the webhook-signature header is missing or empty"
        );
        assert_eq!(
            SecretError::InvalidLength { bytes: 23 }.to_string(),
            "a webhook secret must decode to 24 to 64 bytes, not 23"
        );
    }
}

//! The endpoint verification challenge (SEP-3415, "Webhook Delivery", verification
//! handshake): before delivering anything to a callback URL not yet verified for the
//! principal, the server POSTs a signed `{"type":"verification","challenge":"<nonce>"}` and
//! activates delivery only if the endpoint answers `2xx` with exactly
//! `{"challenge":"<nonce>"}`. A generic echo service, which would reflect the whole
//! envelope, does not pass: it has not consented to receive events.
//!
//! The pure parts of both sides live here: making a nonce and the envelope's body, answering
//! one (endpoint), and checking an answer (server). Signing is
//! [`super::webhook_signature`]; the HTTP exchange (status, size cap while reading, no
//! redirects, SSRF checks) belongs to the caller.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use spate_protocol::events::webhook::{VerificationEnvelope, VerificationResponse, WebhookBody};
use spate_protocol::meta::JsonObject;
use subtle::ConstantTimeEq as _;

/// Random bytes in a nonce.
pub const CHALLENGE_BYTES: usize = 24;
/// The most a server reads of an endpoint's answer.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Why an endpoint's answer does not verify it. Each one is reported to the client as a
/// `CallbackEndpointError` with reason `challenge_failed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChallengeError {
    /// The answer is longer than [`MAX_ANSWER_BYTES`].
    #[error("the challenge answer has {bytes} bytes, more than the {MAX_ANSWER_BYTES} allowed")]
    TooLarge {
        /// Its length.
        bytes: usize,
    },
    /// The answer is not a JSON object.
    #[error("the challenge answer is not a JSON object")]
    NotJsonObject,
    /// The object holds something other than one string member `challenge` (a reflected
    /// envelope, for instance).
    #[error("the challenge answer must be exactly {{\"challenge\": <string>}}")]
    UnexpectedShape,
    /// The echoed value is not the nonce.
    #[error("the challenge answer does not echo the challenge")]
    Mismatch,
}

/// A fresh single-use nonce: [`CHALLENGE_BYTES`] random bytes in unpadded base64url
/// (32 characters).
pub fn new_challenge() -> String {
    let mut nonce = [0u8; CHALLENGE_BYTES];
    rand::rng().fill_bytes(&mut nonce);
    URL_SAFE_NO_PAD.encode(nonce)
}

/// The body of the verification envelope carrying `challenge`, to be signed and POSTed.
pub fn challenge_body(challenge: &str) -> Vec<u8> {
    let envelope = WebhookBody::Verification(VerificationEnvelope {
        challenge: challenge.to_owned(),
    });
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// Endpoint side: the `2xx` response body for a delivery, if it is a verification envelope
/// (`None` for anything else). Call it only once the body's signature verified: an
/// endpoint must not echo challenges it cannot attribute to a secret it holds.
///
/// ```
/// use spate::events::verification::answer_challenge;
/// let body = br#"{"type":"verification","challenge":"abc"}"#;
/// assert_eq!(answer_challenge(body).unwrap(), br#"{"challenge":"abc"}"#);
/// assert!(answer_challenge(br#"{"type":"gap","cursor":null}"#).is_none());
/// ```
pub fn answer_challenge(verified_body: &[u8]) -> Option<Vec<u8>> {
    match serde_json::from_slice(verified_body).ok()? {
        WebhookBody::Verification(envelope) => serde_json::to_vec(&VerificationResponse {
            challenge: envelope.challenge,
        })
        .ok(),
        _ => None,
    }
}

/// Server side: whether an endpoint's answer echoes `challenge`. The answer must be a JSON
/// object with exactly one member, the string `challenge`, equal to the nonce (compared in
/// constant time). The HTTP status (`2xx`) is the caller's to check.
pub fn check_challenge_answer(challenge: &str, answer: &[u8]) -> Result<(), ChallengeError> {
    if answer.len() > MAX_ANSWER_BYTES {
        return Err(ChallengeError::TooLarge {
            bytes: answer.len(),
        });
    }
    let object: JsonObject =
        serde_json::from_slice(answer).map_err(|_| ChallengeError::NotJsonObject)?;
    let echoed = match object.get("challenge") {
        Some(serde_json::Value::String(echoed)) if object.len() == 1 => echoed,
        _ => return Err(ChallengeError::UnexpectedShape),
    };
    if bool::from(echoed.as_bytes().ct_eq(challenge.as_bytes())) {
        Ok(())
    } else {
        Err(ChallengeError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx";
    // The handshake in the shape SEP-3415 shows it, with an example nonce: the envelope
    // and the endpoint's answer, byte for byte.
    const ENVELOPE: &[u8] =
        br#"{"type":"verification","challenge":"Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx"}"#;
    const ANSWER: &[u8] = br#"{"challenge":"Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx"}"#;

    #[test]
    fn the_handshake_example_both_ways() {
        assert_eq!(challenge_body(NONCE), ENVELOPE);
        assert_eq!(answer_challenge(ENVELOPE).unwrap(), ANSWER);
        assert_eq!(check_challenge_answer(NONCE, ANSWER), Ok(()));
        // Whitespace and member order do not matter to the check.
        let spaced = format!("{{ \"challenge\" : \"{NONCE}\" }}\n");
        assert_eq!(check_challenge_answer(NONCE, spaced.as_bytes()), Ok(()));
    }

    #[test]
    fn the_envelope_verifies_with_the_sep_signature() {
        use super::super::webhook_signature::WebhookSecret;
        let new =
            WebhookSecret::parse("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        assert_eq!(
            new.sign(
                "msg_verification_0123456789abcdef01234567",
                1_739_980_800,
                &challenge_body(NONCE)
            ),
            "v1,qSVYu3UYY8C6iLPZ+tJ7hZzchW9gFaHf8X2swU75NUM="
        );
    }

    #[test]
    fn wrong_answers() {
        let reflected = check_challenge_answer(NONCE, ENVELOPE);
        assert_eq!(reflected, Err(ChallengeError::UnexpectedShape));
        assert_eq!(
            check_challenge_answer(
                NONCE,
                br#"{"challenge":"Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAy"}"#
            ),
            Err(ChallengeError::Mismatch)
        );
        assert_eq!(
            check_challenge_answer(NONCE, br#"{"challenge":""}"#),
            Err(ChallengeError::Mismatch)
        );
        for shape in [
            &br#"{}"#[..],
            br#"{"challenge":42}"#,
            br#"{"challenge":null}"#,
            br#"{"challenge":"Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx","ok":true}"#,
            br#"{"Challenge":"Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx"}"#,
        ] {
            assert_eq!(
                check_challenge_answer(NONCE, shape),
                Err(ChallengeError::UnexpectedShape),
                "{}",
                String::from_utf8_lossy(shape)
            );
        }
        for not_object in [
            &b""[..],
            b"Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx",
            br#""Q2hhbGxlbmdlTm9uY2UtMDAwMDAwMDAwMDAx""#,
            br#"["challenge"]"#,
            b"\xff\xfe",
            br#"{"challenge":"#,
        ] {
            assert_eq!(
                check_challenge_answer(NONCE, not_object),
                Err(ChallengeError::NotJsonObject)
            );
        }
        let huge = vec![b' '; MAX_ANSWER_BYTES + 1];
        assert_eq!(
            check_challenge_answer(NONCE, &huge),
            Err(ChallengeError::TooLarge {
                bytes: MAX_ANSWER_BYTES + 1
            })
        );
    }

    #[test]
    fn only_verification_envelopes_are_answered() {
        for body in [
            &br#"{"eventId":"e","name":"n","timestamp":"t","data":{}}"#[..],
            br#"{"type":"gap","cursor":"c"}"#,
            br#"{"type":"verification"}"#,
            br#"{"type":"future","challenge":"x"}"#,
            b"not json",
            b"",
        ] {
            assert_eq!(
                answer_challenge(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn nonces_are_fresh() {
        let a = new_challenge();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_challenge());
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
}

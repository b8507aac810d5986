//! Multi-round-trip requests (2026 MRTR) on the server: one run of a handler on a modern
//! `tools/call`, `resources/read` or `prompts/get`.
//!
//! A handler asks the client for something ([`Context::ask_input`], or `sample`, `elicit`,
//! `list_roots`) the same way in both eras. On a legacy session the request goes to the
//! client and the handler waits. On a modern request the [`Round`] looks for the answer
//! among this request's `inputResponses` and the answers sealed into its `requestState`; when
//! it is not there, the round records the question and the handler stops with
//! [`ContextError::InputRequired`]. The router then answers `input_required` with every
//! recorded question and a fresh sealed state holding the answers used so far, so the
//! client's retry re-runs the handler from the top with one more answer each time.
//!
//! [`Context::ask_input`]: super::Context::ask_input
//! [`ContextError::InputRequired`]: super::ContextError::InputRequired

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use spate_protocol::{ErrorObject, InputRequest, InputRequiredResult, ResultType};

use super::modern::missing_capability;
use super::request_state::{Binding, RequestStateKeys, Sealed};
use crate::mutex::lock;

/// The MRTR fields of a request's params, read as plain JSON.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoundParams {
    #[serde(default)]
    input_responses: Option<serde_json::Map<String, Value>>,
    #[serde(default)]
    request_state: Option<String>,
}

/// What a handler's run on a modern request produced besides its own result.
pub(crate) enum RoundOutcome {
    /// Nothing: the handler's result stands.
    Complete,
    /// The handler needs answers first.
    InputRequired(InputRequiredResult),
    /// The handler failed for want of a client capability the request did not declare.
    MissingCapability(ErrorObject),
}

/// One run of a handler on a modern request.
pub(crate) struct Round {
    keys: RequestStateKeys,
    binding: Binding,
    /// Answers this run may use: the sealed ones, then this request's `inputResponses`.
    available: BTreeMap<String, Value>,
    /// The handler's state from the previous round.
    state: Option<Value>,
    used: Mutex<BTreeMap<String, Value>>,
    asked: Mutex<BTreeMap<String, InputRequest>>,
    next_state: Mutex<Option<Value>>,
    missing: Mutex<Option<Value>>,
}

impl Round {
    /// Opens the round of a request: verifies its `requestState` (`-32602` when it does not
    /// verify) and gathers the answers it brings.
    pub(crate) fn open(
        keys: &RequestStateKeys,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<Self, ErrorObject> {
        let binding = Binding::of(method, params);
        let fields: RoundParams = spate_protocol::jsonrpc::parse_params(params)?;
        let sealed = match &fields.request_state {
            Some(token) => keys.open(&binding, token)?,
            None => Sealed::default(),
        };
        let mut available = sealed.answers;
        available.extend(fields.input_responses.unwrap_or_default());
        Ok(Self {
            keys: keys.clone(),
            binding,
            available,
            next_state: Mutex::new(sealed.state.clone()),
            state: sealed.state,
            used: Mutex::default(),
            asked: Mutex::default(),
            missing: Mutex::default(),
        })
    }

    /// The answer to `key`, if the client gave it (now or in an earlier round).
    pub(crate) fn answer(&self, key: &str) -> Option<Value> {
        let value = self.available.get(key)?.clone();
        lock(&self.used).insert(key.to_owned(), value.clone());
        Some(value)
    }

    /// Records a question the client must answer before the handler can finish.
    pub(crate) fn ask(&self, key: String, request: InputRequest) {
        lock(&self.asked).insert(key, request);
    }

    /// Notes that the handler needed a capability the client did not declare.
    pub(crate) fn require_capability(&self, required: Value) {
        lock(&self.missing).get_or_insert(required);
    }

    /// The state the handler kept in the previous round.
    pub(crate) fn state(&self) -> Option<Value> {
        self.state.clone()
    }

    /// Replaces the state carried to the next round.
    pub(crate) fn set_state(&self, state: Value) {
        *lock(&self.next_state) = Some(state);
    }

    /// What the run comes to, given whether the handler itself failed.
    pub(crate) fn outcome(&self, handler_failed: bool) -> RoundOutcome {
        let asked = std::mem::take(&mut *lock(&self.asked));
        if !asked.is_empty() {
            let sealed = Sealed {
                answers: lock(&self.used).clone(),
                state: lock(&self.next_state).clone(),
            };
            return RoundOutcome::InputRequired(InputRequiredResult {
                input_requests: Some(asked),
                request_state: Some(self.keys.seal(&self.binding, &sealed)),
                result_type: Some(ResultType::InputRequired),
                meta: None,
            });
        }
        match lock(&self.missing).take() {
            Some(required) if handler_failed => {
                RoundOutcome::MissingCapability(missing_capability(required))
            }
            _ => RoundOutcome::Complete,
        }
    }
}

//! The harness: one run per version, fit → JSON → read back → validate, and the record of
//! what ran and what was skipped.

use std::cell::RefCell;
use std::fmt::Debug;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use spate_protocol::*;

use crate::common::SchemaSet;
use crate::strategies as st;

/// Generated cases per message kind and version (`SPATE_PROPTEST_CASES` overrides).
fn cases() -> u32 {
    std::env::var("SPATE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// The strict schema set of `name` (a version or `ext-tasks`), loaded once.
pub fn schema(name: &'static str) -> &'static SchemaSet {
    static SETS: OnceLock<Vec<SchemaSet>> = OnceLock::new();
    const NAMES: [&str; 6] = [
        "2024-11-05",
        "2025-03-26",
        "2025-06-18",
        "2025-11-25",
        "2026-07-28",
        "ext-tasks",
    ];
    let sets = SETS.get_or_init(|| {
        let mut sets: Vec<SchemaSet> = NAMES.iter().map(|n| SchemaSet::load_strict(n)).collect();
        // The tasks extension adds `taskIds` to the 2026 subscription filter.
        let ext = sets[5].definition("TaskSubscriptionNotifications");
        sets[4].merge_properties("SubscriptionFilter", &ext);
        sets
    });
    let i = NAMES.iter().position(|n| *n == name).expect("known schema");
    &sets[i]
}

/// One version's run: where to validate, what was skipped, what went wrong.
pub struct Ctx {
    pub version: ProtocolVersion,
    set: &'static SchemaSet,
    /// Where JSON-RPC envelopes are checked (the core schema of the version).
    envelope: &'static SchemaSet,
    skipped: RefCell<Vec<String>>,
    checked: RefCell<Vec<String>>,
    failures: RefCell<Vec<String>>,
}

impl Ctx {
    pub fn new(version: ProtocolVersion, set: &'static str) -> Self {
        Self {
            version,
            set: schema(set),
            envelope: schema(version.as_str()),
            skipped: RefCell::default(),
            checked: RefCell::default(),
            failures: RefCell::default(),
        }
    }

    /// Whether the kind runs: the schema must define `def` exactly when we expect it to.
    fn should_run(&self, def: &str, expected: bool) -> bool {
        let present = self.set.has(def);
        if present != expected {
            self.failures.borrow_mut().push(format!(
                "{}: our method table says {def} {} but the schema {} it",
                self.set.label,
                if expected { "exists" } else { "does not exist" },
                if present {
                    "defines"
                } else {
                    "does not define"
                },
            ));
        }
        if !present {
            self.skipped.borrow_mut().push(def.to_owned());
        }
        present
    }

    fn check_defs(&self, checks: &[(&SchemaSet, &str, &Value)]) -> Result<(), TestCaseError> {
        for (set, def, value) in checks {
            if set.has(def) {
                set.validate(def, value).map_err(TestCaseError::fail)?;
            }
        }
        Ok(())
    }

    /// Runs `cases` values of `strategy` through fit → JSON → validation.
    fn run<T, S>(
        &self,
        def: &str,
        strategy: S,
        build: impl Fn(&Value, &RequestId) -> Vec<(&'static SchemaSet, String, Value)>,
    ) where
        T: FitVersion + Serialize + DeserializeOwned + Debug + Clone + PartialEq,
        S: Strategy<Value = T>,
    {
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let version = self.version;
        let outcome = runner.run(&(st::request_id(), strategy), |(id, mut value)| {
            value.fit_version(version);
            let once = value.clone();
            value.fit_version(version);
            prop_assert_eq!(&once, &value, "fit_version is not idempotent");
            let json =
                serde_json::to_value(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
            // What we wrote, we read back to the same value.
            let back: T = serde_json::from_value(json.clone())
                .map_err(|e| TestCaseError::fail(format!("cannot read back {json}: {e}")))?;
            prop_assert_eq!(
                serde_json::to_value(&back).unwrap(),
                json.clone(),
                "re-encoding differs"
            );
            let checks = build(&json, &id);
            let refs: Vec<(&SchemaSet, &str, &Value)> =
                checks.iter().map(|(s, d, v)| (*s, d.as_str(), v)).collect();
            self.check_defs(&refs)
        });
        match outcome {
            Ok(()) => self.checked.borrow_mut().push(def.to_owned()),
            Err(e) => self
                .failures
                .borrow_mut()
                .push(format!("{} {def}: {e}", self.set.label)),
        }
    }

    fn message_value(message: Message) -> Value {
        serde_json::from_slice(&message.encode()).expect("encoded message is JSON")
    }

    /// A request kind: params def (2025-11-25+), request def, the request unions, envelope.
    pub fn request<T, S>(
        &self,
        def: &str,
        method: &'static str,
        expected: bool,
        unions: &[&str],
        s: S,
    ) where
        T: FitVersion + Serialize + DeserializeOwned + Debug + Clone + PartialEq,
        S: Strategy<Value = T>,
    {
        if !self.should_run(def, expected) {
            return;
        }
        let (set, env) = (self.set, self.envelope);
        let params_def = format!("{def}Params");
        self.run(def, s, |params, id| {
            let msg =
                Self::message_value(Message::Request(Request::new(id.clone(), method, params)));
            let mut checks = vec![
                (set, params_def.clone(), params.clone()),
                (set, def.to_owned(), msg.clone()),
                (env, "JSONRPCRequest".to_owned(), msg.clone()),
                (env, "JSONRPCMessage".to_owned(), msg.clone()),
            ];
            checks.extend(unions.iter().map(|u| (set, (*u).to_owned(), msg.clone())));
            checks
        });
    }

    /// A notification kind.
    pub fn notification<T, S>(
        &self,
        def: &str,
        method: &'static str,
        expected: bool,
        unions: &[&str],
        s: S,
    ) where
        T: FitVersion + Serialize + DeserializeOwned + Debug + Clone + PartialEq,
        S: Strategy<Value = T>,
    {
        if !self.should_run(def, expected) {
            return;
        }
        let (set, env) = (self.set, self.envelope);
        let params_def = format!("{def}Params");
        self.run(def, s, |params, _| {
            let msg = Self::message_value(Message::Notification(Notification::new(method, params)));
            let mut checks = vec![
                (set, params_def.clone(), params.clone()),
                (set, def.to_owned(), msg.clone()),
                (env, "JSONRPCNotification".to_owned(), msg.clone()),
                (env, "JSONRPCMessage".to_owned(), msg.clone()),
            ];
            checks.extend(unions.iter().map(|u| (set, (*u).to_owned(), msg.clone())));
            checks
        });
    }

    /// A result kind, inside a result response.
    pub fn result<T, S>(&self, def: &str, expected: bool, unions: &[&str], s: S)
    where
        T: FitVersion + Serialize + DeserializeOwned + Debug + Clone + PartialEq,
        S: Strategy<Value = T>,
    {
        if !self.should_run(def, expected) {
            return;
        }
        let (set, env) = (self.set, self.envelope);
        self.run(def, s, |result, id| {
            let msg = Self::message_value(Message::Response(Response::result(id.clone(), result)));
            let mut checks = vec![
                (set, def.to_owned(), result.clone()),
                (set, format!("{def}Response"), msg.clone()),
                (env, "JSONRPCResponse".to_owned(), msg.clone()),
                (env, "JSONRPCResultResponse".to_owned(), msg.clone()),
                (env, "JSONRPCMessage".to_owned(), msg),
            ];
            checks.extend(
                unions
                    .iter()
                    .map(|u| (set, (*u).to_owned(), result.clone())),
            );
            checks
        });
    }

    /// A value validated on its own (input requests/responses, task shapes).
    pub fn value<T, S>(&self, def: &str, expected: bool, s: S)
    where
        T: FitVersion + Serialize + DeserializeOwned + Debug + Clone + PartialEq,
        S: Strategy<Value = T>,
    {
        if !self.should_run(def, expected) {
            return;
        }
        let set = self.set;
        self.run(def, s, |value, _| {
            vec![(set, def.to_owned(), value.clone())]
        });
    }

    /// Error responses.
    pub fn error_response(&self) {
        let env = self.envelope;
        let def = if env.has("JSONRPCErrorResponse") {
            "JSONRPCErrorResponse"
        } else {
            "JSONRPCError"
        };
        self.run(def, st::error_object(), |error, id| {
            let error: ErrorObject = serde_json::from_value(error.clone()).unwrap();
            let msg =
                Self::message_value(Message::Response(Response::error(Some(id.clone()), error)));
            vec![
                (env, def.to_owned(), msg.clone()),
                (env, "JSONRPCMessage".to_owned(), msg),
            ]
        });
    }

    pub fn finish(self) -> Vec<String> {
        let failures = self.failures.into_inner();
        assert!(
            failures.is_empty(),
            "{} failures for {}:\n{}",
            failures.len(),
            self.set.label,
            failures.join("\n\n")
        );
        let checked = self.checked.into_inner();
        assert!(
            checked.len() >= 8,
            "only {checked:?} ran for {}",
            self.set.label
        );
        let mut skipped = self.skipped.into_inner();
        skipped.sort();
        eprintln!(
            "{}: {} kinds checked ({}), {} skipped ({})",
            self.set.label,
            checked.len(),
            checked.join(", "),
            skipped.len(),
            skipped.join(", ")
        );
        skipped
    }
}

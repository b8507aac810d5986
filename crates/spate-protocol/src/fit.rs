//! Shaping outgoing messages for one protocol version: "tolerant on input, exact on output".
//!
//! The model is the union of every version. Before a value is written for a peer,
//! [`FitVersion::fit_version`] removes what the negotiated version does not have, turns content
//! it cannot carry into content it can (always noted on the impl), and, for 2026-07-28, fills
//! what that version requires (`resultType`, cache hints, required `_meta` keys).

use std::collections::{BTreeMap, HashMap};

use crate::version::ProtocolVersion;

/// Reshapes a value in place so it is exactly what `version` defines.
///
/// Idempotent: fitting twice for the same version changes nothing the second time.
///
/// ```
/// use spate_protocol::{CallToolResult, FitVersion, ProtocolVersion};
/// let mut result = CallToolResult::text("hi");
/// result.fit_version(ProtocolVersion::V2026_07_28);
/// assert_eq!(serde_json::to_value(&result).unwrap()["resultType"], "complete");
/// ```
pub trait FitVersion {
    /// Removes, converts or fills fields so the value matches `version`.
    fn fit_version(&mut self, version: ProtocolVersion);

    /// The same, by value, for chaining.
    fn fitted(mut self, version: ProtocolVersion) -> Self
    where
        Self: Sized,
    {
        self.fit_version(version);
        self
    }
}

impl<T: FitVersion> FitVersion for Option<T> {
    fn fit_version(&mut self, version: ProtocolVersion) {
        if let Some(inner) = self {
            inner.fit_version(version);
        }
    }
}

impl<T: FitVersion> FitVersion for Vec<T> {
    fn fit_version(&mut self, version: ProtocolVersion) {
        for item in self {
            item.fit_version(version);
        }
    }
}

impl<T: FitVersion> FitVersion for Box<T> {
    fn fit_version(&mut self, version: ProtocolVersion) {
        (**self).fit_version(version);
    }
}

impl<K: Ord, T: FitVersion> FitVersion for BTreeMap<K, T> {
    fn fit_version(&mut self, version: ProtocolVersion) {
        for item in self.values_mut() {
            item.fit_version(version);
        }
    }
}

impl<K, T: FitVersion, S> FitVersion for HashMap<K, T, S> {
    fn fit_version(&mut self, version: ProtocolVersion) {
        for item in self.values_mut() {
            item.fit_version(version);
        }
    }
}

/// Clears an optional field when `version` is older than `since`.
pub(crate) fn since<T>(field: &mut Option<T>, version: ProtocolVersion, since: ProtocolVersion) {
    if version < since {
        *field = None;
    }
}

/// Clears an optional field unless `version` is exactly `only`.
pub(crate) fn only<T>(field: &mut Option<T>, version: ProtocolVersion, only: ProtocolVersion) {
    if version != only {
        *field = None;
    }
}

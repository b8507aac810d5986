//! Roots: the directories a client exposes (Client Features › Roots,
//! <https://modelcontextprotocol.io/specification/2026-07-28/client/roots>; deprecated in
//! 2026, SEP-2577).

use serde::{Deserialize, Serialize};

use crate::fit::{FitVersion, since};
use crate::meta::Meta;
use crate::result::fit_meta;
use crate::version::ProtocolVersion;

/// A root directory or file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Root {
    /// A `file://` URI.
    pub uri: String,
    /// A display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Metadata (2025-06-18+).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Result of `roots/list` (a client result; an MRTR input response in 2026).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ListRootsResult {
    /// The roots.
    pub roots: Vec<Root>,
    /// Result metadata (not in 2026, where this is an input response).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl FitVersion for Root {
    fn fit_version(&mut self, version: ProtocolVersion) {
        since(&mut self.meta, version, ProtocolVersion::V2025_06_18);
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for ListRootsResult {
    fn fit_version(&mut self, version: ProtocolVersion) {
        self.roots.fit_version(version);
        if version >= ProtocolVersion::V2026_07_28 {
            self.meta = None;
        }
        fit_meta(&mut self.meta, version);
    }
}

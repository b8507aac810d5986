//! Cursor-based pagination of list requests (Server Features › Utilities › Pagination,
//! <https://modelcontextprotocol.io/specification/2026-07-28/server/utilities/pagination>).

use serde::{Deserialize, Serialize};

use crate::fit::FitVersion;
use crate::meta::Meta;
use crate::result::fit_request_meta;
use crate::version::ProtocolVersion;

/// An opaque position in a paginated list. Clients never parse or build one; in 2026 the
/// empty string is a valid cursor.
pub type Cursor = String;

/// Params of the list requests: `tools/list`, `prompts/list`, `resources/list`,
/// `resources/templates/list` (and 2025-11-25 `tasks/list`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginatedRequestParams {
    /// Where to start; absent for the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<Cursor>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl PaginatedRequestParams {
    /// Params asking for the page at `cursor`.
    pub fn at(cursor: impl Into<String>) -> Self {
        Self {
            cursor: Some(cursor.into()),
            meta: None,
        }
    }
}

impl FitVersion for PaginatedRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}

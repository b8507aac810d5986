//! Progress and cancellation notifications (Base Protocol › Utilities › Progress and
//! Cancellation,
//! <https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/progress>,
//! <https://modelcontextprotocol.io/specification/2025-11-25/basic/utilities/cancellation>; in
//! 2026-07-28 both are under Base Protocol › Message Patterns).

use serde::{Deserialize, Serialize};

use crate::fit::FitVersion;
use crate::jsonrpc::RequestId;
use crate::meta::{Meta, ProgressToken};
use crate::result::fit_meta;
use crate::version::ProtocolVersion;

/// Params of `notifications/progress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressNotificationParams {
    /// The token from the request's `_meta`.
    pub progress_token: ProgressToken,
    /// Progress so far; increases with every notification.
    #[serde(serialize_with = "crate::num::compact")]
    pub progress: f64,
    /// The total, when known.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::num::compact_opt"
    )]
    pub total: Option<f64>,
    /// A human-readable message (2025-03-26+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Notification metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl ProgressNotificationParams {
    /// Progress for a token.
    pub fn new(progress_token: ProgressToken, progress: f64) -> Self {
        Self {
            progress_token,
            progress,
            total: None,
            message: None,
            meta: None,
        }
    }
}

/// Params of `notifications/cancelled`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelledNotificationParams {
    /// The request to cancel. Optional only in 2025-11-25 (tasks are cancelled with
    /// `tasks/cancel`); required in every other version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    /// Why, for logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Notification metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl CancelledNotificationParams {
    /// Cancels a request.
    pub fn new(request_id: RequestId, reason: Option<String>) -> Self {
        Self {
            request_id: Some(request_id),
            reason,
            meta: None,
        }
    }
}

impl FitVersion for ProgressNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        crate::fit::since(&mut self.message, version, ProtocolVersion::V2025_03_26);
        fit_meta(&mut self.meta, version);
    }
}

impl FitVersion for CancelledNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_meta(&mut self.meta, version);
    }
}

//! Logging: levels, `logging/setLevel` and `notifications/message` (Server Features ›
//! Utilities › Logging,
//! <https://modelcontextprotocol.io/specification/2025-11-25/server/utilities/logging>).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fit::FitVersion;
use crate::meta::Meta;
use crate::result::{fit_meta, fit_request_meta};
use crate::version::ProtocolVersion;

/// A syslog severity (RFC 5424), ordered from least to most severe.
///
/// ```
/// use spate_protocol::LoggingLevel;
/// assert!(LoggingLevel::Debug < LoggingLevel::Emergency);
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum LoggingLevel {
    /// Debug-level messages.
    Debug,
    /// Informational messages.
    #[default]
    Info,
    /// Normal but significant conditions.
    Notice,
    /// Warning conditions.
    Warning,
    /// Error conditions.
    Error,
    /// Critical conditions.
    Critical,
    /// Action must be taken immediately.
    Alert,
    /// The system is unusable.
    Emergency,
}

impl LoggingLevel {
    /// Every level, least severe first.
    pub const ALL: [LoggingLevel; 8] = [
        Self::Debug,
        Self::Info,
        Self::Notice,
        Self::Warning,
        Self::Error,
        Self::Critical,
        Self::Alert,
        Self::Emergency,
    ];

    /// The wire spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Notice => "notice",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
            Self::Alert => "alert",
            Self::Emergency => "emergency",
        }
    }
}

impl fmt::Display for LoggingLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown level name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown logging level {0:?}")]
pub struct UnknownLevel(pub String);

impl FromStr for LoggingLevel {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| UnknownLevel(s.to_owned()))
    }
}

/// Params of `logging/setLevel` (legacy only; 2026 uses `_meta` `logLevel` per request).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SetLevelRequestParams {
    /// The least severe level the client wants.
    pub level: LoggingLevel,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Params of `notifications/message`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LoggingMessageNotificationParams {
    /// The severity.
    pub level: LoggingLevel,
    /// Which logger emitted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logger: Option<String>,
    /// Any JSON: a string, an object of details, …
    pub data: Value,
    /// Notification metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl FitVersion for SetLevelRequestParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_request_meta(&mut self.meta, version);
    }
}

impl FitVersion for LoggingMessageNotificationParams {
    fn fit_version(&mut self, version: ProtocolVersion) {
        fit_meta(&mut self.meta, version);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_by_severity_and_spell_lowercase() {
        let mut sorted = LoggingLevel::ALL;
        sorted.reverse();
        sorted.sort();
        assert_eq!(sorted, LoggingLevel::ALL);
        for pair in LoggingLevel::ALL.windows(2) {
            assert!(pair[0] < pair[1], "{} < {}", pair[0], pair[1]);
        }
        for level in LoggingLevel::ALL {
            let json = serde_json::to_value(level).unwrap();
            assert_eq!(json, level.as_str());
            assert_eq!(serde_json::from_value::<LoggingLevel>(json).unwrap(), level);
            assert_eq!(level.as_str().parse::<LoggingLevel>().unwrap(), level);
        }
        assert!("WARNING".parse::<LoggingLevel>().is_err());
        assert!(serde_json::from_str::<LoggingLevel>("\"warn\"").is_err());
        assert!(LoggingLevel::Warning >= LoggingLevel::Notice);
        assert!(LoggingLevel::Error.max(LoggingLevel::Info) == LoggingLevel::Error);
    }
}

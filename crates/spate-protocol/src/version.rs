//! Protocol versions and the two eras they fall into.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A released MCP protocol version.
///
/// Ordered by release date, so `v >= ProtocolVersion::V2025_06_18` asks "does this version
/// have what 2025-06-18 introduced".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProtocolVersion {
    /// 2024-11-05: the baseline; stdio and HTTP+SSE.
    V2024_11_05,
    /// 2025-03-26: Streamable HTTP, batches, audio, tool annotations.
    V2025_03_26,
    /// 2025-06-18: structured tool output, elicitation, resource links; batches removed.
    V2025_06_18,
    /// 2025-11-25: icons, URL elicitation, sampling tools, experimental tasks. Last legacy version.
    V2025_11_25,
    /// 2026-07-28: stateless requests, `server/discover`, `resultType`. First modern version.
    V2026_07_28,
}

/// Whether a version uses the `initialize` handshake (legacy) or per-request `_meta` (modern).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Era {
    /// 2024-11-05 … 2025-11-25: `initialize`, sessions, server→client requests.
    Legacy,
    /// 2026-07-28 and later: stateless, every request carries its version and capabilities.
    Modern,
}

impl ProtocolVersion {
    /// Every version this crate models, oldest first.
    pub const ALL: [ProtocolVersion; 5] = [
        Self::V2024_11_05,
        Self::V2025_03_26,
        Self::V2025_06_18,
        Self::V2025_11_25,
        Self::V2026_07_28,
    ];
    /// The newest version that uses the `initialize` handshake.
    pub const LATEST_LEGACY: ProtocolVersion = Self::V2025_11_25;
    /// The newest version overall.
    pub const LATEST: ProtocolVersion = Self::V2026_07_28;

    /// The wire spelling, e.g. `"2025-11-25"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V2024_11_05 => "2024-11-05",
            Self::V2025_03_26 => "2025-03-26",
            Self::V2025_06_18 => "2025-06-18",
            Self::V2025_11_25 => "2025-11-25",
            Self::V2026_07_28 => "2026-07-28",
        }
    }

    /// Parses a wire spelling; `None` for a version this crate does not know.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }

    /// The era this version belongs to.
    pub const fn era(self) -> Era {
        match self {
            Self::V2026_07_28 => Era::Modern,
            _ => Era::Legacy,
        }
    }

    /// Whether JSON-RPC batches (arrays) are allowed: only in 2025-03-26.
    pub const fn allows_batches(self) -> bool {
        matches!(self, Self::V2025_03_26)
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ProtocolVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProtocolVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown protocol version {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_round_trips_and_order_follows_release_date() {
        for v in ProtocolVersion::ALL {
            assert_eq!(ProtocolVersion::parse(v.as_str()), Some(v));
        }
        assert!(ProtocolVersion::V2024_11_05 < ProtocolVersion::V2025_11_25);
        assert_eq!(ProtocolVersion::parse("2025-01-01"), None);
        assert_eq!(ProtocolVersion::LATEST.era(), Era::Modern);
        assert_eq!(ProtocolVersion::LATEST_LEGACY.era(), Era::Legacy);
        assert!(ProtocolVersion::V2025_03_26.allows_batches());
        assert!(!ProtocolVersion::V2025_06_18.allows_batches());
    }
}

//! Conversions between the stores' records and SQLite values: JSON columns, and the
//! unsigned numbers Rust uses against the signed 64-bit integers SQLite keeps.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// `value` as JSON bytes for a BLOB column.
pub(super) fn to_json<T: Serialize + ?Sized>(value: &T) -> rusqlite::Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

/// A JSON column read back; a row that does not decode is an error of the read, not a panic.
pub(super) fn from_json<T: DeserializeOwned>(column: usize, bytes: &[u8]) -> rusqlite::Result<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Blob, Box::new(e))
    })
}

/// A `u64` as SQLite's integer (beyond `i64::MAX` is clamped: such times and positions are
/// not reachable).
pub(super) fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A `usize` (a count or a limit) as SQLite's integer.
pub(super) fn count(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// SQLite's integer back as a `u64` (negative ones, which these stores never write, read 0).
pub(super) fn uint(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

//! Serde helpers for JSON numbers held as `f64`.
//!
//! A float that holds a whole number is written as a JSON integer (`50`, not `50.0`): peers
//! that sent `50` get `50` back, and schemas typed `integer` elsewhere stay happy.

use serde::Serializer;

/// The largest integer an `f64` represents exactly (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

/// Writes an `f64`, as an integer when it is a whole number in the exact range.
pub(crate) fn write_f64<S: Serializer>(value: f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.fract() == 0.0 && value.abs() <= EXACT {
        // Whole and exactly representable: the cast is lossless.
        serializer.serialize_i64(value as i64)
    } else {
        serializer.serialize_f64(value)
    }
}

/// `#[serde(serialize_with)]` for `f64` fields.
pub(crate) fn compact<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    write_f64(*value, serializer)
}

/// `#[serde(serialize_with)]` for `Option<f64>` fields (used with `skip_serializing_if`).
pub(crate) fn compact_opt<S: Serializer>(
    value: &Option<f64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => write_f64(*v, serializer),
        None => serializer.serialize_none(),
    }
}

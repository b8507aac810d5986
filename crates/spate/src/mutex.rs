//! One way to lock a std mutex everywhere in the crate.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, taking the data back if a panicking holder poisoned it. Every mutex here
/// guards maps and records that are whole after each statement, so a panic cannot leave one
/// half-changed; spreading the poison would only turn one failed request into many.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

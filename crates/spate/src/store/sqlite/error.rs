//! What went wrong with the database, in words an operator can act on: the file, the cause,
//! and whether trying again later may help (clients are then answered 503 with
//! `Retry-After`).

use std::path::Path;

/// The kind of a [`StorageError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageErrorKind {
    /// The disk (or the database's size limit) is full.
    Full,
    /// Another process holds the database locked.
    Busy,
    /// The file is damaged, or not a SQLite database.
    Corrupt,
    /// The file or its directory cannot be written.
    ReadOnly,
    /// A newer Spate migrated the database further than this one knows.
    TooNew,
    /// The database was closed (its writer stopped).
    Closed,
    /// Anything else.
    Other,
}

/// A database failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StorageError {
    /// What kind of failure.
    pub kind: StorageErrorKind,
    /// The whole message: the file, the cause, what to do.
    pub message: String,
}

impl StorageError {
    /// Whether trying again later may succeed (the disk may get room, the lock may go).
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, StorageErrorKind::Full | StorageErrorKind::Busy)
    }

    pub(crate) fn sqlite(path: &Path, e: &rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        let kind = match e.sqlite_error_code() {
            Some(C::DiskFull) => StorageErrorKind::Full,
            Some(C::DatabaseBusy | C::DatabaseLocked) => StorageErrorKind::Busy,
            Some(C::DatabaseCorrupt | C::NotADatabase) => StorageErrorKind::Corrupt,
            Some(C::ReadOnly | C::CannotOpen | C::PermissionDenied) => StorageErrorKind::ReadOnly,
            _ => StorageErrorKind::Other,
        };
        let advice = match kind {
            StorageErrorKind::Full => {
                ": the disk is full; free space (writes resume by themselves)"
            }
            StorageErrorKind::Busy => {
                ": another process holds it; stop it, or use another data directory"
            }
            StorageErrorKind::Corrupt => {
                ": it is damaged or not a Spate database; move it aside (a new one is made) or restore a backup"
            }
            StorageErrorKind::ReadOnly => {
                ": Spate cannot write it; check the permissions of the file and its directory"
            }
            _ => "",
        };
        Self {
            kind,
            message: format!("database {}: {e}{advice}", path.display()),
        }
    }

    pub(crate) fn io(path: &Path, e: &std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
                StorageErrorKind::ReadOnly
            }
            std::io::ErrorKind::StorageFull => StorageErrorKind::Full,
            _ => StorageErrorKind::Other,
        };
        Self {
            kind,
            message: format!("database {}: {e}", path.display()),
        }
    }

    /// The integrity check found `findings` in the file.
    pub(crate) fn damaged(path: &Path, findings: &str) -> Self {
        Self {
            kind: StorageErrorKind::Corrupt,
            message: format!(
                "database {}: it is damaged (integrity check: {findings}); move it aside (a new one is made) or restore a backup",
                path.display()
            ),
        }
    }

    pub(crate) fn closed(path: &Path) -> Self {
        Self {
            kind: StorageErrorKind::Closed,
            message: format!("database {}: closed", path.display()),
        }
    }

    pub(crate) fn too_new(path: &Path, component: &str, found: u32, known: u32) -> Self {
        Self {
            kind: StorageErrorKind::TooNew,
            message: format!(
                "database {}: its {component} tables are at version {found}, this Spate knows up to {known}; \
                 run the newer Spate that wrote it, or start on another data directory",
                path.display()
            ),
        }
    }
}

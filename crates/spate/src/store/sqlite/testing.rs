//! What the SQLite stores' tests share: a fresh data directory, removed when dropped, and a
//! way to make the next writes fail.

use std::path::PathBuf;

use super::{Database, Durability};

/// A data directory under the system's temporary one, removed on drop.
pub(super) struct TempDir(PathBuf);

impl TempDir {
    pub(super) fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("spate-store-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The database in this directory.
    pub(super) fn open(&self) -> Database {
        Database::open_dir(&self.0, Durability::Normal).unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Makes every later write of `db` fail (`SQLITE_READONLY`), or work again.
pub(super) async fn refuse_writes(db: &Database, refuse: bool) {
    db.write(move |c| c.pragma_update(None, "query_only", refuse))
        .await
        .unwrap();
}

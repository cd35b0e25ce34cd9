//! The links `gazette collect` has taken from feeds, so that a run from cron
//! every hour adds each one once, even after the editor deleted its item.

use super::Store;
use crate::error::Result;
use rusqlite::OptionalExtension;

/// 5: the collected links, keyed by the normalised URL (one link saved in two
/// feeds is collected once).
pub const MIGRATION: &str = "
CREATE TABLE collected (
    link_key TEXT PRIMARY KEY,
    link     TEXT NOT NULL,
    feed     TEXT NOT NULL,
    seen     TEXT NOT NULL
) STRICT, WITHOUT ROWID;
";

impl Store {
    /// Whether the link normalised as `key` was collected before.
    pub fn was_collected(&self, key: &str) -> Result<bool> {
        let found: Option<i64> = self
            .conn()
            .query_row("SELECT 1 FROM collected WHERE link_key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.error())?;
        Ok(found.is_some())
    }

    /// Records that `link` (normalised as `key`) was taken from `feed` at `seen`.
    pub fn record_collected(
        &self,
        key: &str,
        link: &str,
        feed: &str,
        seen: jiff::Timestamp,
    ) -> Result<()> {
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO collected (link_key, link, feed, seen) VALUES (?1, ?2, ?3, ?4)",
                (key, link, feed, seen.to_string()),
            )
            .map_err(self.error())?;
        Ok(())
    }
}

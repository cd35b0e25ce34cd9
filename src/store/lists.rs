//! The list's identities: every list id (`list_id`, by default derived from
//! the newsletter's `name`) its tokens were ever made under, and the one each
//! issue's send began with. A renamed newsletter keeps honouring the links
//! it sent before (the MAC of a token binds its list id), and a send resumed
//! after a rename keeps its Message-IDs.

use super::Store;
use crate::error::Result;
use rusqlite::{OptionalExtension, params};

/// Migration 4: the list ids in use, and each send's.
pub const MIGRATION: &str = "
ALTER TABLE sends ADD COLUMN list_id TEXT;
CREATE TABLE list_ids (
    list_id    TEXT PRIMARY KEY,
    first_used INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
";

impl Store {
    /// Records that tokens are made under `list_id` (from `now`, Unix
    /// seconds). Writes only when it is new, so a busy store is rarely locked.
    pub fn remember_list_id(&mut self, list_id: &str, now: i64) -> Result<()> {
        if self.list_ids()?.iter().any(|l| l == list_id) {
            return Ok(());
        }
        self.conn()
            .execute(
                "INSERT OR IGNORE INTO list_ids (list_id, first_used) VALUES (?1, ?2)",
                params![list_id, now],
            )
            .map_err(self.error())?;
        Ok(())
    }

    /// Every list id this list has used, oldest first.
    pub fn list_ids(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT list_id FROM list_ids ORDER BY first_used, list_id")
            .map_err(self.error())?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(self.error())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.error())
    }

    /// The list id the send of `issue` began under (`None` before it began,
    /// or for a send begun by a gazette that did not record it).
    pub fn send_list_id(&self, issue: u32) -> Result<Option<String>> {
        self.conn()
            .query_row("SELECT list_id FROM sends WHERE issue = ?1", [issue], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()
            .map(Option::flatten)
            .map_err(self.error())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn list_ids_are_remembered_once_and_sends_keep_theirs() {
        let mut store = Store::open_in_memory().unwrap();
        store.remember_list_id("a.example", 10).unwrap();
        store.remember_list_id("a.example", 20).unwrap();
        store.begin_send(41, "S", "b.example", 30, false).unwrap();
        store.remember_list_id("c.example", 40).unwrap();
        assert_eq!(
            store.list_ids().unwrap(),
            ["a.example", "b.example", "c.example"]
        );
        assert_eq!(
            store.send_list_id(41).unwrap().as_deref(),
            Some("b.example")
        );
        // A resumed send keeps the list id it began under.
        store.begin_send(41, "S", "c.example", 50, true).unwrap();
        assert_eq!(
            store.send_list_id(41).unwrap().as_deref(),
            Some("b.example")
        );
        assert_eq!(store.send_list_id(42).unwrap(), None);
    }
}

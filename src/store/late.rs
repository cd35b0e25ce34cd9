//! A reader added to an issue after its send: the latest issue that the
//! welcome mail's `send_latest` sends to a newly confirmed reader.

use super::Store;
use crate::error::Result;
use crate::id::SubscriberId;
use rusqlite::params;

impl Store {
    /// The latest issue whose send is complete (imported issues included).
    pub fn latest_published(&self) -> Result<Option<u32>> {
        Ok((self.send_records()?.into_iter())
            .find(|r| r.completed.is_some())
            .map(|r| r.issue))
    }

    /// Puts `subscriber_id` in `issue`'s ledger as being sent now, unless they
    /// are in it already (then `false`: nobody gets a second copy).
    pub fn add_late(&mut self, issue: u32, subscriber_id: SubscriberId, now: i64) -> Result<bool> {
        let fail = self.error();
        let tx = self.write()?;
        let added = (tx.prepare_cached(
            "INSERT OR IGNORE INTO deliveries (issue, subscriber_id, state, attempts, updated)
             VALUES (?1, ?2, 'sending', 0, ?3)",
        ))
        .and_then(|mut s| s.execute(params![issue, subscriber_id, now]))
        .map_err(&fail)?;
        tx.commit().map_err(&fail)?;
        Ok(added == 1)
    }
}

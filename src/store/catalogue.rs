//! Issues published before gazette, brought in by `gazette import`: each is a
//! send row (started and completed at its date, no deliveries), so the archive,
//! the feed and the schedule see it as published, and an `imports` row that
//! says it was imported, so `send` refuses it and `status` says so.

use super::Store;
use crate::error::{Error, Result};
use rusqlite::{OptionalExtension, params};

/// Migration 6: which sends were imported, from which file, when.
pub const MIGRATION: &str = "
CREATE TABLE imports (
    issue    INTEGER PRIMARY KEY REFERENCES sends (issue),
    source   TEXT NOT NULL,
    imported INTEGER NOT NULL
) STRICT;
";

/// An imported issue.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub issue: u32,
    /// The Markdown file it came from, as named on the command line.
    pub source: String,
    /// When it was imported (Unix seconds).
    pub imported: i64,
}

impl Store {
    /// The import of `issue`, if it was imported.
    pub fn imported(&self, issue: u32) -> Result<Option<Imported>> {
        self.conn()
            .query_row(
                "SELECT issue, source, imported FROM imports WHERE issue = ?1",
                [issue],
                |r| {
                    Ok(Imported {
                        issue: r.get(0)?,
                        source: r.get(1)?,
                        imported: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(self.error())
    }

    /// An error when `issue` was imported: it was published before gazette,
    /// and a list send of it would mail the whole list an old issue.
    pub fn not_imported(&self, issue: u32) -> Result<()> {
        match self.imported(issue)? {
            None => Ok(()),
            Some(i) => Err(Error::Input(format!(
                "issue #{issue} was imported (from {}) as published before gazette: there is nothing to send",
                i.source
            ))),
        }
    }

    /// Records `issue` as published at `published` (Unix seconds) with
    /// `subject`, imported from `source` at `now`; again, it updates them. The
    /// caller has made sure gazette never sent this issue itself.
    pub fn record_import(
        &mut self,
        issue: u32,
        subject: &str,
        published: i64,
        source: &str,
        now: i64,
    ) -> Result<()> {
        let fail = self.error();
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO sends (issue, subject, started, completed) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (issue) DO UPDATE SET subject = ?2, started = ?3, completed = ?3",
            params![issue, subject, published],
        )
        .map_err(&fail)?;
        tx.execute(
            "INSERT INTO imports (issue, source, imported) VALUES (?1, ?2, ?3)
             ON CONFLICT (issue) DO UPDATE SET source = ?2, imported = ?3",
            params![issue, source, now],
        )
        .map_err(&fail)?;
        tx.commit().map_err(&fail)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn an_import_is_a_completed_send_without_deliveries() {
        let mut s = Store::open_in_memory().unwrap();
        assert_eq!(s.imported(519).unwrap(), None);
        s.record_import(519, "Issue #519", 1_607_258_341, "519.md", 1_800_000_000)
            .unwrap();
        let r = s.send_record(519).unwrap().unwrap();
        assert_eq!(
            (r.started, r.completed),
            (1_607_258_341, Some(1_607_258_341))
        );
        assert_eq!(s.state_counts(519).unwrap().remaining(), 0);
        s.record_import(519, "Issue #519!", 1_607_258_000, "519.md", 1_800_000_001)
            .unwrap();
        assert_eq!(s.send_record(519).unwrap().unwrap().subject, "Issue #519!");
        assert_eq!(s.imported(519).unwrap().unwrap().imported, 1_800_000_001);
    }
}

//! Merging parsed rows into the store, in one transaction: all or nothing.

use super::Parsed;
use crate::error::Result;
use crate::store::merge::Outcome;
use crate::store::subscribers::{by_key, never_used, suppress, upsert};
use crate::store::{Source, Status, Store, email_key};
use jiff::Timestamp;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Recorded on new subscribers whose row names no source.
    pub source: Source,
    /// Make addresses that left active (or pending) again, as the file says.
    pub resubscribe: bool,
    /// Do everything, then roll back.
    pub dry_run: bool,
}

/// What an import did; `skipped` counts the rows that changed nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub added: u64,
    pub updated: u64,
    pub skipped: u64,
    pub invalid: u64,
    /// Of the skipped: addresses that left and stay so.
    pub kept_left: u64,
    /// Of the skipped: addresses on the suppression list.
    pub suppressed: u64,
    /// Of the skipped: rows repeating an address earlier in the file.
    pub duplicates: u64,
    /// Each row that was skipped or suppressed, and why, in file order.
    pub notes: Vec<RowNote>,
}

/// One row the import did not take as the file says, named for the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowNote {
    pub line: u64,
    pub email: String,
    pub what: Noted,
}

/// What happened to a [`RowNote`]'s row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noted {
    /// It had left (with this status) and was not resubscribed.
    KeptLeft(Status),
    /// It is on the suppression list: not added.
    Suppressed,
    /// Blocklisted in the file: stored as unsubscribed and suppressed.
    Blocklisted,
}

impl std::fmt::Display for Noted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Noted::KeptLeft(s) => write!(
                f,
                "skipped: it is {s}; --resubscribe makes it active again"
            ),
            Noted::Suppressed => f.write_str(
                "skipped: on the suppression list (forgotten or blocklisted), never added again",
            ),
            Noted::Blocklisted => f.write_str(
                "blocklisted: on the suppression list now, never mailed again, whatever --resubscribe says",
            ),
        }
    }
}

impl Store {
    /// Merges parsed rows into the store in one transaction: all or nothing.
    pub fn import(
        &mut self,
        parsed: &Parsed,
        options: &ImportOptions,
        now: Timestamp,
    ) -> Result<Summary> {
        let fail = self.error();
        let tx = self.write()?;
        let restore_ids = never_used(&tx).map_err(&fail)?;
        let mut summary = Summary {
            invalid: parsed.bad.len() as u64,
            duplicates: parsed.duplicates,
            skipped: parsed.duplicates,
            ..Summary::default()
        };
        for inc in &parsed.rows {
            let outcome = upsert(
                &tx,
                inc,
                &options.source,
                options.resubscribe,
                restore_ids,
                now,
            )
            .map_err(&fail)?;
            let mut note = |what| {
                summary.notes.push(RowNote {
                    line: inc.line,
                    email: inc.email.clone(),
                    what,
                })
            };
            if inc.blocklisted && outcome != Outcome::Suppressed {
                suppress(&tx, &inc.email, now).map_err(&fail)?;
                note(Noted::Blocklisted);
            }
            match outcome {
                Outcome::Added(_) => summary.added += 1,
                Outcome::Updated { .. } => summary.updated += 1,
                Outcome::Unchanged(_) => summary.skipped += 1,
                Outcome::KeptLeft(_) => {
                    let status = by_key(&tx, &email_key(&inc.email))
                        .map_err(&fail)?
                        .map_or(Status::Unsubscribed, |s| s.status);
                    note(Noted::KeptLeft(status));
                    summary.skipped += 1;
                    summary.kept_left += 1;
                }
                Outcome::Suppressed => {
                    note(Noted::Suppressed);
                    summary.skipped += 1;
                    summary.suppressed += 1;
                }
            }
        }
        if options.dry_run {
            tx.rollback().map_err(&fail)?;
        } else {
            tx.commit().map_err(&fail)?;
        }
        Ok(summary)
    }
}

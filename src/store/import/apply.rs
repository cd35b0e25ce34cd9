//! Merging parsed rows into the store, in one transaction: all or nothing.

use super::Parsed;
use crate::error::Result;
use crate::store::merge::Outcome;
use crate::store::subscribers::{never_used, upsert};
use crate::store::{Source, Store};
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
            match outcome {
                Outcome::Added(_) => summary.added += 1,
                Outcome::Updated { .. } => summary.updated += 1,
                Outcome::Unchanged(_) => summary.skipped += 1,
                Outcome::KeptLeft(_) => {
                    summary.skipped += 1;
                    summary.kept_left += 1;
                }
                Outcome::Suppressed => {
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

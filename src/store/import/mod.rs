//! CSV import: parse a file's bytes into subscribers, then merge them into the
//! store in one transaction.
//!
//! Parsing needs no file system or database, so every row rule is tested on
//! bytes. A bad row is reported with its line and skipped; duplicates in the
//! file are folded together before the store sees them (see [`super::merge`]).

mod apply;
mod row;
#[cfg(test)]
mod tests;

pub use apply::{ImportOptions, Noted, RowNote, Summary};
pub use row::parse_time;

use super::header::{Field, FileProblem, Layout};
use super::merge::{self, Incoming};
use super::subscriber::UnknownName;
use crate::address::AddressError;
use std::collections::HashMap;

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    /// The column (in characters, from 1) where the cell at fault starts.
    pub column: u64,
    pub reason: RowProblem,
}

/// A parsed file: its subscribers (one per address) and its bad rows.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Incoming>,
    pub bad: Vec<BadRow>,
    /// Rows folded into an earlier row for the same address.
    pub duplicates: u64,
    /// Each of those rows: (its line, its address, the line it joined).
    pub merged: Vec<(u64, String, u64)>,
    /// What separates the cells: `,`, or `;` or a tab when the first line
    /// has no comma but those.
    pub delimiter: u8,
}

/// The cell separator of a file, from its first line: a comma unless the
/// line holds none but holds semicolons (a spreadsheet in a comma-decimal
/// locale) or tabs.
fn delimiter(bytes: &[u8]) -> u8 {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(b"");
    let count = |c: u8| first.iter().filter(|&&b| b == c).count();
    match (count(b','), count(b';'), count(b'\t')) {
        (0, semi, _) if semi > 0 => b';',
        (0, 0, tabs) if tabs > 0 => b'\t',
        _ => b',',
    }
}

/// Why one row of an import was skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error("`{column}` is not a timestamp: `{value}`")]
    Time { column: &'static str, value: String },
    #[error("`id` is not a positive whole number: `{0}`")]
    Id(String),
    #[error(transparent)]
    Name(#[from] UnknownName),
    #[error("the row is not valid UTF-8")]
    NotUtf8,
    #[error("cannot read the rest of the file: {0}")]
    Unreadable(String),
}

/// Parses a CSV file's bytes. Fails only when no column holds addresses.
pub fn parse(bytes: &[u8]) -> Result<Parsed, FileProblem> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let delimiter = delimiter(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut parsed = Parsed {
        delimiter,
        ..Parsed::default()
    };
    let mut layout: Option<Layout> = None;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut lines = Lines::new(bytes);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                parsed.bad.push(BadRow {
                    line,
                    column: 1,
                    reason: RowProblem::Unreadable(e.to_string()),
                });
                break;
            }
        }
        let line = lines.of_record_after(record.position().map_or(0, |p| p.byte()));
        let column = |cell: Option<usize>| {
            cell.map_or(1, |i| cell_column(bytes, lines.counted, i, delimiter))
        };
        let cells: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
        let Ok(cells) = cells else {
            let bad = record.iter().position(|c| std::str::from_utf8(c).is_err());
            let (column, reason) = (column(bad), RowProblem::NotUtf8);
            parsed.bad.push(BadRow {
                line,
                column,
                reason,
            });
            continue;
        };
        let layout = match &layout {
            Some(l) => l,
            None => {
                let found = layout.insert(Layout::detect(&cells)?);
                if found.has_header {
                    continue;
                }
                found
            }
        };
        match row::row(layout, &cells) {
            Err(reason) => {
                let column = column(reason.field().and_then(|f| layout.column(f)));
                parsed.bad.push(BadRow {
                    line,
                    column,
                    reason,
                })
            }
            Ok(mut inc) => {
                inc.line = line;
                match seen.get(&crate::store::email_key(&inc.email)) {
                    Some(&i) => {
                        let into = parsed.rows[i].line;
                        parsed.merged.push((line, inc.email.clone(), into));
                        merge::combine(&mut parsed.rows[i], inc);
                        parsed.duplicates += 1;
                    }
                    None => {
                        seen.insert(crate::store::email_key(&inc.email), parsed.rows.len());
                        parsed.rows.push(inc);
                    }
                }
            }
        }
    }
    if layout.is_none() {
        return Err(FileProblem::Empty);
    }
    Ok(parsed)
}

/// The column (in characters, from 1) of cell `index` of the record that
/// starts at byte `start`, found by walking its cells as written.
fn cell_column(bytes: &[u8], start: usize, index: usize, delimiter: u8) -> u64 {
    let rest = bytes.get(start..).unwrap_or_default();
    let (mut cell, mut quoted, mut at) = (0, false, rest.len());
    for (i, &b) in rest.iter().enumerate() {
        if cell == index {
            at = i;
            break;
        }
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b if b == delimiter && !quoted => cell += 1,
            _ => {}
        }
    }
    if cell < index {
        return 1;
    }
    String::from_utf8_lossy(&rest[..at]).chars().count() as u64 + 1
}

/// Line numbers of records. The csv crate knows where it stood before a
/// record, not where the record starts after CRLFs and blank lines.
struct Lines<'a> {
    bytes: &'a [u8],
    counted: usize,
    line: u64,
}

impl RowProblem {
    /// The field whose cell is at fault, if one is.
    fn field(&self) -> Option<Field> {
        Some(match self {
            RowProblem::Address(_) => Field::Email,
            RowProblem::Time { column, .. } => match *column {
                "created" => Field::Created,
                "confirmed" => Field::Confirmed,
                "unsubscribed" => Field::Unsubscribed,
                "clean_time" => Field::Cleaned,
                _ => Field::ConsentAt,
            },
            RowProblem::Id(_) => Field::Id,
            RowProblem::Name(UnknownName::Status(_)) => Field::Status,
            RowProblem::Name(UnknownName::Source(_)) => Field::Source,
            RowProblem::NotUtf8 | RowProblem::Unreadable(_) => return None,
        })
    }
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        Lines {
            bytes,
            counted: 0,
            line: 1,
        }
    }

    /// The line of the record that starts at or after byte `from`.
    fn of_record_after(&mut self, from: u64) -> u64 {
        let from = (from as usize).min(self.bytes.len());
        let skip = self.bytes[from..]
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let start = (from + skip).max(self.counted);
        let newlines = self.bytes[self.counted..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines as u64;
        self.counted = start;
        self.line
    }
}

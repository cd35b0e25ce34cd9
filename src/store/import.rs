//! CSV import: parse a file's bytes into subscribers, then merge them into the
//! store in one transaction.
//!
//! Parsing needs no file system or database, so every row rule is tested on
//! bytes. A bad row is reported with its line and skipped; duplicates in the
//! file are folded together before the store sees them (see [`super::merge`]).

use super::export::restore;
use super::header::{Field, FileProblem, Layout};
use super::merge::{self, Incoming, Outcome};
use super::subscriber::{UnknownName, clean_name};
use super::subscribers::{never_used, upsert};
use super::{Consent, Source, Status, Store};
use crate::address::{self, AddressError};
use crate::error::Result;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use std::collections::HashMap;

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub reason: RowProblem,
}

/// A parsed file: its subscribers (one per address) and its bad rows.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<Incoming>,
    pub bad: Vec<BadRow>,
    /// Rows folded into an earlier row for the same address.
    pub duplicates: u64,
}

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
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut parsed = Parsed::default();
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
                    reason: RowProblem::Unreadable(e.to_string()),
                });
                break;
            }
        }
        let line = lines.of_record_after(record.position().map_or(0, |p| p.byte()));
        let cells: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
        let Ok(cells) = cells else {
            let reason = RowProblem::NotUtf8;
            parsed.bad.push(BadRow { line, reason });
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
        match row(layout, &cells) {
            Err(reason) => parsed.bad.push(BadRow { line, reason }),
            Ok(mut inc) => {
                inc.line = line;
                match seen.get(&super::email_key(&inc.email)) {
                    Some(&i) => {
                        merge::combine(&mut parsed.rows[i], inc);
                        parsed.duplicates += 1;
                    }
                    None => {
                        seen.insert(super::email_key(&inc.email), parsed.rows.len());
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

/// Line numbers of records. The csv crate knows where it stood before a
/// record, not where the record starts after CRLFs and blank lines.
struct Lines<'a> {
    bytes: &'a [u8],
    counted: usize,
    line: u64,
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

/// One row, by the layout.
fn row(layout: &Layout, cells: &[&str]) -> Result<Incoming, RowProblem> {
    let get = |f: Field| {
        layout
            .column(f)
            .and_then(|i| cells.get(i))
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
    };
    let time = |f: Field, what: &'static str| -> Result<Option<Timestamp>, RowProblem> {
        get(f)
            .map(|v| {
                parse_time(v).ok_or_else(|| RowProblem::Time {
                    column: what,
                    value: v.to_string(),
                })
            })
            .transpose()
    };
    let email = address::normalize(get(Field::Email).unwrap_or(""))?;
    let name = get(Field::Name)
        .map(restore)
        .and_then(clean_name)
        .or_else(|| {
            let parts: Vec<&str> = [Field::FirstName, Field::LastName]
                .into_iter()
                .filter_map(get)
                .collect();
            clean_name(&parts.join(" "))
        });
    let unsubscribed = time(Field::Unsubscribed, "unsubscribed")?;
    let cleaned = time(Field::Cleaned, "clean_time")?;
    let mut status = match get(Field::Status) {
        Some(v) => status(v)?,
        None if cleaned.is_some() => Status::Bounced,
        None if unsubscribed.is_some() => Status::Unsubscribed,
        None => Status::Active,
    };
    if let Some(v) = get(Field::SubscriptionStatus) {
        match (status, self::status(v)?) {
            (Status::Active, Status::Pending) => status = Status::Pending,
            (s, Status::Unsubscribed) if !s.has_left() => status = Status::Unsubscribed,
            _ => {}
        }
    }
    let id = match get(Field::Id) {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => return Err(RowProblem::Id(v.to_string())),
        },
    };
    Ok(Incoming {
        line: 0,
        id,
        email,
        name,
        status,
        created: time(Field::Created, "created")?,
        confirmed: time(Field::Confirmed, "confirmed")?,
        unsubscribed: unsubscribed.or(cleaned),
        source: get(Field::Source).map(str::parse).transpose()?,
        consent: Consent {
            at: time(Field::ConsentAt, "consent_at")?,
            how: Some(get(Field::ConsentHow).unwrap_or("import").to_string()),
            text: get(Field::ConsentText).map(|t| restore(t).to_string()),
            ip: get(Field::ConsentIp)
                .or_else(|| get(Field::ConfirmIp))
                .map(str::to_string),
        },
    })
}

/// A status as gazette, listmonk or Mailchimp writes it.
fn status(value: &str) -> Result<Status, RowProblem> {
    Ok(match value.to_ascii_lowercase().as_str() {
        "active" | "enabled" | "subscribed" | "confirmed" => Status::Active,
        "pending" | "unconfirmed" => Status::Pending,
        "unsubscribed" | "blocklisted" | "blacklisted" | "disabled" => Status::Unsubscribed,
        "bounced" | "cleaned" => Status::Bounced,
        "complained" => Status::Complained,
        _ => return Err(UnknownName::Status(value.to_string()).into()),
    })
}

/// An instant with an offset (RFC 3339, or Postgres's `2021-04-04 12:41:55+00`),
/// or a date and time without one, read as UTC (Mailchimp's `2019-02-01 10:00:00`).
pub fn parse_time(value: &str) -> Option<Timestamp> {
    value.parse::<Timestamp>().ok().or_else(|| {
        let dt = value.parse::<DateTime>().ok()?;
        dt.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(text: &[u8]) -> Vec<(u64, String)> {
        let parsed = parse(text).unwrap();
        parsed
            .bad
            .into_iter()
            .map(|b| (b.line, b.reason.to_string()))
            .collect()
    }

    #[test]
    fn reads_a_bare_column_with_a_bom_and_crlf() {
        let parsed = parse(b"\xef\xbb\xbfada@Example.COM\r\n\r\nbob@example.org\r\n").unwrap();
        let emails: Vec<_> = parsed.rows.iter().map(|r| r.email.as_str()).collect();
        assert_eq!(emails, ["ada@example.com", "bob@example.org"]);
        assert_eq!(parsed.rows[1].line, 3);
        assert!(parsed.rows.iter().all(|r| r.status == Status::Active));
    }

    #[test]
    fn maps_listmonk_statuses() {
        let text = "uuid,email,name,attributes,status,created_at,updated_at,subscription_status\n\
            u1,a@x.org,A,\"{\"\"city\"\": \"\"Oslo\"\"}\",enabled,2021-04-04 12:41:55.431046+00:00,,confirmed\n\
            u2,b@x.org,B,{},blocklisted,2021-04-04 12:41:55+00,,\n\
            u3,c@x.org,C,{},enabled,2021-04-04 12:41:55Z,,unconfirmed\n";
        let parsed = parse(text.as_bytes()).unwrap();
        assert!(parsed.bad.is_empty(), "{:?}", parsed.bad);
        let got: Vec<_> = parsed.rows.iter().map(|r| r.status).collect();
        assert_eq!(got, [Status::Active, Status::Unsubscribed, Status::Pending]);
        assert_eq!(
            parsed.rows[0].created,
            Some("2021-04-04T12:41:55.431046Z".parse().unwrap())
        );
    }

    #[test]
    fn reads_mailchimp_names_times_and_ips() {
        let text = "Email Address,First Name,Last Name,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,UNSUB_TIME\n\
            ada@example.com,Ada,Lovelace,2019-02-01 10:00:00,,2019-02-01 10:05:00,192.0.2.1,\n\
            bob@example.com,,,,,,,2020-01-01 00:00:00\n";
        let parsed = parse(text.as_bytes()).unwrap();
        let ada = &parsed.rows[0];
        assert_eq!(ada.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(
            ada.consent.at,
            Some("2019-02-01T10:00:00Z".parse().unwrap())
        );
        assert_eq!(ada.confirmed, Some("2019-02-01T10:05:00Z".parse().unwrap()));
        assert_eq!(ada.consent.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(parsed.rows[1].status, Status::Unsubscribed);
    }

    #[test]
    fn reports_each_bad_row_with_its_line() {
        let text = b"email,name,status,created,id,source\n\
            ,Nobody,,,,\n\
            not-an-address,X,,,,\n\
            ok@example.com,\xff\xfe,,,,\n\
            s@example.com,S,gone,,,\n\
            t@example.com,T,active,yesterday,,\n\
            i@example.com,I,active,,-3,\n\
            w@example.com,W,active,,,web\n\
            fine@example.com,Fine,active,,,\n";
        assert_eq!(
            reasons(text),
            [
                (2, "the address is empty".to_string()),
                (3, "`not-an-address` has no `@`".to_string()),
                (4, "the row is not valid UTF-8".to_string()),
                (5, "unknown status `gone`".to_string()),
                (6, "`created` is not a timestamp: `yesterday`".to_string()),
                (7, "`id` is not a positive whole number: `-3`".to_string()),
                (
                    8,
                    "`source` must be `cli`, `form` or `import:FILE`, not `web`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn folds_duplicates_case_insensitively() {
        let parsed = parse(b"email,name\nAda@example.com,\nada@EXAMPLE.com,Ada\n").unwrap();
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.duplicates, 1);
        assert_eq!(parsed.rows[0].email, "Ada@example.com");
        assert_eq!(parsed.rows[0].name.as_deref(), Some("Ada"));
    }

    #[test]
    fn a_file_without_addresses_is_refused() {
        assert_eq!(parse(b"").unwrap_err().to_string(), "the file is empty");
        assert!(
            parse(b"uuid,name\n1,Ada\n")
                .unwrap_err()
                .to_string()
                .starts_with("no email column")
        );
    }
}

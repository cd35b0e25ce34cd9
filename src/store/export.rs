//! CSV export: every column of every subscriber, in a form `import` reads
//! back to the same state (ids too, when the store it goes into is new).

use super::header::EXPORT_HEADER;
use super::subscriber::stamp;
use super::{Store, Subscriber};
use crate::error::{Error, Result};
use std::io::Write;

impl Store {
    /// Writes every subscriber, by id, under [`EXPORT_HEADER`]; returns how many.
    pub fn export(&self, out: impl Write) -> Result<u64> {
        let fail = |e: csv::Error| {
            let source = match e.into_kind() {
                csv::ErrorKind::Io(e) => e,
                other => std::io::Error::other(format!("{other:?}")),
            };
            Error::Io {
                what: "cannot write the export".into(),
                source,
            }
        };
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(EXPORT_HEADER).map_err(fail)?;
        let mut n = 0;
        self.each(None, |s| {
            n += 1;
            writer.write_record(record(&s)).map_err(fail)
        })?;
        writer
            .flush()
            .map_err(Error::io("cannot write the export"))?;
        Ok(n)
    }
}

/// Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a
/// carriage return first) gets a leading `'`, as OWASP advises for CSV;
/// [`restore`] takes it off again on import.
pub(super) fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) || restore(text) != text {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The text [`defuse`] was given.
pub(super) fn restore(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) => rest,
        _ => text,
    }
}

/// One subscriber's cells, in the order of [`EXPORT_HEADER`].
fn record(s: &Subscriber) -> [String; 13] {
    let opt = |v: &Option<String>| v.as_deref().map(defuse).unwrap_or_default();
    let time = |t: Option<jiff::Timestamp>| t.map(stamp).unwrap_or_default();
    [
        s.id.to_string(),
        s.email.clone(),
        opt(&s.name),
        s.status.to_string(),
        stamp(s.created),
        time(s.confirmed),
        time(s.unsubscribed),
        s.source.to_string(),
        time(s.consent.at),
        opt(&s.consent.how),
        opt(&s.consent.text),
        opt(&s.consent.ip),
        opt(&s.attributes),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::Source;
    use super::super::import::{ImportOptions, parse};
    use super::*;

    #[test]
    fn export_imports_back_to_the_same_state() {
        let now = "2026-12-06T09:00:00Z".parse().unwrap();
        let text = "email,name,status,consent_text,consent_ip\n\
            ada@example.com,\"Lovelace, Ada\",active,\"Yes, send me \"\"the digest\"\"\",192.0.2.1\n\
            bob@example.com,,unsubscribed,,\n\
            cy@example.com,Cy,pending,,\n";
        let options = ImportOptions {
            source: Source::Import("a.csv".into()),
            resubscribe: false,
            dry_run: false,
        };
        let mut first = Store::open_in_memory().unwrap();
        first.forget("gone@example.com", now).unwrap();
        first
            .import(&parse(text.as_bytes()).unwrap(), &options, now)
            .unwrap();
        first.forget("cy@example.com", now).unwrap();
        let mut exported = Vec::new();
        assert_eq!(first.export(&mut exported).unwrap(), 2);

        let mut second = Store::open_in_memory().unwrap();
        let later = "2027-01-01T00:00:00Z".parse().unwrap();
        let summary = second
            .import(&parse(&exported).unwrap(), &options, later)
            .unwrap();
        assert_eq!(summary.added, 2);
        let mut again = Vec::new();
        second.export(&mut again).unwrap();
        assert_eq!(
            String::from_utf8(again).unwrap(),
            String::from_utf8(exported).unwrap()
        );
    }

    #[test]
    fn names_that_look_like_formulas_are_defused_and_read_back() {
        for name in [
            "=HYPERLINK(\"x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "'=quoted",
            "plain",
        ] {
            let cell = defuse(name);
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
            assert_eq!(restore(&cell), name);
        }
        let now = "2026-12-06T09:00:00Z".parse().unwrap();
        let options = ImportOptions {
            source: Source::Import("a.csv".into()),
            resubscribe: false,
            dry_run: false,
        };
        let mut store = Store::open_in_memory().unwrap();
        let text = "email,name\nada@example.com,=cmd|' /C calc'!A0\n";
        store
            .import(&parse(text.as_bytes()).unwrap(), &options, now)
            .unwrap();
        let mut exported = Vec::new();
        store.export(&mut exported).unwrap();
        let exported = String::from_utf8(exported).unwrap();
        assert!(exported.contains(",'=cmd|"), "{exported}");
        let mut second = Store::open_in_memory().unwrap();
        second
            .import(&parse(exported.as_bytes()).unwrap(), &options, now)
            .unwrap();
        let ada = second.get_by_email("ada@example.com").unwrap().unwrap();
        assert_eq!(ada.name.as_deref(), Some("=cmd|' /C calc'!A0"));
    }
}

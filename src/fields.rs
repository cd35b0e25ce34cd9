//! A typed, span-keeping reader over a parsed TOML table.
//!
//! Drafts and the config are both TOML that a person wrote, so both are read
//! through [`Fields`]: each `take_*` call removes one key, checks its type and
//! records a diagnostic pointing at the value when it is wrong; `finish` then
//! reports every key nobody took, with a "did you mean" hint.

use crate::diag::{Diagnostic, suggest};
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A TOML value with the byte span it came from.
pub type Value<'i> = Spanned<DeValue<'i>>;

/// Parses `text` as TOML, turning a syntax error into a diagnostic.
pub fn parse(text: &str) -> Result<Spanned<DeTable<'_>>, Diagnostic> {
    DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim_end().replace('\n', "; ");
        Diagnostic::error(span, format!("invalid TOML: {message}"))
    })
}

/// The keys of one table, taken one by one.
pub struct Fields<'i, 'd> {
    entries: Vec<(Spanned<String>, Value<'i>)>,
    span: Range<usize>,
    what: String,
    known: Vec<String>,
    /// Missing-key errors already pushed, by key: dropped again when a
    /// misspelling of the key turns up, which `finish` reports instead.
    missing: Vec<(String, Diagnostic)>,
    pub diags: &'d mut Vec<Diagnostic>,
}

impl<'i, 'd> Fields<'i, 'd> {
    /// `what` names the table in messages, e.g. "the draft" or "news item 2".
    pub fn new(
        table: DeTable<'i>,
        span: Range<usize>,
        what: impl Into<String>,
        diags: &'d mut Vec<Diagnostic>,
    ) -> Fields<'i, 'd> {
        let entries = table
            .into_iter()
            .map(|(k, v)| {
                let span = k.span();
                (Spanned::new(span, k.into_inner().into_owned()), v)
            })
            .collect();
        Fields {
            entries,
            span,
            what: what.into(),
            known: Vec::new(),
            missing: Vec::new(),
            diags,
        }
    }

    /// The span of the whole table.
    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    pub fn what(&self) -> &str {
        &self.what
    }

    /// Removes and returns the raw value of `key`, if present.
    pub fn take(&mut self, key: &str) -> Option<Value<'i>> {
        self.known.push(key.to_string());
        let at = self.entries.iter().position(|(k, _)| k.get_ref() == key)?;
        Some(self.entries.remove(at).1)
    }

    /// Keys still present, in document order.
    pub fn remaining_keys(&self) -> Vec<(String, Range<usize>)> {
        let mut keys: Vec<_> = self
            .entries
            .iter()
            .map(|(k, _)| (k.get_ref().clone(), k.span()))
            .collect();
        keys.sort_by_key(|(_, s)| s.start);
        keys
    }

    /// Removes and returns every remaining entry, in document order.
    pub fn drain(&mut self) -> Vec<(Spanned<String>, Value<'i>)> {
        let mut all = std::mem::take(&mut self.entries);
        all.sort_by_key(|(k, _)| k.span().start);
        all
    }

    fn missing(&mut self, key: &str, kind: &str) {
        let msg = format!("missing required key `{key}` ({kind}) in {}", self.what);
        self.report_missing(key, Diagnostic::error(self.span.clone(), msg));
    }

    /// Reports that a required `key` is absent, with the caller's own words.
    pub fn report_missing(&mut self, key: &str, diag: Diagnostic) {
        self.missing.push((key.to_string(), diag.clone()));
        self.diags.push(diag);
    }

    /// Withdraws the missing-key error for `key`: an unknown key that is a
    /// misspelling of it is being reported ("did you mean `key`?"), and one
    /// error for one typo is enough.
    pub fn misspelt(&mut self, key: &str) {
        if let Some(at) = self.missing.iter().position(|(k, _)| k == key) {
            let (_, diag) = self.missing.remove(at);
            if let Some(i) = self.diags.iter().rposition(|d| *d == diag) {
                self.diags.remove(i);
            }
        }
    }

    fn wrong_type(&mut self, key: &str, expected: &str, value: &Value<'_>) {
        let found = value.get_ref().type_str();
        let msg = format!("`{key}` must be {expected}, found {found}");
        self.diags.push(Diagnostic::error(value.span(), msg));
    }

    /// An optional string.
    pub fn opt_str(&mut self, key: &'static str) -> Option<Spanned<String>> {
        let value = self.take(key)?;
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            _ => {
                self.wrong_type(key, "a string", &value);
                None
            }
        }
    }

    /// A required string.
    pub fn req_str(&mut self, key: &'static str) -> Option<Spanned<String>> {
        let present = self.entries.iter().any(|(k, _)| k.get_ref() == key);
        let value = self.opt_str(key);
        if !present {
            self.missing(key, "a string");
        }
        value
    }

    /// An optional integer.
    pub fn opt_int(&mut self, key: &'static str) -> Option<Spanned<i64>> {
        let value = self.take(key)?;
        match value.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(Spanned::new(value.span(), n)),
                Err(_) => {
                    let msg = format!("`{key}` is out of range");
                    self.diags.push(Diagnostic::error(value.span(), msg));
                    None
                }
            },
            _ => {
                self.wrong_type(key, "an integer", &value);
                None
            }
        }
    }

    /// A required integer.
    pub fn req_int(&mut self, key: &'static str) -> Option<Spanned<i64>> {
        let present = self.entries.iter().any(|(k, _)| k.get_ref() == key);
        let value = self.opt_int(key);
        if !present {
            self.missing(key, "an integer");
        }
        value
    }

    /// An optional float, also accepting an integer.
    pub fn opt_number(&mut self, key: &'static str) -> Option<Spanned<f64>> {
        let value = self.take(key)?;
        let n = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        if n.is_none() {
            self.wrong_type(key, "a number", &value);
        }
        n.map(|n| Spanned::new(value.span(), n))
    }

    /// An optional boolean.
    pub fn opt_bool(&mut self, key: &'static str) -> Option<Spanned<bool>> {
        let value = self.take(key)?;
        match value.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(value.span(), *b)),
            _ => {
                self.wrong_type(key, "true or false", &value);
                None
            }
        }
    }

    /// An optional TOML date-time of any kind.
    pub fn opt_datetime(&mut self, key: &'static str) -> Option<Spanned<toml::value::Datetime>> {
        let value = self.take(key)?;
        match value.get_ref() {
            DeValue::Datetime(d) => Some(Spanned::new(value.span(), *d)),
            _ => {
                self.wrong_type(key, "a TOML date or date-time", &value);
                None
            }
        }
    }

    /// An optional array of strings.
    pub fn opt_str_array(&mut self, key: &'static str) -> Option<Vec<Spanned<String>>> {
        let value = self.take(key)?;
        let span = value.span();
        let DeValue::Array(items) = value.into_inner() else {
            let msg = format!("`{key}` must be an array of strings");
            self.diags.push(Diagnostic::error(span, msg));
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push(Spanned::new(item.span(), s.to_string())),
                _ => self.wrong_type(key, "an array of strings", item),
            }
        }
        Some(out)
    }

    /// An optional table, as its own `Fields`.
    pub fn opt_table<'e>(&'e mut self, key: &'static str) -> Option<(DeTable<'i>, Range<usize>)> {
        let value = self.take(key)?;
        let span = value.span();
        match value.into_inner() {
            DeValue::Table(t) => Some((t, span)),
            other => {
                let msg = format!("`{key}` must be a table, found {}", other.type_str());
                self.diags.push(Diagnostic::error(span, msg));
                None
            }
        }
    }

    /// Reports each key that no `take` asked for.
    pub fn finish(mut self) {
        let known = std::mem::take(&mut self.known);
        let rest = self.drain();
        for (key, _) in rest {
            let msg = format!("unknown key `{}` in {}", key.get_ref(), self.what);
            let mut diag = Diagnostic::error(key.span(), msg);
            if let Some(near) = suggest(key.get_ref(), known.iter().map(String::as_str)) {
                diag = diag.with_hint(format!("did you mean `{near}`?"));
                self.misspelt(near);
            }
            self.diags.push(diag);
        }
    }
}

/// Splits an array of tables (`[[news]]`) into its tables, reporting other values.
pub fn array_of_tables<'i>(
    key: &str,
    value: Value<'i>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(DeTable<'i>, Range<usize>)> {
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        let msg = format!("`{key}` must be an array of tables, written `[[{key}]]`");
        diags.push(Diagnostic::error(span, msg));
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items.iter().cloned() {
        let span = item.span();
        match item.into_inner() {
            DeValue::Table(t) => out.push((t, span)),
            other => {
                let msg = format!(
                    "each `{key}` entry must be a table, found {}",
                    other.type_str()
                );
                diags.push(Diagnostic::error(span, msg));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Diagnostic> {
        let mut diags = Vec::new();
        let table = parse(text).unwrap();
        let span = table.span();
        let mut f = Fields::new(table.into_inner(), span, "the table", &mut diags);
        f.req_str("name");
        f.req_int("count");
        f.finish();
        diags
    }

    #[test]
    fn a_misspelt_key_is_one_error_not_two() {
        let diags = read("nmae = \"x\"\ncount = 1\n");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].message, "unknown key `nmae` in the table");
        assert_eq!(diags[0].hint.as_deref(), Some("did you mean `name`?"));

        let diags = read("colour = \"x\"\n");
        let msgs: Vec<_> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "missing required key `name` (a string) in the table",
                "missing required key `count` (an integer) in the table",
                "unknown key `colour` in the table",
            ]
        );
    }
}

//! A subscriber as the store keeps it: status, where they came from, and the
//! consent record GDPR asks for; and the keys that identify an address.

use crate::id::SubscriberId;
use jiff::Timestamp;
use rusqlite::Row;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// One subscriber.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// Stable for ever: unsubscribe tokens and Message-IDs derive from it.
    pub id: SubscriberId,
    /// Normalised by [`crate::address::normalize`].
    pub email: String,
    pub name: Option<String>,
    pub status: Status,
    /// When the address entered this store (or the list it was imported from).
    pub created: Timestamp,
    /// When the subscription became active.
    pub confirmed: Option<Timestamp>,
    /// When the address stopped receiving: unsubscribed, bounced or complained.
    pub unsubscribed: Option<Timestamp>,
    pub source: Source,
    pub consent: Consent,
    /// What another list knew of them (listmonk's `attributes`), as JSON text.
    pub attributes: Option<String>,
}

/// Where a subscriber has their status in the life of a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Signed up, not confirmed yet: receives nothing.
    Pending,
    /// Receives every issue.
    Active,
    /// Asked to stop.
    Unsubscribed,
    /// Their mailbox rejects mail for good.
    Bounced,
    /// Reported an issue as spam.
    Complained,
}

impl Status {
    /// Every status, in the order `count` shows them.
    pub const ALL: [Status; 5] = [
        Status::Active,
        Status::Pending,
        Status::Unsubscribed,
        Status::Bounced,
        Status::Complained,
    ];

    /// The names of [`Status::ALL`], for `--status`.
    pub const NAMES: [&str; 5] = ["active", "pending", "unsubscribed", "bounced", "complained"];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Active => "active",
            Status::Unsubscribed => "unsubscribed",
            Status::Bounced => "bounced",
            Status::Complained => "complained",
        }
    }

    /// Whether the address left the list (and so is never made active again
    /// without an explicit resubscription).
    pub fn has_left(self) -> bool {
        matches!(
            self,
            Status::Unsubscribed | Status::Bounced | Status::Complained
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored name (a status, a source) that gazette does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownName {
    #[error("unknown status `{0}`")]
    Status(String),
    #[error("`source` must be `cli`, `form` or `import:FILE`, not `{0}`")]
    Source(String),
}

impl FromStr for Status {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Status, UnknownName> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownName::Status(s.to_string()))
    }
}

/// How an address came to be on the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `gazette subscribers add`.
    Cli,
    /// The subscribe form of `gazette serve`.
    Form,
    /// `gazette subscribers import`, from the file of this name.
    Import(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Cli => f.write_str("cli"),
            Source::Form => f.write_str("form"),
            Source::Import(file) => write!(f, "import:{file}"),
        }
    }
}

impl FromStr for Source {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Source, UnknownName> {
        match s {
            "cli" => Ok(Source::Cli),
            "form" => Ok(Source::Form),
            _ => match s.strip_prefix("import:") {
                Some(file) if !file.is_empty() => Ok(Source::Import(file.to_string())),
                _ => Err(UnknownName::Source(s.to_string())),
            },
        }
    }
}

/// The record of consent: when it was given, how, to what wording, from where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consent {
    pub at: Option<Timestamp>,
    /// `cli` (the editor vouches), `form`, `import`, ...
    pub how: Option<String>,
    /// The wording the person agreed to.
    pub text: Option<String>,
    /// The IP address the consent came from.
    pub ip: Option<String>,
}

impl Consent {
    pub fn is_empty(&self) -> bool {
        *self == Consent::default()
    }
}

/// The columns [`Subscriber::from_row`] reads, in order.
pub(crate) const COLUMNS: &str = "id, email, name, status, created, confirmed, unsubscribed, \
     source, consent_at, consent_how, consent_text, consent_ip, attributes";

impl Subscriber {
    /// Reads a row selected with [`COLUMNS`].
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Subscriber> {
        Ok(Subscriber {
            id: row.get(0)?,
            email: row.get(1)?,
            name: row.get(2)?,
            status: row.get(3)?,
            created: row.get::<_, Stamp>(4)?.0,
            confirmed: row.get::<_, Option<Stamp>>(5)?.map(|s| s.0),
            unsubscribed: row.get::<_, Option<Stamp>>(6)?.map(|s| s.0),
            source: row.get(7)?,
            consent: Consent {
                at: row.get::<_, Option<Stamp>>(8)?.map(|s| s.0),
                how: row.get(9)?,
                text: row.get(10)?,
                ip: row.get(11)?,
            },
            attributes: row.get(12)?,
        })
    }
}

/// What makes two addresses the same: the whole address lower-cased.
pub fn email_key(email: &str) -> String {
    email.to_lowercase()
}

/// A name as the store keeps it: one line, runs of white space (line breaks
/// included) made one space, control characters dropped; `None` when empty.
pub fn clean_name(raw: &str) -> Option<String> {
    let words: Vec<String> = raw
        .split_whitespace()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect())
        .filter(|w: &String| !w.is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The suppression-list entry of an address: SHA-256 of its key, in hex.
pub fn suppression_hash(email: &str) -> String {
    let digest = Sha256::digest(email_key(email).as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// A timestamp as the store writes it: RFC 3339 in UTC.
pub fn stamp(t: Timestamp) -> String {
    t.to_string()
}

/// A timestamp column, read back.
pub(crate) struct Stamp(pub Timestamp);

impl FromSql for Stamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Stamp> {
        let text = value.as_str()?;
        text.parse()
            .map(Stamp)
            .map_err(|e| FromSqlError::Other(format!("bad timestamp `{text}`: {e}").into()))
    }
}

impl FromSql for Status {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Status> {
        value
            .as_str()?
            .parse()
            .map_err(|e: UnknownName| FromSqlError::Other(e.into()))
    }
}

impl ToSql for Status {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Source {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Source> {
        value
            .as_str()?
            .parse()
            .map_err(|e: UnknownName| FromSqlError::Other(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
        }
        for s in ["cli", "form", "import:list.csv"] {
            assert_eq!(s.parse::<Source>().unwrap().to_string(), s);
        }
        assert!("import:".parse::<Source>().is_err());
        assert!("web".parse::<Source>().is_err());
    }

    #[test]
    fn names_are_one_line() {
        assert_eq!(
            clean_name(" Linus\r\n  Torvalds ").as_deref(),
            Some("Linus Torvalds")
        );
        assert_eq!(clean_name("A\u{7}da").as_deref(), Some("Ada"));
        assert_eq!(clean_name(" \t "), None);
    }

    #[test]
    fn hashes_ignore_case() {
        assert_eq!(
            suppression_hash("Ada@Example.com"),
            suppression_hash("ada@example.com")
        );
        // printf 'ada@example.com' | sha256sum
        assert_eq!(
            suppression_hash("ada@example.com"),
            "b5fc85e55755f9e0d030a10ab4429b6b2944855f9a0d60077fe832becbc41d72"
        );
    }
}

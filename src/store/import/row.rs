//! One CSV row to an [`Incoming`] subscriber, by the file's [`Layout`]: the
//! address, the name, the status as gazette, listmonk or Mailchimp writes it,
//! and the timestamps and consent record.

use super::RowProblem;
use crate::address;
use crate::store::export::restore;
use crate::store::header::{Field, Layout};
use crate::store::merge::Incoming;
use crate::store::subscriber::{UnknownName, clean_name};
use crate::store::{Consent, Status};
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

/// One row, by the layout.
pub(super) fn row(layout: &Layout, cells: &[&str]) -> Result<Incoming, RowProblem> {
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
        // `{}` is what listmonk writes for none.
        attributes: get(Field::Attributes)
            .map(restore)
            .filter(|a| a.trim() != "{}")
            .map(str::to_string),
        blocklisted: get(Field::Status).is_some_and(|v| {
            v.eq_ignore_ascii_case("blocklisted") || v.eq_ignore_ascii_case("blacklisted")
        }),
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

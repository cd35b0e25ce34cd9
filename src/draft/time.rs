//! The draft's dates and times: `date` as a local date, and `send_at` as an
//! instant, read in the config's time zone when written without an offset,
//! with daylight-saving gaps and folds refused, naming both candidates.

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::fields;
use jiff::civil;
use jiff::tz::AmbiguousOffset;
use toml::Spanned;
use toml::de::DeValue;

/// `date`, which must be a TOML local date.
pub(super) fn date_value(
    value: fields::Value<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<civil::Date> {
    let span = value.span();
    match value.get_ref() {
        DeValue::Datetime(d) => local_date(&Spanned::new(span, *d), diags),
        other => {
            let msg = format!(
                "`date` must be a date such as 2026-12-06, found {}",
                other.type_str()
            );
            let mut d = Diagnostic::error(span, msg);
            if let DeValue::String(s) = other
                && s.parse::<civil::Date>().is_ok()
            {
                d = d.with_hint(format!("write it without quotes: date = {s}"));
            }
            diags.push(d);
            None
        }
    }
}

fn local_date(
    d: &Spanned<toml::value::Datetime>,
    diags: &mut Vec<Diagnostic>,
) -> Option<civil::Date> {
    match (d.get_ref().date, d.get_ref().time) {
        (Some(date), None) => {
            civil::Date::new(date.year as i16, date.month as i8, date.day as i8).ok()
        }
        _ => {
            let msg = "`date` must be a plain date such as 2026-12-06";
            diags.push(
                Diagnostic::error(d.span(), msg).with_hint("the time to send goes in `send_at`"),
            );
            None
        }
    }
}

/// `send_at` as an instant: `Some(None)` never happens; `None` on error.
pub(super) fn send_at(
    d: &Spanned<toml::value::Datetime>,
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) -> Option<Option<jiff::Timestamp>> {
    let v = d.get_ref();
    let (Some(date), Some(time)) = (v.date, v.time) else {
        let msg = "`send_at` must be a date and time, such as 2026-12-06T09:00:00 or 2026-12-06T09:00:00Z";
        diags.push(Diagnostic::error(d.span(), msg));
        return None;
    };
    let civil = civil::DateTime::new(
        date.year as i16,
        date.month as i8,
        date.day as i8,
        time.hour as i8,
        time.minute as i8,
        time.second as i8,
        time.nanosecond as i32,
    )
    .ok()?;
    let offset_secs = match v.offset {
        Some(toml::value::Offset::Z) => Some(0),
        Some(toml::value::Offset::Custom { minutes }) => Some(i32::from(minutes) * 60),
        None => None,
    };
    if let Some(secs) = offset_secs {
        let offset = jiff::tz::Offset::from_seconds(secs).ok()?;
        return offset.to_timestamp(civil).ok().map(Some);
    }
    let tz_name = &config.timezone_name;
    let ambiguous = config.timezone.to_ambiguous_timestamp(civil);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(civil).ok().map(Some),
        AmbiguousOffset::Gap { before, after } => {
            let (a, b) = (
                before.to_timestamp(civil).ok()?,
                after.to_timestamp(civil).ok()?,
            );
            let msg = format!(
                "`send_at` {civil} does not exist in {tz_name}: the clocks skip it (daylight saving)"
            );
            let hint = format!(
                "write an instant with its offset: {} or {}",
                fmt_instant(a, before),
                fmt_instant(b, after)
            );
            diags.push(Diagnostic::error(d.span(), msg).with_hint(hint));
            None
        }
        AmbiguousOffset::Fold { before, after } => {
            let (a, b) = (
                before.to_timestamp(civil).ok()?,
                after.to_timestamp(civil).ok()?,
            );
            let msg = format!(
                "`send_at` {civil} happens twice in {tz_name}: the clocks go back (daylight saving)"
            );
            let hint = format!(
                "write the one you mean with its offset: {} or {}",
                fmt_instant(a, before),
                fmt_instant(b, after)
            );
            diags.push(Diagnostic::error(d.span(), msg).with_hint(hint));
            None
        }
    }
}

/// An instant as TOML writes an offset date-time, then in UTC.
fn fmt_instant(ts: jiff::Timestamp, offset: jiff::tz::Offset) -> String {
    let local = ts.to_zoned(jiff::tz::TimeZone::fixed(offset));
    format!(
        "{} ({}Z)",
        local.strftime("%Y-%m-%dT%H:%M:%S%:z"),
        ts.strftime("%Y-%m-%dT%H:%M:%S")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Source;
    use crate::draft::parse;
    use std::path::Path;

    fn config(tz: &str) -> Config {
        let text = format!(
            "name = \"N\"\nfrom = \"N <n@example.org>\"\nbase_url = \"https://example.org\"\npostal_address = \"1 Road\"\ntimezone = \"{tz}\"\n"
        );
        Config::parse(Path::new("/n"), &Source::new("c", text)).unwrap()
    }

    fn draft(send_at: &str) -> Source {
        Source::new(
            "d.toml",
            format!(
                "issue = 1\ndate = 2026-03-29\nsend_at = {send_at}\nintro = \"Hi.\"\n[[news]]\ntext = \"x\"\nlinks = [\"https://e.org\"]\n"
            ),
        )
    }

    #[test]
    fn local_send_at_reads_in_the_config_zone() {
        let (d, _) = parse(&draft("2026-03-29T09:00:00"), &config("Europe/London")).unwrap();
        assert_eq!(d.send_at, Some("2026-03-29T08:00:00Z".parse().unwrap()));
        let (d, _) = parse(
            &draft("2026-03-29T09:00:00+02:00"),
            &config("Europe/London"),
        )
        .unwrap();
        assert_eq!(d.send_at, Some("2026-03-29T07:00:00Z".parse().unwrap()));
    }

    #[test]
    fn a_skipped_or_repeated_local_time_names_both_instants() {
        let errors = |d| {
            parse(&d, &config("Europe/London"))
                .unwrap_err()
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect::<Vec<_>>()
        };
        let gap = errors(draft("2026-03-29T01:30:00"));
        assert_eq!(
            gap[0].message,
            "`send_at` 2026-03-29T01:30:00 does not exist in Europe/London: the clocks skip it (daylight saving)"
        );
        assert_eq!(
            gap[0].hint.as_deref(),
            Some(
                "write an instant with its offset: 2026-03-29T01:30:00+00:00 (2026-03-29T01:30:00Z) or 2026-03-29T01:30:00+01:00 (2026-03-29T00:30:00Z)"
            )
        );
        let fold: Vec<_> = parse(&draft("2026-11-01T01:30:00"), &config("America/New_York"))
            .unwrap_err()
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        assert_eq!(
            fold[0].message,
            "`send_at` 2026-11-01T01:30:00 happens twice in America/New_York: the clocks go back (daylight saving)"
        );
        assert_eq!(
            fold[0].hint.as_deref(),
            Some(
                "write the one you mean with its offset: 2026-11-01T01:30:00-04:00 (2026-11-01T05:30:00Z) or 2026-11-01T01:30:00-05:00 (2026-11-01T06:30:00Z)"
            )
        );
    }
}

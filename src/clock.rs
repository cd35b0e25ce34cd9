//! The one place gazette reads the time.
//!
//! `GAZETTE_NOW` (an RFC 3339 instant such as `2026-12-06T09:00:00Z`) fixes "now"
//! for tests and dry runs; everything else takes the time as a value from here.
//! clippy.toml forbids reading the system clock anywhere else.

use crate::error::Error;
use jiff::Timestamp;

/// The current instant, or the one `GAZETTE_NOW` fixes.
pub fn now() -> Result<Timestamp, Error> {
    match std::env::var("GAZETTE_NOW") {
        Ok(v) if !v.is_empty() => v.parse::<Timestamp>().map_err(|e| {
            Error::Input(format!("GAZETTE_NOW=`{v}` is not an RFC 3339 instant: {e}"))
        }),
        #[allow(clippy::disallowed_methods)]
        _ => Ok(Timestamp::now()),
    }
}

/// The real clock, never fixed: for what must be unique rather than agreed on
/// (Maildir file names), never for anything a result depends on.
pub fn wall() -> std::time::Duration {
    #[allow(clippy::disallowed_methods)]
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

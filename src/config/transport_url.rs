//! The `--transport URL` grammar (also `GAZETTE_TRANSPORT`): `smtp://`,
//! `smtps://` and `outbox:`, overriding the configured destination for a run.

use super::delivery::Destination;
use super::relay::{Relay, RelayError, TlsMode};
use std::path::Path;

/// Why a transport URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("`outbox:` needs a directory, as in outbox:data/outbox")]
    OutboxWithoutDir,
    #[error("`{0}` is not smtp://, smtps:// or outbox:")]
    NoScheme(String),
    #[error("put no password in the transport URL: set GAZETTE_SMTP_PASSWORD")]
    Password,
    #[error("`{0}` is not a port")]
    Port(String),
    #[error("`{0}` has no host")]
    NoHost(String),
    #[error("unknown transport scheme `{0}`: use smtp://, smtps:// or outbox:")]
    Scheme(String),
    #[error("unknown transport URL parameter `{0}`")]
    Parameter(String),
    #[error(transparent)]
    Relay(#[from] RelayError),
}

/// Parses `--transport URL`: `smtp://[user@]HOST:PORT[?tls=starttls]`,
/// `smtps://[user@]HOST:PORT` or `outbox:DIR`. `base` supplies timeouts and
/// the CA file of the configured first relay, if any.
pub fn parse_transport_url(
    url: &str,
    root: &Path,
    base: Option<&Relay>,
) -> Result<Destination, UrlError> {
    if let Some(dir) = url.strip_prefix("outbox:") {
        if dir.is_empty() {
            return Err(UrlError::OutboxWithoutDir);
        }
        return Ok(Destination::Outbox(root.join(dir)));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| UrlError::NoScheme(url.to_string()))?;
    let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority.trim_end_matches('/');
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if user.is_some_and(|u| u.contains(':')) {
        return Err(UrlError::Password);
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
            h.to_string(),
            Some(
                p.parse::<u16>()
                    .map_err(|_| UrlError::Port(p.to_string()))?,
            ),
        ),
        _ => (hostport.to_string(), None),
    };
    if host.is_empty() {
        return Err(UrlError::NoHost(url.to_string()));
    }
    let mut tls = match scheme {
        "smtp" => TlsMode::None,
        "smtps" => TlsMode::Tls,
        _ => {
            return Err(UrlError::Scheme(scheme.to_string()));
        }
    };
    let mut allow_insecure = false;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("tls", "starttls")) => tls = TlsMode::StartTls,
            Some(("tls", "none")) => tls = TlsMode::None,
            Some(("tls", "tls")) => tls = TlsMode::Tls,
            Some(("allow_insecure", "true")) => allow_insecure = true,
            _ => return Err(UrlError::Parameter(pair.to_string())),
        }
    }
    let default_port = tls.default_port();
    let mut relay = match base {
        Some(b) => Relay {
            host: host.clone(),
            port: port.unwrap_or(default_port),
            tls,
            ..b.clone()
        },
        None => Relay::new(&host, port.unwrap_or(default_port), tls),
    };
    relay.username = user.map(str::to_string);
    relay.allow_insecure = allow_insecure;
    // The password comes from GAZETTE_SMTP_PASSWORD only.
    relay.password_file = None;
    relay.check()?;
    Ok(Destination::Smtp(vec![relay]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn transport_urls() {
        let root = Path::new("/n");
        assert_eq!(
            parse_transport_url("outbox:out", root, None).unwrap(),
            Destination::Outbox(PathBuf::from("/n/out"))
        );
        let Destination::Smtp(r) =
            parse_transport_url("smtp://127.0.0.1:2525", root, None).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (r[0].host.as_str(), r[0].port, r[0].tls),
            ("127.0.0.1", 2525, TlsMode::None)
        );
        let Destination::Smtp(r) =
            parse_transport_url("smtp://ann@mail.example.com:587?tls=starttls", root, None)
                .unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (r[0].username.as_deref(), r[0].tls),
            (Some("ann"), TlsMode::StartTls)
        );
        let Destination::Smtp(r) =
            parse_transport_url("smtps://mail.example.com", root, None).unwrap()
        else {
            panic!()
        };
        assert_eq!((r[0].port, r[0].tls), (465, TlsMode::Tls));
        assert!(
            parse_transport_url("smtp://mail.example.com:25", root, None)
                .unwrap_err()
                .to_string()
                .contains("allow_insecure")
        );
        assert!(
            parse_transport_url("smtp://a@127.0.0.1:25", root, None)
                .unwrap_err()
                .to_string()
                .contains("password in clear")
        );
        assert!(
            parse_transport_url("smtp://a:pw@h:25", root, None)
                .unwrap_err()
                .to_string()
                .contains("no password")
        );
    }
}

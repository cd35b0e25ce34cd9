//! What every request and response goes through: a log line on stderr
//! (tokens redacted), the body read within its limits of size and time,
//! headers that keep tokens out of Referer and the pages out of frames, and
//! who the client is.

use super::App;
use crate::config::Serve;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

/// The path segments followed by a secret token, in any letter case.
const TOKEN_WORDS: [&str; 2] = ["unsubscribe", "confirm"];

/// A run of this many token characters (base64url) in one segment is taken
/// for a token, or a piece of one, whatever route it was sent to.
const TOKEN_RUN: usize = 16;

/// Logs one line per request: method, path (tokens redacted), status, time.
pub async fn log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = redact(request.uri().path());
    let response = next.run(request).await;
    eprintln!(
        "gazette: {method} {path} {} {:.1} ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

/// A path fit for a log, at most 200 characters: whatever follows an
/// `unsubscribe` or `confirm` segment (in any case, percent-encoded or not),
/// and any segment holding a run of [`TOKEN_RUN`] token characters, becomes
/// `[token]`, so that no misspelt link puts a token in the log.
pub fn redact(path: &str) -> String {
    let mut shown: Vec<&str> = Vec::new();
    let mut segments = path.split('/');
    while let Some(segment) = segments.next() {
        let word = percent_decoded(segment).to_lowercase();
        if TOKEN_WORDS.contains(&word.as_str()) {
            shown.push(segment);
            let rest: Vec<&str> = segments.collect();
            if rest.iter().all(|r| r.is_empty()) {
                shown.extend(rest);
            } else {
                shown.push("[token]");
            }
            break;
        }
        if TOKEN_WORDS.iter().any(|w| word.starts_with(w)) || token_run(segment) {
            shown.push("[token]");
            if TOKEN_WORDS.iter().any(|w| word.starts_with(w)) {
                break;
            }
        } else {
            shown.push(segment);
        }
    }
    shown.join("/").chars().take(200).collect()
}

/// Whether `segment` holds [`TOKEN_RUN`] base64url characters in a row.
fn token_run(segment: &str) -> bool {
    let mut run = 0;
    for b in segment.bytes() {
        run = if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            run + 1
        } else {
            0
        };
        if run >= TOKEN_RUN {
            return true;
        }
    }
    false
}

/// `%XX` escapes decoded (lossily), for recognising a segment only.
fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).and_then(|&b| hex(b)),
                bytes.get(i + 2).and_then(|&b| hex(b)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a request's whole body (at most [`super::BODY_LIMIT`]) before the
/// handler runs: 408 when it does not arrive within `body_timeout`, 413 when
/// it is larger, so a body sent slowly never holds a handler.
pub async fn read_body(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > super::BODY_LIMIT as u64) {
        return app.status_page(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let read = axum::body::to_bytes(body, super::BODY_LIMIT);
    let bytes = match tokio::time::timeout(app.config.serve.body_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return app.status_page(StatusCode::PAYLOAD_TOO_LARGE),
        Err(_) => {
            let mut response = app.status_page(StatusCode::REQUEST_TIMEOUT);
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

/// Headers for every response: no Referer (a token is in the URL), no
/// framing, no sniffing, no scripts; forms post only to this site.
pub async fn harden(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The client's address: the right-most one in the trusted proxy header
/// (the one the proxy itself added) when configured and parseable, else the
/// connection's peer.
pub fn client_ip(settings: &Serve, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    let from_header = settings.trusted_proxy_header.as_ref().and_then(|name| {
        let value = headers.get_all(name).iter().next_back()?.to_str().ok()?;
        let last = value.rsplit(',').next()?.trim();
        parse_ip(last)
    });
    from_header.unwrap_or_else(|| peer.ip().to_canonical())
}

/// The rate-limit bucket of a client: its IPv4 address, or the /64 network
/// of an IPv6 one (a single host usually holds a whole /64).
pub fn ip_bucket(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => format!("ip:{v4}"),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// An IP address, also written with a port (`192.0.2.1:443`, `[2001:db8::1]:443`).
fn parse_ip(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    text.parse::<SocketAddr>()
        .ok()
        .map(|s| s.ip().to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderName;

    #[test]
    fn tokens_never_reach_the_log() {
        assert_eq!(redact("/unsubscribe/AbC-123_x"), "/unsubscribe/[token]");
        assert_eq!(redact("/confirm/AbC/more"), "/confirm/[token]");
        assert_eq!(redact("/archive/41"), "/archive/41");
        assert_eq!(redact("/unsubscribe/"), "/unsubscribe/");
        assert_eq!(redact("/Unsubscribe/AbC"), "/Unsubscribe/[token]");
        assert_eq!(redact("/UNSUBSCRIBE%2FAbC"), "/[token]");
        assert_eq!(redact("/%55nsubscribe/AbC"), "/%55nsubscribe/[token]");
        assert_eq!(redact("/x/AWmcAAAAAAAAAAEIdcsw/41"), "/x/[token]/41");
        assert_eq!(redact("/feed.xml"), "/feed.xml");
        assert_eq!(redact(&"/x".repeat(300)).len(), 200);
    }

    #[test]
    fn the_proxy_header_is_read_only_when_trusted() {
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.4".parse().unwrap(),
        );
        let mut settings = Serve::defaults("N");
        assert_eq!(
            client_ip(&settings, &headers, peer).to_string(),
            "127.0.0.1"
        );
        settings.trusted_proxy_header = Some(HeaderName::from_static("x-forwarded-for"));
        assert_eq!(
            client_ip(&settings, &headers, peer).to_string(),
            "198.51.100.4"
        );
        headers.insert("x-forwarded-for", "[2001:db8::1]:443".parse().unwrap());
        assert_eq!(
            client_ip(&settings, &headers, peer).to_string(),
            "2001:db8::1"
        );
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(
            client_ip(&settings, &headers, peer).to_string(),
            "127.0.0.1"
        );
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(ip_bucket(a), "ip:2001:db8:1:2::/64");
        assert_eq!(ip_bucket(a), ip_bucket(b));
        assert_eq!(
            ip_bucket("::ffff:192.0.2.1".parse().unwrap()),
            "ip:192.0.2.1"
        );
    }
}

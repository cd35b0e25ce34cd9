//! Fetching a page the editor is about to link: http and https only, at most
//! [`TIMEOUT`] in all, [`MAX_BYTES`] read, [`MAX_REDIRECTS`] redirects, and a
//! User-Agent that says who is asking.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;
use ureq::ResponseExt;

pub const TIMEOUT: Duration = Duration::from_secs(10);
pub const MAX_BYTES: u64 = 2 * 1024 * 1024;
pub const MAX_REDIRECTS: u32 = 5;

/// What came back.
#[derive(Debug)]
pub struct Fetched {
    /// Where the page was found, after redirects.
    pub url: String,
    /// The media type, lower case, without parameters (`text/html`).
    pub media_type: String,
    /// At most [`MAX_BYTES`] of the body.
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the page answered {0}")]
    Status(u16),
    #[error("no answer within {} seconds", TIMEOUT.as_secs())]
    Timeout,
    #[error("more than {MAX_REDIRECTS} redirects")]
    Redirects,
    #[error("{0}")]
    Other(String),
}

pub fn user_agent() -> String {
    format!(
        "gazette/{} (newsletter link preview)",
        env!("CARGO_PKG_VERSION")
    )
}

/// GETs `url` (already checked to be absolute http or https).
pub fn fetch(url: &str) -> Result<Fetched, FetchError> {
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .max_redirects(MAX_REDIRECTS)
        .user_agent(user_agent())
        .http_status_as_error(false)
        .tls_config(tls)
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Timeout(_) => FetchError::Timeout,
        ureq::Error::TooManyRedirects => FetchError::Redirects,
        e => FetchError::Other(e.to_string()),
    })?;
    let status = response.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(FetchError::Status(status));
    }
    let final_url = response.get_uri().to_string();
    let media_type = (response.headers().get("content-type"))
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let mut body = Vec::new();
    (response.body_mut().as_reader().take(MAX_BYTES))
        .read_to_end(&mut body)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::TimedOut => FetchError::Timeout,
            _ => FetchError::Other(e.to_string()),
        })?;
    Ok(Fetched {
        url: final_url,
        media_type,
        body,
    })
}

//! TLS for the IMAP source: rustls on the aws-lc-rs provider, the server's
//! certificate verified against the platform's roots (rustls-platform-verifier,
//! as lettre does for SMTP), or against `ca_file`'s PEM CAs only when it is
//! set (a private server); and a failed handshake in plain words.

use crate::config::Imap;
use crate::error::{Error, Result};
use rustls::{CertificateError, ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::sync::Arc;

/// The client configuration for `imap`; a `ca_file` that cannot be read or
/// holds no certificate is a config error (exit 2).
pub fn config(imap: &Imap) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let setup = |e: rustls::Error| Error::Input(format!("{}: TLS set-up: {e}", imap.url()));
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(setup)?;
    let config = match &imap.ca_file {
        None => {
            use rustls_platform_verifier::BuilderVerifierExt;
            builder
                .with_platform_verifier()
                .map_err(setup)?
                .with_no_client_auth()
        }
        Some(ca) => {
            let pem = crate::files::ca_file(ca)?;
            let not_pem = |why: String| {
                Error::Input(format!(
                    "the ca_file {} is not PEM certificates: {why}",
                    ca.display()
                ))
            };
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| not_pem(e.to_string()))?;
                roots.add(cert).map_err(|e| not_pem(e.to_string()))?;
            }
            if roots.is_empty() {
                return Err(not_pem("it holds no certificate".into()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(Arc::new(config))
}

/// What a failed handshake (`what`: "TLS", "STARTTLS") means: a config
/// error (exit 2) when rustls says why, naming what to change; else the
/// connection's trouble, to try again later (exit 75).
pub fn failure(what: &str, e: &std::io::Error, imap: &Imap) -> Error {
    let tls = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls {
        Some(tls) => Error::Input(format!(
            "{what} with {} failed: {}",
            imap.url(),
            plain(tls, imap)
        )),
        None => Error::Unreachable(format!("{what} with {} failed: {e}", imap.url())),
    }
}

fn plain(e: &rustls::Error, imap: &Imap) -> String {
    let cert = match e {
        rustls::Error::InvalidCertificate(cert) => cert,
        rustls::Error::InvalidMessage(_) => {
            return format!(
                "{}:{} does not speak TLS{}",
                imap.host,
                imap.port,
                if imap.implicit_tls {
                    " from the start (imaps://, as on port 993); if it offers STARTTLS there \
                     (as on port 143), write imap://"
                } else {
                    " after STARTTLS"
                }
            );
        }
        other => return format!("{other}"),
    };
    match cert {
        // BadSignature: an authority of the same name, not the one that
        // signed it (another test CA, an old CA after a re-key).
        CertificateError::UnknownIssuer | CertificateError::BadSignature => match &imap.ca_file {
            Some(ca) => format!(
                "the server's certificate is not signed by the CA in ca_file {}: is it the CA \
                 that signed the server's certificate?",
                ca.display()
            ),
            None => "the server's certificate is not signed by a trusted authority; if it uses \
                     a private CA, set ca_file = \"/path/to/ca.pem\" (its certificate, PEM) in \
                     [bounces]"
                .to_string(),
        },
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!(
                "the server's certificate is not for {}; name the host it is for in the URL",
                imap.host
            )
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "the server's certificate has expired".to_string()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "the server's certificate is not valid yet (is this machine's clock right?)".to_string()
        }
        other => format!("the server's certificate is refused: {other:?}"),
    }
}

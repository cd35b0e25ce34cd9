//! DKIM: signing each personalised message, and making keys.
//!
//! Keys are PKCS#8 PEM files named in the config. RSA-SHA256 (2048 bits) is the
//! signature every receiver checks; Ed25519 (RFC 8463) may be added beside it.
//! Signatures are relaxed/relaxed, never `l=`, and oversign the headers that
//! must not gain a copy in transit.

use crate::config::DkimKey;
use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::{Canonicalization, DkimSigner, Done};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;

/// Signed once each; From, Subject and both List-Unsubscribe headers are
/// listed again so that a copy added in transit breaks the signature.
pub const SIGNED_HEADERS: &[&str] = &[
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Reply-To",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Archive",
    "From",
    "Subject",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// One configured signing key, ready to sign.
pub enum Signer {
    Rsa(DkimSigner<RsaKey<Sha256>, Done>),
    Ed25519(DkimSigner<Ed25519Key, Done>),
}

impl Signer {
    /// Loads the key a `[[dkim]]` entry names; the algorithm is read from the key.
    pub fn load(key: &DkimKey) -> Result<Signer> {
        let path = key.key_file.display().to_string();
        let pem = crate::files::read_small(&key.key_file)
            .map_err(Error::io(format!("cannot read the DKIM key {path}")))?;
        let der = PrivateKeyDer::from_pem_slice(&pem)
            .map_err(|_| Error::Input(format!("the DKIM key {path} is not a PEM private key")))?;
        let bad =
            |what: &str| Error::Input(format!("the DKIM key {path} is not a usable {what} key"));
        let signer = match &der {
            PrivateKeyDer::Pkcs8(p)
                if Ed25519Key::from_pkcs8_maybe_unchecked_der(p.secret_pkcs8_der()).is_ok() =>
            {
                let k = Ed25519Key::from_pkcs8_maybe_unchecked_der(p.secret_pkcs8_der())
                    .map_err(|_| bad("Ed25519"))?;
                Signer::Ed25519(configure(
                    DkimSigner::from_key(k)
                        .domain(&key.domain)
                        .selector(&key.selector),
                ))
            }
            _ => {
                let k = RsaKey::<Sha256>::from_key_der(der.clone_key()).map_err(|_| bad("RSA"))?;
                Signer::Rsa(configure(
                    DkimSigner::from_key(k)
                        .domain(&key.domain)
                        .selector(&key.selector),
                ))
            }
        };
        Ok(signer)
    }

    /// The `DKIM-Signature:` header line(s) for a complete message.
    pub fn sign(&self, message: &[u8]) -> Result<String> {
        let sig = match self {
            Signer::Rsa(s) => s.sign(message),
            Signer::Ed25519(s) => s.sign(message),
        };
        sig.map(|s| s.to_header())
            .map_err(|e| Error::Failed(format!("DKIM signing failed: {e}")))
    }
}

fn configure<T: mail_auth::common::crypto::SigningKey>(
    s: DkimSigner<T, mail_auth::dkim::NeedHeaders>,
) -> DkimSigner<T, Done> {
    s.headers(SIGNED_HEADERS.iter().copied())
        .header_canonicalization(Canonicalization::Relaxed)
        .body_canonicalization(Canonicalization::Relaxed)
}

/// The algorithms `gazette dkim keygen` makes keys for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Algorithm {
    /// RSA, 2048 bits: the one every receiver verifies
    Rsa,
    /// Ed25519 (RFC 8463): small and fast, as a second signature only
    Ed25519,
}

/// A new private key as PKCS#8 PEM, and the DNS TXT record value for it.
pub fn generate(algorithm: Algorithm) -> Result<(String, String)> {
    use aws_lc_rs::encoding::AsDer;
    let failed = |_| Error::Failed("cannot generate a key".into());
    let (der, record) = match algorithm {
        Algorithm::Rsa => {
            let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(failed)?;
            let private =
                AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).map_err(failed)?;
            let public = aws_lc_rs::signature::KeyPair::public_key(&pair)
                .as_der()
                .map_err(failed)?;
            let record = format!("v=DKIM1; k=rsa; p={}", STANDARD.encode(public.as_ref()));
            (private.as_ref().to_vec(), record)
        }
        Algorithm::Ed25519 => {
            let pkcs8 = Ed25519Key::generate_pkcs8()
                .map_err(|_| Error::Failed("cannot generate a key".into()))?;
            let key = Ed25519Key::from_pkcs8_der(&pkcs8)
                .map_err(|_| Error::Failed("cannot generate a key".into()))?;
            (
                pkcs8,
                format!(
                    "v=DKIM1; k=ed25519; p={}",
                    STANDARD.encode(key.public_key())
                ),
            )
        }
    };
    Ok((pem("PRIVATE KEY", &der), record))
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

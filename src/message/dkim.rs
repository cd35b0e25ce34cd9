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

/// The headers a message carries once each, and that must not gain a copy in transit.
const ONE_COPY: &[&str] = &[
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
    "Feedback-ID",
];

/// Headers a message never carries, signed as absent so that none can be added.
const ABSENT: &[&str] = &["Cc", "Sender"];

/// The `h=` list: each of [`ONE_COPY`] twice, once more than a message
/// carries it (RFC 6376 8.15), and [`ABSENT`] once. mail-auth puts every name
/// it does not find in the message (the second of each pair, the absent ones)
/// into `h=` as well, which signs one instance more than there is: a copy
/// added in transit, or a Cc or Sender where there was none, then breaks the
/// signature.
pub fn signed_headers() -> impl Iterator<Item = &'static str> {
    ONE_COPY.iter().chain(ONE_COPY).chain(ABSENT).copied()
}

/// The longest header line gazette writes where whitespace allows folding (RFC 5322 2.1.1).
pub const HEADER_LINE: usize = 78;

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
        sig.map(|s| refold(&s.to_header()))
            .map_err(|e| Error::Failed(format!("DKIM signing failed: {e}")))
    }
}

/// The signature header folded into lines of at most [`HEADER_LINE`] octets.
///
/// Lines break only where mail-auth put whitespace, so the relaxed
/// canonical form that was signed is unchanged (every whitespace run is one
/// space to it), and anywhere inside the `b=` value, which verifiers remove
/// with its whitespace before hashing (RFC 6376 3.7).
fn refold(header: &str) -> String {
    let mut lines: Vec<String> = vec![String::new()];
    let mut words = header.split_ascii_whitespace();
    while let Some(word) = words.next() {
        let line = lines.last_mut().expect("one line at least");
        if let Some(first) = word.strip_prefix("b=") {
            // The signature, the last tag: its pieces joined, then as much on
            // each line as fits.
            let value: String = std::iter::once(first).chain(words.by_ref()).collect();
            let mut rest = value.as_str();
            if line.len() + 1 + 2 + 16 > HEADER_LINE {
                lines.push("\t".into());
            } else {
                line.push(' ');
            }
            let line = lines.last_mut().expect("one line at least");
            line.push_str("b=");
            let (chunk, after) = rest.split_at((HEADER_LINE - line.len()).min(rest.len()));
            line.push_str(chunk);
            rest = after;
            while !rest.is_empty() {
                let (chunk, after) = rest.split_at((HEADER_LINE - 1).min(rest.len()));
                lines.push(format!("\t{chunk}"));
                rest = after;
            }
        } else if line.is_empty() {
            line.push_str(word);
        } else if line.len() + 1 + word.len() <= HEADER_LINE {
            line.push(' ');
            line.push_str(word);
        } else {
            lines.push(format!("\t{word}"));
        }
    }
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

fn configure<T: mail_auth::common::crypto::SigningKey>(
    s: DkimSigner<T, mail_auth::dkim::NeedHeaders>,
) -> DkimSigner<T, Done> {
    s.headers(signed_headers())
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

/// The DNS TXT record value for the private key in `key_file` (PKCS#8, or
/// PKCS#1 for RSA): what `dkim keygen` printed for it, derived again from the
/// key, so that `gazette dns` can print and check it.
pub fn public_record(key_file: &std::path::Path) -> Result<String> {
    use aws_lc_rs::encoding::AsDer;
    let path = key_file.display().to_string();
    // The config names the file: one that cannot be read is bad config.
    let pem = crate::files::read_small(key_file)
        .map_err(|e| Error::Input(format!("cannot read the DKIM key {path}: {e}")))?;
    let der = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|_| Error::Input(format!("the DKIM key {path} is not a PEM private key")))?;
    if let PrivateKeyDer::Pkcs8(p) = &der
        && let Ok(k) = Ed25519Key::from_pkcs8_maybe_unchecked_der(p.secret_pkcs8_der())
    {
        return Ok(record(Algorithm::Ed25519, &k.public_key()));
    }
    let pair = match &der {
        PrivateKeyDer::Pkcs8(p) => aws_lc_rs::rsa::KeyPair::from_pkcs8(p.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(p) => aws_lc_rs::rsa::KeyPair::from_der(p.secret_pkcs1_der()),
        _ => {
            return Err(Error::Input(format!(
                "the DKIM key {path} is not an RSA or Ed25519 key"
            )));
        }
    }
    .map_err(|_| Error::Input(format!("the DKIM key {path} is not a usable RSA key")))?;
    let public = aws_lc_rs::signature::KeyPair::public_key(&pair)
        .as_der()
        .map_err(|_| Error::Input(format!("the DKIM key {path} is not a usable RSA key")))?;
    Ok(record(Algorithm::Rsa, public.as_ref()))
}

/// The TXT record value publishing `public` (SubjectPublicKeyInfo DER for RSA,
/// the raw 32 bytes for Ed25519, RFC 8463).
fn record(algorithm: Algorithm, public: &[u8]) -> String {
    let k = match algorithm {
        Algorithm::Rsa => "rsa",
        Algorithm::Ed25519 => "ed25519",
    };
    format!("v=DKIM1; k={k}; p={}", STANDARD.encode(public))
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
            (
                private.as_ref().to_vec(),
                record(Algorithm::Rsa, public.as_ref()),
            )
        }
        Algorithm::Ed25519 => {
            // PKCS#8 v1 (RFC 5208, no public key inside): the form OpenSSL 3.0
            // reads; v2, which ring and aws-lc-rs write by default, it refuses.
            let pkcs8 = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8v1(
                &aws_lc_rs::rand::SystemRandom::new(),
            )
            .map_err(failed)?;
            let pkcs8 = pkcs8.as_ref().to_vec();
            let key = Ed25519Key::from_pkcs8_maybe_unchecked_der(&pkcs8)
                .map_err(|_| Error::Failed("cannot generate a key".into()))?;
            let public = key.public_key();
            (pkcs8, record(Algorithm::Ed25519, &public))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The relaxed canonical form of a header, with the `b=` value taken out.
    fn canonical(header: &str) -> String {
        let one = header
            .split_ascii_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let at = one.find(" b=").expect("a b= tag") + 3;
        one[..at].to_owned()
    }

    #[test]
    fn the_public_record_is_derived_again_from_the_key_file() {
        let dir = tempfile::tempdir().unwrap();
        for algorithm in [Algorithm::Rsa, Algorithm::Ed25519] {
            let (pem, record) = generate(algorithm).unwrap();
            let path = dir.path().join("key.pem");
            std::fs::write(&path, pem).unwrap();
            assert_eq!(public_record(&path).unwrap(), record);
        }
        std::fs::write(dir.path().join("bad.pem"), "not a key").unwrap();
        let err = public_record(&dir.path().join("bad.pem")).unwrap_err();
        assert_eq!(err.status(), crate::exit::ExitStatus::Usage, "{err}");
    }

    #[test]
    fn refolding_keeps_what_was_signed_and_the_lines_short() {
        let signed = "DKIM-Signature: v=1; a=rsa-sha256; s=s1; d=platformnotes.example; c=relaxed/relaxed;\r\n\th=Content-Type:MIME-Version:List-Archive:List-Unsubscribe-Post\r\n\t:List-Unsubscribe:List-Id; t=1796173186; bh=MjS9mrgvf\r\n\tVReQaQkSV8H4Yvdiu6xA9NVGP4V8Xt42H4=; b=FZlfGVlNsA25xAwX+Xisvzncb1LNXMGCPuDR\r\n\tCJ6xlhZSca+uf8XhxZrlQMU3QkHEpZ3Ts17sF+SyVR4hYb2w58eaNNfYg59h9I3TucJErWqM7lr\r\n\t91Ehgg==;\r\n";
        let folded = refold(signed);
        assert_eq!(canonical(&folded), canonical(signed));
        let b = |h: &str| {
            let at = h.find("b=F").unwrap();
            h[at..].split_ascii_whitespace().collect::<String>()
        };
        assert_eq!(b(&folded), b(signed));
        assert!(folded.ends_with("==;\r\n"));
        for line in folded.trim_end().split("\r\n") {
            assert!(line.len() <= HEADER_LINE, "{} octets: {line}", line.len());
        }
        assert!(folded.starts_with("DKIM-Signature: v=1; a=rsa-sha256; s=s1; d=platformnotes.example;\r\n\tc=relaxed/relaxed;"), "{folded}");
    }
}

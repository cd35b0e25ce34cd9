//! Envelope addresses for a relay without SMTPUTF8 (RFC 6531): an
//! internationalised domain goes as its A-label (`bücher.example` as
//! `xn--bcher-kva.example`, IDNA), while a local part that is not ASCII
//! cannot be written at all without SMTPUTF8.

/// An address that cannot go through a relay without SMTPUTF8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedsSmtpUtf8 {
    /// Its local part is not ASCII.
    LocalPart,
    /// Its domain has no A-label (not a valid IDNA name).
    Domain,
}

/// `address` as ASCII: unchanged when it is already, its domain as an
/// A-label when only the domain is not.
pub fn ascii_address(address: &str) -> Result<String, NeedsSmtpUtf8> {
    if address.is_ascii() {
        return Ok(address.to_string());
    }
    let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
    if !local.is_ascii() {
        return Err(NeedsSmtpUtf8::LocalPart);
    }
    let domain = idna::domain_to_ascii(domain).map_err(|_| NeedsSmtpUtf8::Domain)?;
    Ok(format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_become_a_labels_and_local_parts_cannot() {
        assert_eq!(
            ascii_address("reader@bücher.example").as_deref(),
            Ok("reader@xn--bcher-kva.example")
        );
        assert_eq!(
            ascii_address("a@münchen.straße.example").as_deref(),
            Ok("a@xn--mnchen-3ya.xn--strae-oqa.example")
        );
        assert_eq!(
            ascii_address("plain@example.org").as_deref(),
            Ok("plain@example.org")
        );
        assert_eq!(
            ascii_address("josé@example.org"),
            Err(NeedsSmtpUtf8::LocalPart)
        );
        assert_eq!(
            ascii_address("josé@bücher.example"),
            Err(NeedsSmtpUtf8::LocalPart)
        );
    }
}

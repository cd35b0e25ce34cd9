//! Email addresses and mailboxes ("Name <local@domain>"), checked once.
//!
//! Addresses are trimmed and their domain lower-cased; the local part is kept
//! as written (it is case-sensitive in principle), and uniqueness elsewhere
//! compares the whole address case-insensitively.

use std::fmt;

/// Why an address or mailbox was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("`{0}` has `<` without a closing `>`")]
    Unclosed(String),
    #[error("the address is empty")]
    Empty,
    #[error("the address is longer than 254 characters")]
    TooLong,
    #[error("`{0}` has no `@`")]
    NoAt(String),
    #[error("`{0}` has an empty or over-long local part")]
    LocalLength(String),
    #[error("`{0}` has a misplaced dot in its local part")]
    MisplacedDot(String),
    #[error("`{0}` has `{1}` in its local part")]
    LocalChar(String, char),
    #[error("`{0}` needs a domain with a dot, like example.com")]
    NoDot(String),
    #[error("`{0}` has an invalid domain `{1}`")]
    Domain(String, String),
    #[error("`{0}` has a domain that is a number or an IP address, not a mail domain")]
    NumericTld(String),
}

/// A mailbox: an optional display name and an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

impl Mailbox {
    /// Parses `Name <addr>`, `"Name" <addr>` or a bare `addr`.
    pub fn parse(text: &str) -> Result<Mailbox, AddressError> {
        let text = text.trim();
        if let Some(open) = text.rfind('<') {
            let Some(inner) = text[open + 1..].strip_suffix('>') else {
                return Err(AddressError::Unclosed(text.to_string()));
            };
            let name = text[..open].trim().trim_matches('"').trim();
            let address = normalize(inner)?;
            let name = (!name.is_empty()).then(|| name.to_string());
            Ok(Mailbox { name, address })
        } else {
            Ok(Mailbox {
                name: None,
                address: normalize(text)?,
            })
        }
    }

    /// The part after the `@`.
    pub fn domain(&self) -> &str {
        domain_of(&self.address)
    }
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{name} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// The domain of an address already normalised.
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, d)| d)
}

/// Checks an address and returns it trimmed with its domain lower-cased.
pub fn normalize(raw: &str) -> Result<String, AddressError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(AddressError::Empty);
    }
    if raw.len() > 254 {
        return Err(AddressError::TooLong);
    }
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return Err(AddressError::NoAt(raw.to_string()));
    };
    if local.is_empty() || local.len() > 64 {
        return Err(AddressError::LocalLength(raw.to_string()));
    }
    let atom_ok = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(AddressError::MisplacedDot(raw.to_string()));
    }
    if let Some(bad) = local.chars().find(|&c| !(atom_ok(c) || c == '.')) {
        return Err(AddressError::LocalChar(raw.to_string(), bad));
    }
    let domain = domain.to_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(AddressError::NoDot(raw.to_string()));
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !ok {
            return Err(AddressError::Domain(raw.to_string(), domain));
        }
    }
    // A top-level domain is never all digits (RFC 3696 2): `a@127.0.0.1` or
    // `a@1.2` names a host, not a mail domain.
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(AddressError::NumericTld(raw.to_string()));
    }
    Ok(format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mailboxes() {
        let m = Mailbox::parse("Ada Ops <Ada@Example.COM>").unwrap();
        assert_eq!(m.name.as_deref(), Some("Ada Ops"));
        assert_eq!(m.address, "Ada@example.com");
        assert_eq!(Mailbox::parse(" x@y.org ").unwrap().to_string(), "x@y.org");
        assert_eq!(
            Mailbox::parse("\"Q\" <q@z.io>").unwrap().name.as_deref(),
            Some("Q")
        );
    }

    #[test]
    fn numeric_top_level_domains_and_ip_like_hosts_are_refused() {
        for bad in ["a@127.0.0.1", "a@1.2", "a@example.123"] {
            assert_eq!(
                normalize(bad),
                Err(AddressError::NumericTld(bad.to_string())),
                "{bad}"
            );
        }
        assert!(normalize("a@1password.com").is_ok());
        assert!(normalize("a@mail.example.xn--p1ai").is_ok());
    }

    #[test]
    fn rejects_bad_addresses() {
        for bad in [
            "",
            "a",
            "a@b",
            "@b.com",
            "a..b@c.com",
            "a b@c.com",
            "a@-b.com",
            "a@b..com",
        ] {
            assert!(normalize(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(normalize("José@Bücher.DE").unwrap(), "José@bücher.de");
    }
}

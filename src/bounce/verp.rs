//! The signed VERP envelope sender: each list message goes out from
//! `LOCAL+<issue>-<subscriber>-<mac>@DOMAIN` (`LOCAL@DOMAIN` being
//! `envelope_from`), so that a bounce sent back to it names its delivery, and
//! one sent to an address nobody was given changes nothing.
//!
//! The MAC is HMAC-SHA256 under the token secret with a purpose label of its
//! own (`verp`), over the issue and the subscriber id, cut to 65 bits and
//! written as 13 characters of lower-case base32 (RFC 4648's alphabet). The
//! list id is left out: reports arrive days after a send, and a list renamed
//! meanwhile must still recognise its own addresses; the secret is the
//! newsletter's alone. Checking compares in constant time.

use crate::id::SubscriberId;
use crate::message::token::Secret;

/// Characters of the MAC: 13 base32 characters carry 65 bits.
pub const MAC_CHARS: usize = 13;

const PURPOSE: &[u8] = b"verp";
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// What an address is, to this newsletter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// One of ours, signed: the delivery it names.
    Genuine {
        issue: u32,
        subscriber: SubscriberId,
    },
    /// Shaped like ours (`LOCAL+N-N-...@DOMAIN`) but the MAC is wrong: a
    /// forgery, or a corrupted address. Nothing may be done on its word.
    Forged,
    /// Not a VERP address of this newsletter (another address, or
    /// `envelope_from` itself).
    NotOurs,
}

/// The envelope sender of `issue`'s message to `subscriber`.
pub fn address(
    secret: &Secret,
    envelope_from: &str,
    issue: u32,
    subscriber: SubscriberId,
) -> String {
    let (local, domain) = split(envelope_from);
    let mac = mac(secret, issue, subscriber);
    format!("{local}+{issue}-{subscriber}-{mac}@{domain}")
}

/// Whether `candidate` (bare, or in angle brackets) is one of the VERP
/// addresses made from `envelope_from`, and which delivery it names. Local
/// part and domain are compared without regard to case.
pub fn check(secret: &Secret, envelope_from: &str, candidate: &str) -> Verdict {
    let candidate = candidate
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let (local, domain) = split(envelope_from);
    let Some((their_local, their_domain)) = candidate.rsplit_once('@') else {
        return Verdict::NotOurs;
    };
    let Some((base, tag)) = their_local.rsplit_once('+') else {
        return Verdict::NotOurs;
    };
    if !base.eq_ignore_ascii_case(local) || !their_domain.eq_ignore_ascii_case(domain) {
        return Verdict::NotOurs;
    }
    let tag = tag.to_ascii_lowercase();
    let mut parts = tag.splitn(3, '-');
    let (Some(issue), Some(subscriber), Some(given)) = (parts.next(), parts.next(), parts.next())
    else {
        return Verdict::NotOurs;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(issue) || !digits(subscriber) {
        return Verdict::NotOurs;
    }
    // From here on it claims to be ours: anything wrong is a forgery.
    let (Ok(issue), Ok(subscriber)) = (issue.parse::<u32>(), subscriber.parse::<SubscriberId>())
    else {
        return Verdict::Forged;
    };
    let expected = mac(secret, issue, subscriber);
    if constant_time_eq(expected.as_bytes(), given.as_bytes()) {
        Verdict::Genuine { issue, subscriber }
    } else {
        Verdict::Forged
    }
}

/// The local part and domain of `envelope_from`.
fn split(envelope_from: &str) -> (&str, &str) {
    envelope_from
        .rsplit_once('@')
        .unwrap_or((envelope_from, ""))
}

fn mac(secret: &Secret, issue: u32, subscriber: SubscriberId) -> String {
    let mut payload = issue.to_be_bytes().to_vec();
    payload.extend_from_slice(&(subscriber as u64).to_be_bytes());
    base32(&secret.sign(PURPOSE, &payload)[..9], MAC_CHARS)
}

/// The first `chars` characters of `bytes` in lower-case base32, five bits each.
fn base32(bytes: &[u8], chars: usize) -> String {
    let mut out = String::with_capacity(chars);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 && out.len() < chars {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    out
}

/// Equality whose time depends on the lengths only, never on where the
/// inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new(b"0123456789abcdef0123456789abcdef", "test").unwrap()
    }

    const FROM: &str = "bounces@news.example.org";

    #[test]
    fn an_address_names_issue_and_subscriber_with_a_65_bit_mac() {
        let a = address(&secret(), FROM, 41, 7);
        let (local, domain) = a.rsplit_once('@').unwrap();
        assert_eq!(domain, "news.example.org");
        let mac = local.strip_prefix("bounces+41-7-").unwrap();
        assert_eq!(mac.len(), MAC_CHARS);
        assert!(mac.bytes().all(|b| ALPHABET.contains(&b)), "{mac}");
        assert_eq!(address(&secret(), FROM, 41, 7), a, "deterministic");
        assert_ne!(address(&secret(), FROM, 41, 8), a);
        assert_ne!(address(&secret(), FROM, 42, 7), a);
        let genuine = Verdict::Genuine {
            issue: 41,
            subscriber: 7,
        };
        assert_eq!(check(&secret(), FROM, &a), genuine);
        assert_eq!(
            check(&secret(), FROM, &format!("<{}>", a.to_uppercase())),
            genuine
        );
    }

    #[test]
    fn a_wrong_mac_is_forged_and_other_addresses_are_not_ours() {
        let s = secret();
        let a = address(&s, FROM, 41, 7);
        // Another subscriber's id with this MAC, any changed character, a
        // short MAC, an id too large, another secret: forged.
        let other = a.replace("+41-7-", "+41-8-");
        assert_eq!(check(&s, FROM, &other), Verdict::Forged);
        let at = a.find('@').unwrap();
        for i in at - MAC_CHARS..at {
            let mut bytes = a.clone().into_bytes();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let forged = String::from_utf8(bytes).unwrap();
            assert_eq!(check(&s, FROM, &forged), Verdict::Forged, "{forged}");
        }
        let short = format!("{}{}", &a[..at - 1], &a[at..]);
        assert_eq!(check(&s, FROM, &short), Verdict::Forged);
        let huge = "bounces+99999999999-7-aaaaaaaaaaaaa@news.example.org";
        assert_eq!(check(&s, FROM, huge), Verdict::Forged);
        let other_secret = Secret::new(b"another secret that is long enough!!", "t").unwrap();
        assert_eq!(check(&other_secret, FROM, &a), Verdict::Forged);
        for not_ours in [
            "bounces@news.example.org",
            "bounces+42@news.example.org",
            "reader@example.org",
            &a.replace("news.example.org", "example.net"),
            &a.replace("bounces+", "returns+"),
            "no at sign",
            "",
        ] {
            assert_eq!(check(&s, FROM, not_ours), Verdict::NotOurs, "{not_ours}");
        }
    }

    #[test]
    fn base32_is_rfc_4648_lower_case() {
        // RFC 4648: "foobar" is MZXW6YTBOI======; its first 45 bits are 9 characters.
        assert_eq!(base32(b"foobar", 9), "mzxw6ytbo");
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}

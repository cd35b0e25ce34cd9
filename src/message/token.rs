//! Signed tokens: the unsubscribe token in every list message, and the
//! deterministic Message-ID part, both keyed by the newsletter's secret.
//!
//! An unsubscribe token is base64url of `purpose(1) | list tag(2) | subscriber
//! id(8) | HMAC-SHA256(...)[..16]`, the MAC covering the list id and the
//! payload: 27 bytes, always [`TOKEN_LEN`] characters, so a token can replace a
//! placeholder in an encoded message byte for byte. Verification is constant
//! time, against every list id the list has had (the store keeps them), since
//! a rename must not break links already sent.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::id::SubscriberId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;

/// Characters in every unsubscribe token.
pub const TOKEN_LEN: usize = 36;
/// Hex digits in the per-message part of a Message-ID.
pub const MESSAGE_ID_HEX: usize = 24;

const PURPOSE_UNSUBSCRIBE: u8 = 1;
const MAC_LEN: usize = 16;
const PAYLOAD_LEN: usize = 11;
const MIN_SECRET: usize = 32;

/// The secret key behind tokens. Never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// How to make a secret, for error messages.
pub const SECRET_HINT: &str = "make one with `head -c 32 /dev/urandom | base64 > data/secret`, \
    then set `secret_file = \"data/secret\"` in the config (mode 0600) or export GAZETTE_SECRET";

impl Secret {
    /// The secret from `GAZETTE_SECRET`, else from the config's `secret_file`.
    pub fn load(config: &Config) -> Result<Secret> {
        if let Ok(v) = std::env::var("GAZETTE_SECRET")
            && !v.trim().is_empty()
        {
            return Secret::new(v.trim().as_bytes(), "GAZETTE_SECRET");
        }
        let Some(path) = &config.secret_file else {
            return Err(Error::Input(format!(
                "no secret for unsubscribe tokens: {SECRET_HINT}"
            )));
        };
        let text = crate::files::read_small_text(path).map_err(|e| {
            let shown = path.display();
            match e.kind() {
                std::io::ErrorKind::NotFound => Error::Input(format!(
                    "no secret for unsubscribe tokens: the secret_file {shown} does not exist; make it with \
                     `head -c 32 /dev/urandom | base64 > {shown}` (mode 0600), or export GAZETTE_SECRET"
                )),
                _ => Error::Input(format!("cannot read the secret_file {shown}: {e}")),
            }
        })?;
        Secret::new(text.trim().as_bytes(), &path.display().to_string())
    }

    /// A secret from bytes; `origin` names where they came from, for errors.
    pub fn new(bytes: &[u8], origin: &str) -> Result<Secret> {
        if bytes.len() < MIN_SECRET {
            return Err(Error::Input(format!(
                "the secret in {origin} is {} bytes; it needs at least {MIN_SECRET}: {SECRET_HINT}",
                bytes.len()
            )));
        }
        Ok(Secret(bytes.to_vec()))
    }

    fn mac(&self, purpose: &[u8], list_id: &str, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose);
        mac.update(&[0]);
        mac.update(list_id.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    /// HMAC-SHA256 of `payload` under a `purpose` label of the caller's own
    /// (no list id): for signed values made outside this module, such as the
    /// VERP envelope sender (`bounce::verp`).
    pub(crate) fn sign(&self, purpose: &[u8], payload: &[u8]) -> [u8; 32] {
        self.mac(purpose, "", payload)
            .finalize()
            .into_bytes()
            .into()
    }

    /// The unsubscribe token of `subscriber` on the list `list_id`.
    pub fn unsubscribe_token(&self, list_id: &str, subscriber: SubscriberId) -> String {
        let payload = payload(list_id, subscriber);
        let tag = self
            .mac(b"unsubscribe", list_id, &payload)
            .finalize()
            .into_bytes();
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The subscriber a token names, if it is genuine and for this list.
    pub fn verify_unsubscribe(&self, list_id: &str, token: &str) -> Option<SubscriberId> {
        self.verify_unsubscribe_any(&[list_id], token)
    }

    /// The subscriber a token names, if it is genuine and for one of `lists`:
    /// every identity (list id) the list has had, so that a link sent before
    /// the newsletter was renamed, or given a `list_id`, works for ever.
    pub fn verify_unsubscribe_any<S: AsRef<str>>(
        &self,
        lists: &[S],
        token: &str,
    ) -> Option<SubscriberId> {
        let payload = self.verify(b"unsubscribe", lists, token, TOKEN_LEN, PAYLOAD_LEN)?;
        if payload[0] != PURPOSE_UNSUBSCRIBE {
            return None;
        }
        SubscriberId::try_from(u64::from_be_bytes(payload[3..11].try_into().ok()?)).ok()
    }

    /// The payload of a token of `len` characters whose MAC under `purpose`
    /// verifies for one of `lists` (those whose two-byte tag it carries).
    fn verify<S: AsRef<str>>(
        &self,
        purpose: &[u8],
        lists: &[S],
        token: &str,
        len: usize,
        payload_len: usize,
    ) -> Option<Vec<u8>> {
        if token.len() != len {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let (payload, tag) = bytes.split_at_checked(payload_len)?;
        if tag.len() != MAC_LEN {
            return None;
        }
        let genuine = lists.iter().map(AsRef::as_ref).any(|list_id| {
            payload[1..3] == list_tag(list_id)
                && self
                    .mac(purpose, list_id, payload)
                    .verify_truncated_left(tag)
                    .is_ok()
        });
        genuine.then(|| payload.to_vec())
    }

    /// The deterministic, unguessable part of the Message-ID of `issue` to `subscriber`.
    pub fn message_id_part(&self, list_id: &str, issue: u32, subscriber: SubscriberId) -> String {
        let mut payload = issue.to_be_bytes().to_vec();
        payload.extend_from_slice(&subscriber.to_be_bytes());
        let tag = self
            .mac(b"message-id", list_id, &payload)
            .finalize()
            .into_bytes();
        hex(&tag[..MESSAGE_ID_HEX / 2])
    }
}

/// Characters in every sign-up confirmation token.
pub const CONFIRM_TOKEN_LEN: usize = 47;

const PURPOSE_CONFIRM: u8 = 2;
const CONFIRM_PAYLOAD_LEN: usize = 19;

/// Sign-up confirmation tokens: base64url of `purpose(1) | list tag(2) |
/// subscriber id(8) | expiry(8, Unix seconds) | HMAC-SHA256(...)[..16]`, under
/// a MAC purpose of their own, so that neither kind of token passes for the other.
impl Secret {
    /// The token confirming `subscriber`'s sign-up to `list_id`, good until
    /// `expires` (Unix seconds).
    pub fn confirm_token(&self, list_id: &str, subscriber: SubscriberId, expires: i64) -> String {
        let mut payload = [0u8; CONFIRM_PAYLOAD_LEN];
        payload[0] = PURPOSE_CONFIRM;
        payload[1..3].copy_from_slice(&list_tag(list_id));
        payload[3..11].copy_from_slice(&(subscriber as u64).to_be_bytes());
        payload[11..19].copy_from_slice(&expires.to_be_bytes());
        let tag = self
            .mac(b"confirm", list_id, &payload)
            .finalize()
            .into_bytes();
        let mut bytes = payload.to_vec();
        bytes.extend_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The subscriber and expiry (Unix seconds) a confirmation token names, if
    /// it is genuine and for this list. The caller compares the expiry with now.
    pub fn verify_confirm(&self, list_id: &str, token: &str) -> Option<(SubscriberId, i64)> {
        self.verify_confirm_any(&[list_id], token)
    }

    /// The same, for a token made under any of `lists` (every identity the
    /// list has had, as for [`Secret::verify_unsubscribe_any`]).
    pub fn verify_confirm_any<S: AsRef<str>>(
        &self,
        lists: &[S],
        token: &str,
    ) -> Option<(SubscriberId, i64)> {
        let payload = self.verify(
            b"confirm",
            lists,
            token,
            CONFIRM_TOKEN_LEN,
            CONFIRM_PAYLOAD_LEN,
        )?;
        if payload[0] != PURPOSE_CONFIRM {
            return None;
        }
        let id =
            SubscriberId::try_from(u64::from_be_bytes(payload[3..11].try_into().ok()?)).ok()?;
        let expires = i64::from_be_bytes(payload[11..19].try_into().ok()?);
        Some((id, expires))
    }
}

fn payload(list_id: &str, subscriber: SubscriberId) -> [u8; PAYLOAD_LEN] {
    let mut p = [0u8; PAYLOAD_LEN];
    p[0] = PURPOSE_UNSUBSCRIBE;
    p[1..3].copy_from_slice(&list_tag(list_id));
    p[3..11].copy_from_slice(&(subscriber as u64).to_be_bytes());
    p
}

/// Two bytes naming the list, so a token from another list is refused early.
fn list_tag(list_id: &str) -> [u8; 2] {
    let h = Sha256::digest(list_id.as_bytes());
    [h[0], h[1]]
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random Message-ID part, for test sends.
pub fn random_message_id_part() -> String {
    hex(&rand::random::<[u8; MESSAGE_ID_HEX / 2]>())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new(b"0123456789abcdef0123456789abcdef", "test").unwrap()
    }

    #[test]
    fn a_token_encodes_the_id_as_eight_big_endian_bytes_whatever_its_rust_type() {
        // Links already sent must keep working: the encoding is the one that
        // tokens had when ids were u64 in this module.
        let token = secret().unsubscribe_token("l", 7);
        let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        assert_eq!(bytes[3..11], 7u64.to_be_bytes());
        assert_eq!(secret().verify_unsubscribe("l", &token), Some(7));
        let confirm = URL_SAFE_NO_PAD
            .decode(secret().confirm_token("l", 7, 99))
            .unwrap();
        assert_eq!(confirm[3..11], 7u64.to_be_bytes());
    }

    #[test]
    fn tokens_verify_for_their_subscriber_and_list_only() {
        let s = secret();
        let t = s.unsubscribe_token("news.example.org", 42);
        assert_eq!(t.len(), TOKEN_LEN);
        assert_eq!(s.verify_unsubscribe("news.example.org", &t), Some(42));
        assert_eq!(s.verify_unsubscribe("other.example.org", &t), None);
        // Any of the list's identities will do; a list it never was will not.
        let history = ["renamed.example.org", "news.example.org"];
        assert_eq!(s.verify_unsubscribe_any(&history, &t), Some(42));
        assert_eq!(s.verify_unsubscribe_any(&history[..1], &t), None);
        assert_eq!(s.verify_unsubscribe_any::<&str>(&[], &t), None);
        let other = Secret::new(b"another secret that is long enough!!", "t").unwrap();
        assert_eq!(other.verify_unsubscribe("news.example.org", &t), None);
    }

    #[test]
    fn any_changed_character_fails() {
        let s = secret();
        let t = s.unsubscribe_token("l.example", 7);
        for i in 0..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(bytes).unwrap();
            assert_eq!(
                s.verify_unsubscribe("l.example", &forged),
                None,
                "position {i}"
            );
        }
        assert_eq!(s.verify_unsubscribe("l.example", &t[..TOKEN_LEN - 1]), None);
        assert_eq!(s.verify_unsubscribe("l.example", ""), None);
    }

    #[test]
    fn short_secrets_are_refused_without_echoing_them() {
        let err = Secret::new(b"hunter2", "GAZETTE_SECRET")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("needs at least 32") && !err.contains("hunter2"),
            "{err}"
        );
        assert_eq!(format!("{:?}", secret()), "Secret(redacted)");
    }

    #[test]
    fn message_ids_are_deterministic() {
        let s = secret();
        assert_eq!(s.message_id_part("l", 1, 2), s.message_id_part("l", 1, 2));
        assert_ne!(s.message_id_part("l", 1, 2), s.message_id_part("l", 1, 3));
        assert_ne!(s.message_id_part("l", 1, 2), s.message_id_part("l", 2, 2));
        assert_eq!(s.message_id_part("l", 1, 2).len(), MESSAGE_ID_HEX);
    }
}

#[cfg(test)]
mod confirm_tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new(b"0123456789abcdef0123456789abcdef", "test").unwrap()
    }

    #[test]
    fn confirm_tokens_carry_subscriber_and_expiry() {
        let s = secret();
        let t = s.confirm_token("news.example.org", 42, 1_800_000_000);
        assert_eq!(t.len(), CONFIRM_TOKEN_LEN);
        assert_eq!(
            s.verify_confirm("news.example.org", &t),
            Some((42, 1_800_000_000))
        );
        assert_eq!(s.verify_confirm("other.example.org", &t), None);
        assert_eq!(
            s.verify_confirm_any(&["other.example.org", "news.example.org"], &t),
            Some((42, 1_800_000_000))
        );
        assert_eq!(s.verify_confirm("news.example.org", &t[..46]), None);
        for i in 0..t.len() {
            let mut bytes = t.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let forged = String::from_utf8(bytes).unwrap();
            assert_eq!(
                s.verify_confirm("news.example.org", &forged),
                None,
                "position {i}"
            );
        }
    }

    #[test]
    fn the_two_kinds_of_token_never_pass_for_each_other() {
        let s = secret();
        let unsubscribe = s.unsubscribe_token("l.example", 7);
        let confirm = s.confirm_token("l.example", 7, 1_800_000_000);
        assert_eq!(s.verify_confirm("l.example", &unsubscribe), None);
        assert_eq!(s.verify_unsubscribe("l.example", &confirm), None);
        // Same length, other purpose byte: refused too.
        let mut bytes = URL_SAFE_NO_PAD.decode(&confirm).unwrap();
        bytes[0] = PURPOSE_UNSUBSCRIBE;
        let relabelled = URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(s.verify_confirm("l.example", &relabelled), None);
    }
}

//! The message composed once with placeholders where the recipient's
//! token and Message-ID go, and where each placeholder landed in the encoded
//! bytes, so that [`super::Factory::build`] fills them in by plain copying.

use super::compose::{Parts, compose};
use super::token::{MESSAGE_ID_HEX, TOKEN_LEN};
use crate::render::UNSUBSCRIBE_MARK;

const TOKEN_PLACEHOLDER: &str = "GazetteUnsubscribeTokenPlaceholder00";
pub(super) const MESSAGE_ID_PLACEHOLDER: &str = "GazetteMessageIdentifier";
const _: () =
    assert!(TOKEN_PLACEHOLDER.len() == TOKEN_LEN && MESSAGE_ID_PLACEHOLDER.len() == MESSAGE_ID_HEX);

/// The message with placeholders, and where each landed in its bytes.
pub(super) struct Template {
    bytes: Vec<u8>,
    tokens: Vec<Vec<usize>>,
    message_id: Vec<usize>,
}

impl Template {
    /// Composes the message with placeholders and finds them; `None` when a
    /// part's encoding hides them (base64), or for a message with no list.
    pub(super) fn locate(parts: &Parts, message_id: &str) -> Option<Template> {
        let list = parts.list.as_ref()?;
        let bytes = compose(parts, TOKEN_PLACEHOLDER, message_id);
        let tokens = find_all(&bytes, TOKEN_PLACEHOLDER.as_bytes());
        let expected = 1
            + usize::from(list.unsubscribe_mailto.is_some())
            + parts.rendered.text.matches(UNSUBSCRIBE_MARK).count()
            + parts.rendered.html.matches(UNSUBSCRIBE_MARK).count();
        let ids = find_all(&bytes, MESSAGE_ID_PLACEHOLDER.as_bytes());
        if tokens.len() != expected || ids.len() != 1 {
            return None;
        }
        Some(Template {
            bytes,
            tokens,
            message_id: ids.into_iter().next()?,
        })
    }

    /// Appends the template to `out` with `token` and `id_part` in place.
    pub(super) fn fill(&self, token: &str, id_part: &str, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&self.bytes);
        let body = &mut out[start..];
        for slot in &self.tokens {
            for (&at, &b) in slot.iter().zip(token.as_bytes()) {
                body[at] = b;
            }
        }
        for (&at, &b) in self.message_id.iter().zip(id_part.as_bytes()) {
            body[at] = b;
        }
    }
}

/// Every occurrence of `needle` in `hay`, allowing quoted-printable soft line
/// breaks (`=\r\n`) between its characters: the byte positions of each character.
fn find_all(hay: &[u8], needle: &[u8]) -> Vec<Vec<usize>> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < hay.len() {
        if hay[i] == needle[0]
            && let Some(positions) = match_at(hay, i, needle)
        {
            i = positions[positions.len() - 1] + 1;
            found.push(positions);
            continue;
        }
        i += 1;
    }
    found
}

fn match_at(hay: &[u8], start: usize, needle: &[u8]) -> Option<Vec<usize>> {
    let mut positions = Vec::with_capacity(needle.len());
    let mut j = start;
    for &c in needle {
        while hay[j..].starts_with(b"=\r\n") {
            j += 3;
        }
        if *hay.get(j)? != c {
            return None;
        }
        positions.push(j);
        j += 1;
    }
    Some(positions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders_across_soft_breaks() {
        let hay = b"xx ABC= \r\nA=\r\nBC AB=\r\nC";
        assert_eq!(
            find_all(hay, b"ABC"),
            vec![vec![3, 4, 5], vec![10, 14, 15], vec![17, 18, 22]]
        );
    }
}

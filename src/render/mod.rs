//! Rendering: a checked draft becomes an HTML part and a plain-text part, once
//! per issue.
//!
//! The one per-recipient value, the unsubscribe URL, is written as
//! [`UNSUBSCRIBE_MARK`] and filled in later by plain substitution, so building a
//! recipient's message never renders templates or Markdown again.

mod html;
mod text;

use crate::config::Config;
use crate::draft::Draft;

/// Stands for the recipient's unsubscribe URL in both rendered parts. It is
/// made of characters that neither HTML escaping nor CSS inlining alters.
pub const UNSUBSCRIBE_MARK: &str = "gazette:unsubscribe-url";

/// The two rendered parts of an issue, with the unsubscribe URL still marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Renders an issue. Fails only if CSS inlining fails, which means a bug in
/// the built-in stylesheet.
pub fn render(draft: &Draft, config: &Config) -> Rendered {
    Rendered {
        subject: draft.subject.clone(),
        html: html::render(draft, config),
        text: text::render(draft, config),
    }
}

impl Rendered {
    /// Both parts with `url` as the unsubscribe URL: (html, text).
    pub fn personalise(&self, url: &str) -> (String, String) {
        let escaped = escape_html(url);
        (
            self.html.replace(UNSUBSCRIBE_MARK, &escaped),
            self.text.replace(UNSUBSCRIBE_MARK, url),
        )
    }
}

/// A URL shown where no recipient is known (previews, `render` to a file).
pub fn sample_unsubscribe_url(config: &Config) -> String {
    format!("{}/unsubscribe/PREVIEW", config.base_url)
}

/// Escapes text for HTML content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The size the HTML part takes once quoted-printable encoded, which is what
/// Gmail's clipping limit (about 102 KB) is measured against.
pub fn encoded_html_size(html: &str) -> usize {
    let escaped = html.bytes().filter(|&b| b >= 0x7f || b == b'=').count();
    let soft_breaks: usize = html.lines().map(|l| l.len() / 73).sum();
    html.len() + 2 * escaped + 3 * soft_breaks
}

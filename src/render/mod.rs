//! Rendering: a checked draft becomes an HTML part and a plain-text part, once
//! per issue.
//!
//! The one per-recipient value, the unsubscribe URL, is written as
//! [`UNSUBSCRIBE_MARK`] and filled in later by plain substitution, so building a
//! recipient's message never renders templates or Markdown again.

mod html;
mod style;
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

/// Where an issue's HTML is read, which decides the links around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// In a subscriber's inbox: why they receive it and their own unsubscribe
    /// link (as [`UNSUBSCRIBE_MARK`]), with a link to the issue in the archive.
    Email,
    /// On the archive's page: links to the index and the sign-up page above
    /// the issue, and a sign-up link where the email has the personal one.
    Archive {
        index_url: &'a str,
        subscribe_url: &'a str,
    },
}

/// Renders an issue for email. Panics only if CSS inlining fails, which
/// means a bug in the built-in stylesheet.
pub fn render(draft: &Draft, config: &Config) -> Rendered {
    Rendered {
        subject: draft.subject.clone(),
        html: render_html(draft, config, &Frame::Email),
        text: text::render(draft, config),
    }
}

/// A welcome mail's two parts: `blocks` (the `[welcome] text`) in the issue's
/// look, the unsubscribe URL marked as in an issue.
pub fn welcome(config: &Config, subject: &str, blocks: &[crate::draft::Block]) -> Rendered {
    Rendered {
        subject: subject.to_owned(),
        html: html::welcome(config, subject, blocks),
        text: text::welcome(config, blocks),
    }
}

/// The HTML part alone, in `frame`, CSS inlined.
pub fn render_html(draft: &Draft, config: &Config, frame: &Frame<'_>) -> String {
    html::render(draft, config, frame)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::newsletter::Newsletter;

    #[test]
    fn the_archive_frame_links_to_sign_up_and_to_no_one_in_particular() {
        let n = Newsletter::open(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let draft = n.load_ok(&n.draft_paths().unwrap()[0]).unwrap().draft;
        let frame = Frame::Archive {
            index_url: "/nl/archive",
            subscribe_url: "/nl/subscribe?a&b",
        };
        let page = render_html(&draft, &n.config, &frame);
        for personal in [UNSUBSCRIBE_MARK, "/unsubscribe/", "You are receiving"] {
            assert!(!page.contains(personal), "{personal} in {page}");
        }
        let body = &page[page.find("<body").unwrap()..];
        let nav = body.find("href=\"/nl/archive\"").unwrap();
        assert!(nav < body.find("class=\"preheader\"").unwrap(), "{body}");
        assert!(body.contains("href=\"/nl/subscribe?a&amp;b\""), "{body}");
        assert!(body.contains(&format!("This is issue #{} of ", draft.issue)));
        let email = render_html(&draft, &n.config, &Frame::Email);
        assert_eq!(email, render(&draft, &n.config).html);
        assert!(email.contains(UNSUBSCRIBE_MARK) && !email.contains("/nl/"));
    }

    #[test]
    fn right_to_left_languages_and_scripts_read_right_to_left() {
        for rtl in ["ar", "he", "fa-IR", "ur", "yi", "AR-eg", "pa-Arab", "ckb"] {
            assert_eq!(html::direction(rtl), "rtl", "{rtl}");
        }
        for ltr in ["en", "fr", "hu", "ja", "az-Latn", "ku-Latn", "hebrew", ""] {
            assert_eq!(html::direction(ltr), "ltr", "{ltr}");
        }
    }
}

//! `link_text`: how a bare URL is shown as the text of its link in the HTML
//! part (the `href` always holds the whole URL).

use crate::diag::Diagnostic;
use crate::fields::Fields;

/// The visible text of a link whose text is its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkText {
    /// The whole URL, with invisible breaks after `/`, `?`, `&` and the like (`"url"`).
    #[default]
    Url,
    /// Host and path, cut with `…` when long (`"short"`).
    Short,
}

pub(super) fn read_link_text(f: &mut Fields<'_, '_>) -> LinkText {
    match f.opt_str("link_text") {
        None => LinkText::Url,
        Some(s) => match s.get_ref().as_str() {
            "url" => LinkText::Url,
            "short" => LinkText::Short,
            other => {
                let d = Diagnostic::error(
                    s.span(),
                    format!("`link_text` `{other}` is neither `url` nor `short`"),
                )
                .with_hint("`url` shows whole URLs; `short` shows host and path, cut with …");
                f.diags.push(d);
                LinkText::Url
            }
        },
    }
}

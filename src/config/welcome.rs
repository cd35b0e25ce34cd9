//! The `[welcome]` table: the mail `serve` sends a reader once their sign-up
//! is confirmed (none without the table).
//!
//! ```toml
//! [welcome]
//! subject = "Welcome to {name}"      # the default
//! text = """
//! Thanks for subscribing. An issue comes every Sunday morning.
//! """
//! send_latest = false                # also send the latest published issue
//! ```

use crate::diag::Diagnostic;
use crate::fields::Fields;
use std::ops::Range;

/// The checked `[welcome]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    pub subject: String,
    /// Markdown, in the draft's subset (checked by `gazette check` and `serve`).
    pub text: String,
    /// Where `text` is written in the config, for its diagnostics.
    pub text_span: Range<usize>,
    pub send_latest: bool,
}

impl Welcome {
    /// Reads the optional table; `name` fills `{name}` in the subject.
    pub fn read(f: &mut Fields<'_, '_>, name: &str) -> Option<Welcome> {
        let (table, span) = f.opt_table("welcome")?;
        let mut t = Fields::new(table, span, "the [welcome] table", &mut *f.diags);
        let subject = match t.opt_str("subject") {
            None => format!("Welcome to {name}"),
            Some(s) => {
                if s.get_ref().contains(['\r', '\n']) || s.get_ref().trim().is_empty() {
                    let d = Diagnostic::error(s.span(), "`subject` must be one line of text");
                    t.diags.push(d);
                }
                s.get_ref().replace("{name}", name)
            }
        };
        let text = t.req_str("text");
        let send_latest = t.opt_bool("send_latest").is_some_and(|b| *b.get_ref());
        t.finish();
        let text = text?;
        Some(Welcome {
            subject,
            text_span: text.span(),
            text: text.into_inner(),
            send_latest,
        })
    }
}

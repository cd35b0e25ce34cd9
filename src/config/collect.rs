//! The `[collect]` table: the feeds `gazette collect` reads saved links from.
//!
//! ```toml
//! [collect]
//! feeds = ["https://bookmarks.example.org/u/ada/saved.atom"]
//! section = "news"   # default: the first configured section
//! ```

use super::SectionDef;
use super::url::check_url;
use crate::diag::Diagnostic;
use crate::fields::Fields;

/// The checked `[collect]` settings (no table: no feeds).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collect {
    /// RSS or Atom feeds of links saved for the newsletter (a read-later or
    /// bookmarking service's feed, a tag feed), read in order.
    pub feeds: Vec<String>,
    /// The section their items go to; `None`: the first configured section.
    pub section: Option<String>,
}

impl Collect {
    pub fn read(f: &mut Fields<'_, '_>, sections: &[SectionDef]) -> Collect {
        let mut collect = Collect::default();
        let Some((table, span)) = f.opt_table("collect") else {
            return collect;
        };
        let mut t = Fields::new(table, span, "the [collect] table", &mut *f.diags);
        for feed in t.opt_str_array("feeds").unwrap_or_default() {
            match check_url(feed.get_ref()) {
                Ok(()) => collect.feeds.push(feed.into_inner()),
                Err(problem) => {
                    let msg = format!("the feed `{}` {problem}", feed.get_ref());
                    t.diags.push(Diagnostic::error(feed.span(), msg));
                }
            }
        }
        if let Some(section) = t.opt_str("section") {
            if sections.iter().any(|s| &s.key == section.get_ref()) || sections.is_empty() {
                collect.section = Some(section.into_inner());
            } else {
                let keys: Vec<String> = sections.iter().map(|s| format!("`{}`", s.key)).collect();
                let d = Diagnostic::error(
                    section.span(),
                    format!("`{}` is not a configured section", section.get_ref()),
                )
                .with_hint(format!("the sections are {}", keys.join(", ")));
                t.diags.push(d);
            }
        }
        t.finish();
        collect
    }
}

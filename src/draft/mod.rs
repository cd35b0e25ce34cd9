//! The draft: one issue as the editor wrote it, parsed and checked.
//!
//! `parse` turns draft TOML into a [`Draft`] (errors point at file, line and
//! column); `lint` adds the warnings that need more context than one file
//! (links featured in earlier issues, the rendered size).

pub mod lint;
mod markdown;
mod parse;
mod present;
pub mod skeleton;
mod time;
mod written;

pub use markdown::{Block, Inline, collect_links, plain};
pub use parse::parse;
pub use present::{long_date, subject_from_template};

use std::ops::Range;

/// Markdown written outside a draft (the config's `[welcome] text`, at `span`
/// of `source`): its blocks in the draft's subset, or located errors.
pub fn markdown_blocks(
    value: &str,
    span: Range<usize>,
    source: &str,
    key: &str,
) -> Result<Vec<Block>, Vec<crate::diag::Diagnostic>> {
    let mut diags = Vec::new();
    let spanned = toml::Spanned::new(span, value.to_owned());
    parse::markdown_text(&spanned, key, source, &mut diags).ok_or(diags)
}

/// A checked issue, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub issue: u32,
    pub date: jiff::civil::Date,
    pub subject: String,
    pub preheader: String,
    /// When to send, as an instant (local times are resolved in the config's zone).
    pub send_at: Option<jiff::Timestamp>,
    /// Where `send_at` is written, for warnings about it.
    pub send_at_span: Option<Range<usize>>,
    pub intro: Vec<Block>,
    pub sponsor: Option<Sponsor>,
    /// The configured sections in configured order, each with its items (maybe none).
    pub sections: Vec<Section>,
    /// The closing paragraphs after the last section, before the footer (maybe none).
    pub outro: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sponsor {
    pub name: String,
    pub text: Vec<Block>,
    pub url: Link,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub key: String,
    pub title: String,
    /// Where the section's first `[[key]]` stands, if anywhere.
    pub span: Option<Range<usize>>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub title: Option<String>,
    pub text: Vec<Block>,
    pub links: Vec<Link>,
}

/// A URL with the span it was written at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: String,
    pub span: Range<usize>,
}

impl Draft {
    /// Every URL of the issue in reading order: sponsor, item links and inline links.
    pub fn links(&self) -> Vec<&Link> {
        let mut out = Vec::new();
        markdown::collect_links(&self.intro, &mut out);
        if let Some(s) = &self.sponsor {
            markdown::collect_links(&s.text, &mut out);
            out.push(&s.url);
        }
        for section in &self.sections {
            for item in &section.items {
                markdown::collect_links(&item.text, &mut out);
                out.extend(item.links.iter());
            }
        }
        markdown::collect_links(&self.outro, &mut out);
        out
    }
}

/// A URL normalised for comparing: scheme and host lower-cased, no trailing
/// slash, no `utm_*` parameters, no fragment.
pub fn normalize_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.split('#').next().unwrap_or("");
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = before_query
        .split_once('/')
        .map_or((before_query, ""), |(h, p)| (h, p));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.to_ascii_lowercase().starts_with("utm_"))
        .collect();
    let mut out = format!(
        "{}://{}/{}",
        scheme.to_ascii_lowercase(),
        host.to_ascii_lowercase(),
        path
    );
    while out.ends_with('/') {
        out.pop();
    }
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalise_for_comparison() {
        assert_eq!(
            normalize_url("HTTPS://Blog.Example.COM/Post/?utm_source=x&id=3&utm_medium=y#top"),
            "https://blog.example.com/Post?id=3"
        );
        assert_eq!(
            normalize_url("https://a.com/"),
            normalize_url("https://a.com")
        );
    }
}

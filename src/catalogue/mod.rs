//! The back catalogue: past issues exported as Markdown (front matter, an
//! intro, a sponsor block, section headings, items of a paragraph and its
//! link lines) read into gazette's own drafts, so that the archive, the feed
//! and the "already linked" warning cover a newsletter's whole history.
//!
//! `front` reads the front matter, `blocks` the Markdown, `issue` makes the
//! [`Issue`], `write` the draft TOML; `batch` imports many files at once
//! (the closing paragraph they share, the drafts and the store).

pub mod batch;
mod blocks;
mod front;
mod issue;
mod write;

pub use batch::{Batch, FileOutcome, Options, Outcome};
pub use write::draft_toml;

use crate::config::Config;
use crate::diag::{Diagnostic, Source};
use std::collections::HashSet;
use std::ops::Range;

/// One past issue, as read from its Markdown.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub number: u32,
    /// The date, in the config's time zone.
    pub date: jiff::civil::Date,
    /// When it went out: the front matter's instant, or the start of its date.
    pub published: jiff::Timestamp,
    /// The title, when it differs from what the config's subject template makes.
    pub subject: Option<String>,
    /// Paragraphs of Markdown.
    pub intro: Vec<String>,
    pub sponsor: Option<Sponsor>,
    /// Every configured section, in configured order, by key, with its items.
    pub sections: Vec<(String, Vec<Item>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sponsor {
    pub name: String,
    /// Paragraphs of Markdown.
    pub text: Vec<String>,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// One paragraph of Markdown.
    pub text: String,
    pub links: Vec<String>,
    /// Where the paragraph stands in the Markdown.
    pub span: Range<usize>,
    /// Link lines refused (reported already): the item is not without links.
    pub bad_links: usize,
}

/// A file's front matter and blocks, before the closing paragraph that most
/// files share is known.
#[derive(Debug, Clone)]
pub struct Scanned {
    front: front::Front,
    blocks: Vec<blocks::Block>,
}

impl Scanned {
    /// Reads a file's front matter and Markdown blocks.
    pub fn read(source: &Source) -> Result<Scanned, Vec<Diagnostic>> {
        let front = front::read(&source.text).map_err(|d| vec![d])?;
        let blocks = blocks::read(&source.text, front.body)?;
        Ok(Scanned { front, blocks })
    }

    /// The last block, when it is a paragraph without link lines after a
    /// heading (an intro is never boilerplate): the candidate closing
    /// boilerplate, white space squashed.
    pub fn closing(&self) -> Option<String> {
        let (last, before) = self.blocks.split_last()?;
        if !before
            .iter()
            .any(|b| matches!(b, blocks::Block::Heading { .. }))
        {
            return None;
        }
        match last {
            blocks::Block::Paragraph(p) if p.links.is_empty() && !p.text.is_empty() => {
                Some(crate::config::squash(&p.text))
            }
            _ => None,
        }
    }

    /// The issue, leaving out `footers` as the final paragraph and paragraphs
    /// matching `[import] drop`; also the paragraphs it left out.
    pub fn issue(
        &self,
        config: &Config,
        footers: &HashSet<String>,
    ) -> Result<(Issue, Vec<String>), Vec<Diagnostic>> {
        issue::build(&self.front, &self.blocks, config, footers).map(|b| (b.issue, b.dropped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(import: &str) -> Config {
        let text = format!(
            "name = \"Ops\"\nfrom = \"Ops <e@ops.example>\"\nbase_url = \"https://ops.example\"\n\
             postal_address = \"1 Street\"\n\n[[sections]]\nkey = \"news\"\ntitle = \"News\"\n\n\
             [[sections]]\nkey = \"events\"\ntitle = \"Events\"\n\n{import}"
        );
        Config::parse(Path::new("/n"), &Source::new("c", text)).unwrap()
    }

    fn read(config: &Config, md: &str) -> Result<(Issue, Vec<String>), Vec<String>> {
        let source = Source::new("i.md", md);
        let scanned = Scanned::read(&source).map_err(|d| messages(&d))?;
        scanned
            .issue(config, &HashSet::new())
            .map_err(|d| messages(&d))
    }

    fn messages(diags: &[Diagnostic]) -> Vec<String> {
        diags.iter().map(|d| d.message.clone()).collect()
    }

    const FRONT: &str = "---\nissue: 9\ndate: 2021-03-07\n---\n\nIntro.\n\n";

    #[test]
    fn configured_patterns_sponsor_mapping_and_drop() {
        let c = config(
            "[import]\nsponsor = \"Sponsored by {name}\"\nsections = { \"Meetups\" = \"events\" }\n\
             drop = [\"Share this issue*\"]\n",
        );
        let md = format!(
            "{FRONT}## Sponsored by Lanternfish\n\nTraces.\n\nhttps://lanternfish.example/\n\n\
             ## MEETUPS\n\nA meetup.\n\nhttps://meet.example/\n\nShare this issue with a friend.\n\n\
             Another meetup.\n\nhttps://meet.example/2\n"
        );
        let (issue, dropped) = read(&c, &md).unwrap();
        let sponsor = issue.sponsor.unwrap();
        assert_eq!(
            (sponsor.name.as_str(), sponsor.url.as_str()),
            ("Lanternfish", "https://lanternfish.example/")
        );
        let events = &issue.sections[1];
        assert_eq!(events.0, "events");
        let texts: Vec<_> = events.1.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts, ["A meetup.", "Another meetup."]);
        assert_eq!(dropped, ["Share this issue with a friend."]);
        assert_eq!(issue.subject, None, "no title: the template's subject");
    }

    #[test]
    fn structural_mistakes_are_each_reported() {
        let c = config("");
        let md = format!(
            "{FRONT}Acme sponsors Ops\n=================\n\nBuy.\n\nhttps://a.example/\nhttps://b.example/\n\n\
             # News\n\nhttps://orphan.example/\n\nAn item with a [javascript](javascript:alert(1)) link.\n\n\
             https://ok.example/\n\n> a quote\n"
        );
        let errors = read(&c, &md).unwrap_err();
        assert_eq!(
            errors,
            [
                "the link `javascript:alert(1)` must be an absolute http(s) URL, not a `javascript:` URL",
                "a block quote is not part of the format"
            ],
            "the Markdown's blocks and inline links first"
        );
        let md = md.replace("> a quote\n", "");
        let errors = read(&c, &md).unwrap_err();
        assert_eq!(
            errors,
            [
                "the link `javascript:alert(1)` must be an absolute http(s) URL, not a `javascript:` URL"
            ]
        );
        let md = md.replace("javascript:alert(1)", "https://js.example/");
        let errors = read(&c, &md).unwrap_err();
        assert_eq!(
            errors,
            [
                "the sponsor block has more than one link line",
                "links with no paragraph before them",
            ]
        );
    }

    #[test]
    fn config_errors_in_the_import_table_are_located() {
        let text = "name = \"Ops\"\nfrom = \"Ops <e@ops.example>\"\nbase_url = \"https://ops.example\"\n\
                    postal_address = \"1 Street\"\n[import]\nsponsor = \"sponsors\"\n\
                    sections = { \"Meetups\" = \"meetups\" }\ndrop = [\"{name}\"]\n";
        let diags = Config::parse(Path::new("/n"), &Source::new("c", text)).unwrap_err();
        assert_eq!(
            messages(&diags),
            [
                "`sponsor` must hold `{name}` once",
                "`meetups` is not a section key",
                "a `drop` pattern is text with `*` for any text",
            ]
        );
        assert_eq!(
            diags[1].hint.as_deref(),
            Some("the configured sections are `news`, `tools`")
        );
    }
}

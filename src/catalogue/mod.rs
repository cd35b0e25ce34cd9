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

    /// The last block, when it is a paragraph without link lines: the
    /// candidate closing boilerplate, white space squashed.
    pub fn closing(&self) -> Option<String> {
        match self.blocks.last()? {
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

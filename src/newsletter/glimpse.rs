//! A draft's issue number and date, read leniently: a draft with errors
//! elsewhere still has them, so `new`, `check` and `send` can number and
//! refuse duplicates whatever state the other drafts are in.

use super::{Loaded, Newsletter};
use crate::diag::Source;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A draft's `issue` and `date`, read leniently (a draft with errors
/// elsewhere still has them), with where `issue` is written.
#[derive(Debug, Clone)]
pub struct Glimpse {
    pub path: PathBuf,
    pub issue: Option<u32>,
    pub issue_span: std::ops::Range<usize>,
    pub date: Option<jiff::civil::Date>,
}

impl Newsletter {
    /// Every draft's issue number and date, read leniently.
    pub fn glimpses(&self) -> Result<Vec<Glimpse>> {
        Ok(self
            .draft_paths()?
            .into_iter()
            .map(|path| glimpse(&path))
            .collect())
    }

    /// The other drafts numbered `issue` (drafts/ should hold one per issue).
    pub fn others_numbered(&self, issue: u32, path: &Path) -> Result<Vec<PathBuf>> {
        let me = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        Ok(self
            .glimpses()?
            .into_iter()
            .filter(|g| g.issue == Some(issue))
            .filter(|g| g.path.canonicalize().unwrap_or_else(|_| g.path.clone()) != me)
            .map(|g| g.path)
            .collect())
    }

    /// An error when another draft has `issue`'s number too, naming both.
    pub fn check_unique(&self, issue: u32, path: &Path) -> Result<()> {
        match self.others_numbered(issue, path)?.first() {
            None => Ok(()),
            Some(other) => Err(Error::Input(format!(
                "{} and {} are both issue #{issue}: give one of them another `issue` number",
                self.display(path),
                self.display(other)
            ))),
        }
    }
}

fn glimpse(path: &Path) -> Glimpse {
    match Source::read(path, "") {
        Ok((source, None)) => glimpse_text(path, &source.text),
        _ => glimpse_text(path, ""),
    }
}

/// The glimpse of a draft already read (check has every draft loaded).
pub fn glimpse_of(loaded: &Loaded) -> Glimpse {
    glimpse_text(&loaded.path, &loaded.source.text)
}

fn glimpse_text(path: &Path, text: &str) -> Glimpse {
    let mut g = Glimpse {
        path: path.to_path_buf(),
        issue: None,
        issue_span: 0..0,
        date: None,
    };
    let Ok(table) = crate::fields::parse(text) else {
        return g;
    };
    for (key, value) in table.into_inner() {
        match key.get_ref().as_ref() {
            "issue" => {
                g.issue_span = key.span();
                g.issue = value
                    .get_ref()
                    .as_integer()
                    .and_then(|i| u32::from_str_radix(i.as_str(), i.radix()).ok());
            }
            "date" => {
                g.date = value
                    .get_ref()
                    .as_datetime()
                    .and_then(|d| d.date)
                    .and_then(|d| {
                        jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok()
                    });
            }
            _ => {}
        }
    }
    g
}

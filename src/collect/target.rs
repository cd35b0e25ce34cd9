//! The draft links are collected into: the next unsent one, written with
//! `new`'s skeleton when there is none; and adding one link to it.

use super::edit::{NewItem, append_item};
use crate::diag::Source;
use crate::draft;
use crate::error::{Error, Result};
use crate::newsletter::{Newsletter, glimpse_of, ledger_state};
use crate::schedule::Ledger;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The draft being added to.
pub struct Target {
    pub path: PathBuf,
    /// Made for these links (it did not exist).
    pub made: bool,
    /// Every link of the earlier drafts, normalised, with the latest issue it was in.
    featured: HashMap<String, u32>,
}

/// What adding one link did.
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    /// Added; an earlier issue featured it already, if `Some`.
    Yes { featured_in: Option<u32> },
    /// The draft links it already; nothing written.
    AlreadyInDraft,
}

impl Target {
    /// The lowest-numbered draft whose list send has not begun, or a new one.
    pub fn find_or_make(n: &Newsletter) -> Result<Target> {
        let (path, issue, made) = match next_unsent(n)? {
            Some((path, issue)) => (path, issue, false),
            None => {
                let path = n.write_next_draft(None, None)?;
                let issue = glimpse_of(&n.load(&path)?).issue.unwrap_or(0);
                (path, issue, true)
            }
        };
        let featured = featured_before(n, issue)?;
        Ok(Target {
            path,
            made,
            featured,
        })
    }

    /// Appends `item` to section `key`, unless the draft links it already.
    pub fn add(&self, n: &Newsletter, key: &str, item: &NewItem<'_>) -> Result<Added> {
        let normal = draft::normalize_url(item.url);
        if links_in(n, &self.path)
            .iter()
            .any(|l| draft::normalize_url(l) == normal)
        {
            return Ok(Added::AlreadyInDraft);
        }
        let shown = n.display(&self.path);
        let (source, unreadable) = Source::read(&self.path, shown.clone())
            .map_err(Error::io(format!("cannot read {}", self.path.display())))?;
        if let Some(d) = unreadable {
            return Err(Error::Diagnostics {
                file: source,
                diags: vec![d],
            });
        }
        let edited = append_item(&source.text, key, item)
            .map_err(|e| Error::Input(format!("{shown}: {e}")))?;
        crate::files::write_atomically(&self.path, &edited)?;
        Ok(Added::Yes {
            featured_in: self.featured.get(&normal).copied(),
        })
    }
}

fn next_unsent(n: &Newsletter) -> Result<Option<(PathBuf, u32)>> {
    let store = n.existing_store()?;
    let mut glimpses: Vec<_> = (n.glimpses()?.into_iter())
        .filter_map(|g| g.issue.map(|issue| (g.path, issue)))
        .collect();
    glimpses.sort_by_key(|(_, issue)| *issue);
    for (path, issue) in glimpses {
        if ledger_state(store.as_ref(), issue)? == Ledger::NotStarted {
            return Ok(Some((path, issue)));
        }
    }
    Ok(None)
}

fn featured_before(n: &Newsletter, issue: u32) -> Result<HashMap<String, u32>> {
    let all = n.load_all()?;
    let drafts: Vec<&crate::draft::Draft> = (all.iter())
        .filter_map(|l| l.parsed.as_ref().ok().map(|p| &p.draft))
        .collect();
    Ok(crate::draft::lint::featured_before(issue, &drafts))
}

/// The links of the draft at `path` as it is now (none if it has errors).
fn links_in(n: &Newsletter, path: &Path) -> Vec<String> {
    match n.load(path).map(|l| l.parsed) {
        Ok(Ok(parsed)) => parsed.draft.links().iter().map(|l| l.url.clone()).collect(),
        _ => Vec::new(),
    }
}

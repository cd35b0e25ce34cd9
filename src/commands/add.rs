//! `gazette add URL...`: a link found during the week, appended as an item to
//! the next unsent draft, with what the page says about itself in a comment.

use crate::cli::AddArgs;
use crate::collect::edit::{NewItem, append_item};
use crate::collect::{fetch, page, strip_tracking};
use crate::config::url::check_url;
use crate::draft::{self, lint};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::newsletter::{Newsletter, ledger_state};
use crate::schedule::Ledger;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn run(n: &Newsletter, args: AddArgs) -> Result<ExitStatus> {
    let config = &n.config;
    let key = match &args.section {
        Some(key) if config.sections.iter().any(|s| &s.key == key) => key.clone(),
        Some(key) => {
            let keys: Vec<String> = config
                .sections
                .iter()
                .map(|s| format!("`{}`", s.key))
                .collect();
            return Err(Error::Input(format!(
                "--section `{key}` is not a configured section; the sections are {}",
                keys.join(", ")
            )));
        }
        None => config.sections[0].key.clone(),
    };
    for url in &args.urls {
        check_url(url).map_err(|problem| Error::Input(format!("`{url}`: {problem}")))?;
    }

    let (path, issue) = match next_unsent(n)? {
        Some(found) => found,
        None => {
            let path = n.write_next_draft(None, None)?;
            eprintln!("gazette: wrote {}, the next draft", n.display(&path));
            let issue = crate::newsletter::glimpse_of(&n.load(&path)?)
                .issue
                .unwrap_or(0);
            (path, issue)
        }
    };
    let featured = featured_before(n, issue)?;
    for url in &args.urls {
        let (text, _) = crate::diag::Source::read(&path, n.display(&path))
            .map_err(Error::io(format!("cannot read {}", path.display())))?;
        let text = text.text;
        let (link, notes) = if args.no_fetch {
            (strip_tracking(url), Vec::new())
        } else {
            look_at(url)
        };
        let normal = draft::normalize_url(&link);
        if links_in(n, &path)
            .iter()
            .any(|l| draft::normalize_url(l) == normal)
        {
            eprintln!(
                "gazette: {link} is in {} already; not added again",
                n.display(&path)
            );
            continue;
        }
        if let Some(issue) = featured.get(&normal) {
            eprintln!("gazette: warning: {link} was already linked in issue #{issue}");
        }
        let item = NewItem {
            url: &link,
            text: args.text.as_deref().unwrap_or(lint::ADDED_TEXT_STAND_IN),
            notes: notes.clone(),
        };
        let edited = append_item(&text, &key, &item)
            .map_err(|e| Error::Input(format!("{}: {e}", n.display(&path))))?;
        replace(&path, &edited)?;
        for note in &notes {
            eprintln!("  {note}");
        }
        outln!("added {link} to {} ({key})", n.display(&path))?;
    }
    Ok(ExitStatus::Ok)
}

/// The lowest-numbered draft whose list send has not begun.
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

/// Every link of the drafts before `issue`, normalised, with the latest issue it was in.
fn featured_before(n: &Newsletter, issue: u32) -> Result<HashMap<String, u32>> {
    let mut featured = HashMap::new();
    for loaded in n.load_all()? {
        let Ok(parsed) = &loaded.parsed else { continue };
        let other = &parsed.draft;
        if other.issue < issue {
            for link in other.links() {
                let entry = featured
                    .entry(draft::normalize_url(&link.url))
                    .or_insert(other.issue);
                *entry = (*entry).max(other.issue);
            }
        }
    }
    Ok(featured)
}

/// The links of the draft at `path` as it is now (none if it has errors).
fn links_in(n: &Newsletter, path: &Path) -> Vec<String> {
    match n.load(path).map(|l| l.parsed) {
        Ok(Ok(parsed)) => parsed.draft.links().iter().map(|l| l.url.clone()).collect(),
        _ => Vec::new(),
    }
}

/// Fetches `url`: the link to keep (the canonical URL on the same site, without
/// `utm_*`) and comment lines for the editor (title, description, or why not).
fn look_at(url: &str) -> (String, Vec<String>) {
    let given = strip_tracking(url);
    let fetched = match fetch::fetch(url) {
        Ok(f) => f,
        Err(e) => return (given, vec![format!("not fetched: {e}")]),
    };
    if !matches!(
        fetched.media_type.as_str(),
        "text/html" | "application/xhtml+xml"
    ) {
        let what = if fetched.media_type.is_empty() {
            "no type"
        } else {
            &fetched.media_type
        };
        return (given, vec![format!("not an HTML page ({what})")]);
    }
    let meta = page::read(&String::from_utf8_lossy(&fetched.body), &fetched.url);
    let same_site = |c: &str| page::site(c).is_some() && page::site(c) == page::site(&fetched.url);
    let link = match &meta.canonical {
        Some(c) if same_site(c) && check_url(c).is_ok() => strip_tracking(c),
        _ => given,
    };
    let mut notes = Vec::new();
    if let Some(t) = &meta.title {
        notes.push(format!("title: {t}"));
    }
    if let Some(d) = &meta.description {
        notes.push(format!("description: {d}"));
    }
    if notes.is_empty() {
        notes.push("the page gives no title or description".into());
    }
    (link, notes)
}

/// Writes `text` over `path` through a file beside it, so a crash leaves the old draft or the new.
fn replace(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("toml.gazette-tmp");
    std::fs::write(&tmp, text).map_err(Error::io(format!("cannot write {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(Error::io(format!("cannot replace {}", path.display())))
}

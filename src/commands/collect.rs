//! `gazette collect`: the links saved in the configured feeds, each added once
//! to the next unsent draft, as `gazette add --no-fetch` would.

use crate::collect::edit::NewItem;
use crate::collect::target::{Added, Target};
use crate::collect::{feed, strip_tracking};
use crate::config::url::check_url;
use crate::draft::{self, lint};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::newsletter::Newsletter;

pub fn run(n: &Newsletter) -> Result<ExitStatus> {
    let config = &n.config;
    if config.collect.feeds.is_empty() {
        return Err(Error::Input(
            "no feeds to collect from: list them in the config, as [collect] feeds = [\"https://...\"]".into(),
        ));
    }
    let key = (config.collect.section.clone()).unwrap_or_else(|| config.sections[0].key.clone());
    let store = n.store()?;
    let now = crate::clock::now()?;
    // Made when the first new link comes, so a run with nothing new writes nothing.
    let mut target: Option<Target> = None;
    let (mut added, mut seen, mut unreadable) = (0, 0, 0);
    for url in &config.collect.feeds {
        let entries = match feed::read(url) {
            Ok(entries) => entries,
            Err(e) => {
                eprintln!("gazette: warning: {e}");
                unreadable += 1;
                continue;
            }
        };
        for entry in entries {
            if check_url(&entry.link).is_err() {
                eprintln!(
                    "gazette: warning: {url}: skipped `{}`, not an http(s) link",
                    entry.link
                );
                continue;
            }
            let link = strip_tracking(&entry.link);
            let normal = draft::normalize_url(&link);
            if store.was_collected(&normal)? {
                seen += 1;
                continue;
            }
            let target = match &mut target {
                Some(t) => t,
                None => {
                    let t = Target::find_or_make(n)?;
                    if t.made {
                        eprintln!("gazette: wrote {}, the next draft", n.display(&t.path));
                    }
                    target.insert(t)
                }
            };
            let notes: Vec<String> = [("title", &entry.title), ("description", &entry.description)]
                .into_iter()
                .filter_map(|(what, v)| v.as_ref().map(|v| format!("{what}: {v}")))
                .collect();
            let item = NewItem {
                url: &link,
                text: lint::ADDED_TEXT_STAND_IN,
                notes,
            };
            let shown = n.display(&target.path);
            match target.add(n, &key, &item)? {
                Added::AlreadyInDraft => seen += 1,
                Added::Yes { featured_in } => {
                    if let Some(issue) = featured_in {
                        eprintln!("gazette: warning: {link} was already linked in issue #{issue}");
                    }
                    outln!("added {link} to {shown} ({key})")?;
                    added += 1;
                }
            }
            // Recorded after the draft is written: a crash between the two adds
            // the link again next time (the draft check then says it is there).
            store.record_collected(&normal, &link, url, now)?;
        }
    }
    let feeds = config.collect.feeds.len();
    eprintln!(
        "collected {added} new link{} from {feeds} feed{} ({seen} seen before{})",
        if added == 1 { "" } else { "s" },
        if feeds == 1 { "" } else { "s" },
        if unreadable > 0 {
            format!(", {unreadable} feed(s) unreadable")
        } else {
            String::new()
        }
    );
    // A feed that could not be read is worth another try (cron's next run).
    Ok(if unreadable > 0 {
        ExitStatus::Deferred
    } else {
        ExitStatus::Ok
    })
}

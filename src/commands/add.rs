//! `gazette add URL...`: a link found during the week, appended as an item to
//! the next unsent draft, with what the page says about itself in a comment.

use crate::cli::AddArgs;
use crate::collect::edit::NewItem;
use crate::collect::target::{Added, Target};
use crate::collect::{look_at, strip_tracking};
use crate::config::url::check_url;
use crate::draft::lint;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::newsletter::Newsletter;

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

    let target = Target::find_or_make(n)?;
    let shown = n.display(&target.path);
    if target.made {
        eprintln!("gazette: wrote {shown}, the next draft");
    }
    for url in &args.urls {
        let (link, notes) = if args.no_fetch {
            (strip_tracking(url), Vec::new())
        } else {
            look_at(url)
        };
        let item = NewItem {
            url: &link,
            text: args.text.as_deref().unwrap_or(lint::ADDED_TEXT_STAND_IN),
            notes: notes.clone(),
        };
        match target.add(n, &key, &item)? {
            Added::AlreadyInDraft => {
                eprintln!("gazette: {link} is in {shown} already; not added again");
                continue;
            }
            Added::Yes { featured_in } => {
                if let Some(issue) = featured_in {
                    eprintln!("gazette: warning: {link} was already linked in issue #{issue}");
                }
            }
        }
        for note in &notes {
            eprintln!("  {note}");
        }
        outln!("added {link} to {shown} ({key})")?;
    }
    Ok(ExitStatus::Ok)
}

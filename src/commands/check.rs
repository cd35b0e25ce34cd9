//! `gazette check`: every error and warning of some drafts, pointing at the text.

use super::{Loaded, draft_paths, load, resolve_draft};
use crate::cli::CheckArgs;
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::draft::{Draft, lint};
use crate::error::{Error, Result};
use crate::render;
use std::path::Path;

pub fn run(root: &Path, args: CheckArgs) -> Result<u8> {
    let config = Config::load(root)?;
    let all: Vec<Loaded> = draft_paths(&config)?
        .iter()
        .map(|p| load(&config, p))
        .collect::<Result<_>>()?;
    let chosen: Vec<Loaded> = if args.drafts.is_empty() {
        all.iter()
            .map(|l| load(&config, &l.path))
            .collect::<Result<_>>()?
    } else {
        args.drafts
            .iter()
            .map(|p| {
                let path = resolve_draft(root, p);
                if !path.is_file() {
                    return Err(Error::Input(format!("no draft at {}", path.display())));
                }
                load(&config, &path)
            })
            .collect::<Result<_>>()?
    };
    if chosen.is_empty() {
        return Err(Error::Input(format!(
            "no drafts in {}",
            config.drafts_dir().display()
        )));
    }
    let others: Vec<&Draft> = all
        .iter()
        .filter_map(|l| l.parsed.as_ref().ok().map(|(d, _)| d))
        .collect();

    let (mut errors, mut warnings) = (0, 0);
    for loaded in &chosen {
        let diags = diagnostics(loaded, &others, &config);
        for d in &diags {
            eprint!("{}", d.display(&loaded.source));
        }
        errors += diags.iter().filter(|d| d.is_error()).count();
        warnings += diags.iter().filter(|d| !d.is_error()).count();
    }
    let drafts = chosen.len();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    eprintln!(
        "checked {}: {}, {}",
        plural(drafts, "draft"),
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    Ok(if errors > 0 {
        2
    } else if warnings > 0 && args.deny_warnings {
        1
    } else {
        0
    })
}

/// A draft's errors, or its warnings including those that need the other drafts.
pub fn diagnostics(loaded: &Loaded, others: &[&Draft], config: &Config) -> Vec<Diagnostic> {
    match &loaded.parsed {
        Err(diags) => diags.clone(),
        Ok((draft, warnings)) => {
            let mut diags = warnings.clone();
            lint::earlier_links(draft, others, &mut diags);
            let rendered = render::render(draft, config);
            lint::html_size(render::encoded_html_size(&rendered.html), &mut diags);
            if let Ok(now) = crate::clock::now() {
                let store = super::due::open_existing(config).ok().flatten();
                let ledger = super::due::ledger_state(store.as_ref(), draft.issue)
                    .unwrap_or(crate::schedule::Ledger::NotStarted);
                lint::send_at(
                    draft,
                    ledger != crate::schedule::Ledger::NotStarted,
                    now,
                    &mut diags,
                );
            }
            diags.sort_by_key(|d| d.span.start);
            diags
        }
    }
}

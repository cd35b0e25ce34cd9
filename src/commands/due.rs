//! `gazette send --due`: the cron entry point. Sends every draft whose
//! `send_at` has come and whose list send is not complete, oldest first, as
//! `send DRAFT --yes` would; silent when there is nothing to do.

use super::{Loaded, display_path, draft_paths, load, send};
use crate::cli::SendArgs;
use crate::config::Config;
use crate::error::Result;
use crate::schedule::{self, Entry, Ledger};
use crate::store::Store;
use crate::{clock, fields, lock};
use jiff::Timestamp;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub fn run(root: &Path, args: &SendArgs) -> Result<u8> {
    let config = Config::load(root)?;
    let Some(_lock) = lock::try_acquire(&config)? else {
        if args.verbose {
            eprintln!(
                "gazette: another gazette send holds {}; this run does nothing",
                config.data_dir().join("send.lock").display()
            );
        }
        return Ok(0);
    };
    let now = clock::now()?;
    let store = open_existing(&config)?;
    let mut entries = Vec::new();
    let mut paths: HashMap<u32, (PathBuf, Timestamp)> = HashMap::new();
    let mut code = 0u8;
    for path in draft_paths(&config)? {
        let loaded = load(&config, &path)?;
        match &loaded.parsed {
            Ok((draft, _)) => {
                entries.push(Entry {
                    issue: draft.issue,
                    send_at: draft.send_at,
                    ledger: ledger_state(store.as_ref(), draft.issue)?,
                });
                if let Some(at) = draft.send_at {
                    paths.insert(draft.issue, (path.clone(), at));
                }
            }
            Err(diags) => {
                // A draft being written is no one's business until it is due.
                if lenient_send_at(&loaded, &config).is_some_and(|at| at > now) {
                    continue;
                }
                for d in diags {
                    eprint!("{}", d.display(&loaded.source));
                }
                eprintln!(
                    "gazette: error: {} has errors and was not sent",
                    loaded.source.name
                );
                code = 2;
            }
        }
    }
    let plan = schedule::due(&entries, now, config.max_lateness);
    if plan.send.is_empty() && plan.too_late.is_empty() {
        if args.verbose && code == 0 {
            eprintln!("gazette: nothing is due");
        }
        return Ok(code);
    }
    let store = match store {
        Some(s) => s,
        None => Store::open(&config.database)?,
    };
    for issue in &plan.too_late {
        let (path, at) = &paths[issue];
        if store.note_once(*issue, "too-late", now.as_second())? {
            eprintln!(
                "gazette: issue #{issue} ({}) was due at {}, more than {:#} ago, and was never started: \
                 it will not be sent automatically. Send it with `gazette send {}`, or move its send_at",
                display_path(root, path),
                at.to_zoned(config.timezone.clone())
                    .strftime("%Y-%m-%d %H:%M %Z"),
                config.max_lateness,
                display_path(root, path)
            );
            code = code.max(1);
        }
    }
    drop(store);
    let args = SendArgs {
        yes: true,
        ..args.clone()
    };
    for issue in &plan.send {
        let (path, _) = &paths[issue];
        let result = send::send_one(root, &config, path, &args, now.as_second());
        let this = match result {
            Ok(c) => c,
            Err(e) => {
                eprintln!("gazette: error: issue #{issue}: {e}");
                e.exit_code()
            }
        };
        if this == 130 || this == 143 {
            return Ok(this);
        }
        code = worst(code, this);
    }
    Ok(code)
}

/// Combines exit codes: bad input (2) over failures (1) over deferrals (75).
fn worst(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        2 => 3,
        1 => 2,
        75 => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The store, if it exists; never creates one.
pub fn open_existing(config: &Config) -> Result<Option<Store>> {
    if config.database.exists() {
        Store::open(&config.database).map(Some)
    } else {
        Ok(None)
    }
}

/// What the ledger says of `issue`'s list send.
pub fn ledger_state(store: Option<&Store>, issue: u32) -> Result<Ledger> {
    let Some(store) = store else {
        return Ok(Ledger::NotStarted);
    };
    Ok(match store.send_record(issue)? {
        None => Ledger::NotStarted,
        Some(r) if r.completed.is_some() => Ledger::Complete,
        Some(_) if store.state_counts(issue)?.remaining() == 0 => Ledger::Complete,
        Some(_) => Ledger::Incomplete,
    })
}

/// `send_at` of a draft that has errors elsewhere, if it can be read at all.
fn lenient_send_at(loaded: &Loaded, config: &Config) -> Option<Timestamp> {
    let table = fields::parse(&loaded.source.text).ok()?.into_inner();
    let (_, value) = table.iter().find(|(k, _)| k.get_ref() == "send_at")?;
    let dt = value.get_ref().as_datetime()?;
    let text = dt.to_string();
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    let civil: jiff::civil::DateTime = text.parse().ok()?;
    config
        .timezone
        .to_ambiguous_timestamp(civil)
        .unambiguous()
        .ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn worst_code_wins() {
        assert_eq!(super::worst(0, 75), 75);
        assert_eq!(super::worst(75, 1), 1);
        assert_eq!(super::worst(1, 75), 1);
        assert_eq!(super::worst(2, 1), 2);
        assert_eq!(super::worst(0, 0), 0);
    }
}

//! `gazette send --due`: the cron entry point. Sends every draft whose
//! `send_at` has come and whose list send is not complete, oldest first, as
//! `send DRAFT --yes` would; silent when there is nothing to do.

use crate::cli::SendArgs;
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::newsletter::{Newsletter, ledger_state};
use crate::schedule::{self, Entry};
use crate::{clock, lock};
use jiff::Timestamp;
use std::collections::HashMap;
use std::path::PathBuf;

pub fn run(n: &Newsletter, args: &SendArgs) -> Result<ExitStatus> {
    let config = &n.config;
    let Some(_lock) = lock::try_acquire(config)? else {
        if args.verbose {
            eprintln!(
                "gazette: another gazette send holds {}; this run does nothing",
                config.data_dir().join("send.lock").display()
            );
        }
        return Ok(ExitStatus::Ok);
    };
    let now = clock::now()?;
    let store = n.existing_store()?;
    let mut entries = Vec::new();
    let mut paths: HashMap<u32, (PathBuf, Timestamp)> = HashMap::new();
    let mut code = ExitStatus::Ok;
    for path in n.draft_paths()? {
        let loaded = n.load(&path)?;
        match &loaded.parsed {
            Ok(parsed) => {
                let draft = &parsed.draft;
                if args.verbose
                    && let Some(store) = &store
                    && store.imported(draft.issue)?.is_some()
                {
                    eprintln!(
                        "gazette: issue #{} ({}) was imported as published before gazette; it is never sent",
                        draft.issue,
                        n.display(&path)
                    );
                }
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
                // A draft being written is no one's business until it is due:
                // its send_at ahead, or none written (then it is never due). A
                // send_at line that cannot be read may be due: that is said.
                let written =
                    (loaded.source.text.lines()).any(|l| l.trim_start().starts_with("send_at"));
                match n.lenient_send_at(&loaded) {
                    Some(at) if at > now => continue,
                    None if !written => continue,
                    _ => {}
                }
                for d in diags {
                    eprint!("{}", d.display(&loaded.source));
                }
                eprintln!(
                    "gazette: error: {} has errors and was not sent",
                    loaded.source.name
                );
                code = ExitStatus::Usage;
            }
        }
    }
    let plan = schedule::due(&entries, now, config.max_lateness);
    if plan.send.is_empty() && plan.too_late.is_empty() {
        if args.verbose && code == ExitStatus::Ok {
            eprintln!("gazette: nothing is due");
        }
        return Ok(code);
    }
    let store = match store {
        Some(s) => s,
        None => n.store()?,
    };
    for issue in &plan.too_late {
        let (path, at) = &paths[issue];
        if store.note_once(*issue, "too-late", now.as_second())? {
            eprintln!(
                "gazette: issue #{issue} ({}) was due at {}, more than {:#} ago, and was never started: \
                 it will not be sent automatically. Send it with `gazette send {}`, or move its send_at",
                n.display(path),
                at.to_zoned(config.timezone.clone())
                    .strftime("%Y-%m-%d %H:%M %Z"),
                config.max_lateness,
                n.display(path)
            );
            code = code.worst(ExitStatus::Failed);
        }
    }
    drop(store);
    let args = SendArgs {
        yes: true,
        ..args.clone()
    };
    for issue in &plan.send {
        let (path, _) = &paths[issue];
        let this = match super::send_one(n, path, &args, now.as_second()) {
            Ok(status) => status,
            Err(e) => {
                eprintln!("gazette: error: issue #{issue}: {e}");
                e.status()
            }
        };
        if let ExitStatus::Interrupted(_) = this {
            return Ok(this);
        }
        code = code.worst(this);
    }
    Ok(code)
}

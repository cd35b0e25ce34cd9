//! `gazette subscribers`: add, remove, forget, list, count, import and export
//! the subscriber list kept in the store.
//!
//! Each subcommand opens the store named by the config, does one job through
//! [`crate::store::Store`] and reports: results on standard output, warnings
//! and the import summary on standard error.

use crate::cli::{SubscribersArgs, SubscribersCommand};
use crate::clock;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::newsletter::Newsletter;
use crate::store::import::{self, ImportOptions, Summary};
use crate::store::subscribers::{Added, Removed};
use crate::store::{Source, Status, Store, Subscriber, subscriber::stamp};

use jiff::Timestamp;
use std::io::Write;
use std::path::Path;

pub fn run(n: &Newsletter, args: SubscribersArgs) -> Result<ExitStatus> {
    let root = &n.root;
    let store = || n.store();
    // Whole seconds: the store's timestamps need no more.
    let now = Timestamp::from_second(clock::now()?.as_second()).expect("a valid instant");
    match args.command {
        SubscribersCommand::Add {
            email,
            name,
            resubscribe,
        } => add(&mut store()?, &email, name.as_deref(), resubscribe, now),
        SubscribersCommand::Remove { email } => remove(&mut store()?, &email, now),
        SubscribersCommand::Forget { email } => forget(&mut store()?, &email, now),
        SubscribersCommand::List { status, json } => list(&n.reader()?, status, json),
        SubscribersCommand::Count { json } => count(&n.reader()?, json),
        SubscribersCommand::Import {
            file,
            dry_run,
            resubscribe,
        } => {
            // The file first: a bad one need not wait for the store's lock.
            let (parsed, options) = read_import(root, &file, resubscribe, dry_run)?;
            let summary = store()?.import(&parsed, &options, now)?;
            let shown = file.display().to_string();
            for note in &summary.notes {
                eprintln!(
                    "gazette: note: {shown}:{}: {}: {}",
                    note.line, note.email, note.what
                );
            }
            report(&summary, &shown, dry_run);
            Ok(if summary.invalid > 0 {
                ExitStatus::Failed
            } else {
                ExitStatus::Ok
            })
        }
        SubscribersCommand::Export { output } => export(&n.reader()?, output.as_deref()),
    }
}

fn add(
    store: &mut Store,
    email: &str,
    name: Option<&str>,
    resubscribe: bool,
    now: Timestamp,
) -> Result<ExitStatus> {
    match store.add(email, name, "cli", resubscribe, now)? {
        Added::New(s) => outln!("added {} (id {})", s.email, s.id)?,
        Added::Activated(s) => outln!("activated {} (id {})", s.email, s.id)?,
        Added::Already(s) => outln!("{} is active already (id {})", s.email, s.id)?,
        Added::HasLeft(s) => {
            return Err(Error::Failed(format!(
                "{} is {}{}; add --resubscribe if they asked to subscribe again",
                s.email,
                s.status,
                s.unsubscribed
                    .map_or(String::new(), |t| format!(" since {}", stamp(t)))
            )));
        }
        Added::Suppressed => {
            return Err(Error::Failed(format!(
                "{} is on the suppression list (forgotten or blocklisted); gazette never adds it again",
                email.trim()
            )));
        }
    }
    Ok(ExitStatus::Ok)
}

fn remove(store: &mut Store, email: &str, now: Timestamp) -> Result<ExitStatus> {
    match store.unsubscribe(&address(email)?, now)? {
        Removed::Unsubscribed(s) => outln!("unsubscribed {} (id {})", s.email, s.id)?,
        Removed::AlreadyLeft(s) => outln!("{} is {} already (id {})", s.email, s.status, s.id)?,
        Removed::NotFound => return Err(Error::Failed(format!("no subscriber {email}"))),
    }
    Ok(ExitStatus::Ok)
}

fn forget(store: &mut Store, email: &str, now: Timestamp) -> Result<ExitStatus> {
    let email = address(email)?;
    if store.forget(&email, now)? {
        outln!("forgot {email}: its row is erased and its hash is on the suppression list")?;
    } else {
        outln!("{email} was not on the list; its hash is on the suppression list now")?;
    }
    Ok(ExitStatus::Ok)
}

fn list(store: &Store, status: Option<Status>, json: bool) -> Result<ExitStatus> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let fail = Error::io("cannot write to standard output");
    // Those who bounced or complained, with the last thing a receiver said.
    let gone = |s: Status| matches!(s, Status::Bounced | Status::Complained);
    store.each(status, |s| {
        let diagnostic = if gone(s.status) {
            store.last_diagnostic(s.id)?
        } else {
            None
        };
        let written = if json {
            let mut value = to_json(&s);
            if gone(s.status) {
                value["last_diagnostic"] = diagnostic.into();
            }
            serde_json::to_writer(&mut out, &value)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
        } else {
            let name = s.name.as_deref().unwrap_or("");
            let line = format!("{}\t{}\t{}\t{name}", s.id, s.email, s.status);
            match (status.is_some_and(gone), diagnostic) {
                (true, Some(d)) => writeln!(out, "{line}\t{d}"),
                (true, None) => writeln!(out, "{line}\t-"),
                _ => writeln!(out, "{line}"),
            }
        };
        written.map_err(Error::io("cannot write to standard output"))
    })?;
    out.flush().map_err(fail)?;
    Ok(ExitStatus::Ok)
}

fn to_json(s: &Subscriber) -> serde_json::Value {
    let mut json = serde_json::json!({
        "id": s.id,
        "email": s.email,
        "name": s.name,
        "status": s.status.as_str(),
        "created": stamp(s.created),
        "confirmed": s.confirmed.map(stamp),
        "unsubscribed": s.unsubscribed.map(stamp),
        "source": s.source.to_string(),
        "consent": {
            "at": s.consent.at.map(stamp),
            "how": s.consent.how,
            "text": s.consent.text,
            "ip": s.consent.ip,
        },
    });
    // Only when another list gave some: as JSON when they are, else as text.
    if let Some(a) = &s.attributes {
        json["attributes"] = serde_json::from_str(a).unwrap_or_else(|_| a.as_str().into());
    }
    json
}

fn count(store: &Store, json: bool) -> Result<ExitStatus> {
    let counts = store.counts()?;
    if json {
        let mut value = serde_json::Map::new();
        for s in Status::ALL {
            value.insert(s.as_str().into(), counts.get(s).into());
        }
        value.insert("total".into(), counts.total().into());
        value.insert("suppressed".into(), counts.suppressed.into());
        outln!("{}", serde_json::Value::Object(value))?;
        return Ok(ExitStatus::Ok);
    }
    let mut rows: Vec<(&str, u64)> = Status::ALL
        .iter()
        .map(|&s| (s.as_str(), counts.get(s)))
        .collect();
    rows.push(("total", counts.total()));
    rows.push(("suppressed", counts.suppressed));
    let width = rows
        .iter()
        .map(|(_, n)| n.to_string().len())
        .max()
        .unwrap_or(1);
    let mut text = String::new();
    for (label, n) in rows {
        text.push_str(&format!("{label:<12} {n:>width$}\n"));
    }
    super::write_output(None, text.as_bytes())?;
    Ok(ExitStatus::Ok)
}

/// Reads and parses an import file, reporting its bad rows.
fn read_import(
    root: &Path,
    file: &Path,
    resubscribe: bool,
    dry_run: bool,
) -> Result<(import::Parsed, ImportOptions)> {
    let path = if file.is_absolute() || file.exists() {
        file.to_path_buf()
    } else {
        root.join(file)
    };
    let shown = file.display();
    let bytes = std::fs::read(&path)
        .map_err(|e| Error::Input(format!("cannot read {}: {e}", path.display())))?;
    let parsed = import::parse(&bytes).map_err(|why| Error::Input(format!("{shown}: {why}")))?;
    match parsed.delimiter {
        b';' => eprintln!(
            "gazette: note: {shown}: read as semicolon-separated (the first line has no comma)"
        ),
        b'\t' => {
            eprintln!("gazette: note: {shown}: read as tab-separated (the first line has no comma)")
        }
        _ => {}
    }
    for bad in &parsed.bad {
        let (line, column) = (bad.line, bad.column);
        eprintln!("gazette: warning: {shown}:{line}:{column}: {}", bad.reason);
    }
    for (line, email, into) in &parsed.merged {
        eprintln!(
            "gazette: note: {shown}:{line}: {email}: merged into line {into} (the same address)"
        );
    }
    for row in &parsed.rows {
        if row
            .email
            .rsplit_once('@')
            .is_some_and(|(local, _)| !local.is_ascii())
        {
            eprintln!(
                "gazette: warning: {shown}:{}: {}: the part before the @ is not ASCII: \
                 it can only be sent through a relay that supports SMTPUTF8 (RFC 6531)",
                row.line, row.email
            );
        }
    }
    let name = path
        .file_name()
        .map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
    let options = ImportOptions {
        source: Source::Import(name),
        resubscribe,
        dry_run,
    };
    Ok((parsed, options))
}

fn report(s: &Summary, file: &str, dry_run: bool) {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if s.suppressed > 0 {
        eprintln!(
            "gazette: note: skipped {} on the suppression list (forgotten or blocklisted)",
            plural(s.suppressed, "address", "addresses")
        );
    }
    if s.kept_left > 0 {
        eprintln!(
            "gazette: note: kept {} that unsubscribed, bounced or complained as they were; \
             --resubscribe makes them active again",
            plural(s.kept_left, "address", "addresses")
        );
    }
    let what = if dry_run {
        format!("dry run of {file}, nothing written")
    } else {
        format!("imported {file}")
    };
    eprintln!(
        "{what}: {} added, {} updated, {} skipped, {} invalid",
        s.added, s.updated, s.skipped, s.invalid
    );
}

fn export(store: &Store, output: Option<&Path>) -> Result<ExitStatus> {
    match output {
        None => {
            let out = std::io::BufWriter::new(std::io::stdout().lock());
            store.export(out)?;
        }
        Some(path) => {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let file = options
                .open(path)
                .map_err(Error::io(format!("cannot write {}", path.display())))?;
            let n = store.export(std::io::BufWriter::new(file))?;
            eprintln!("exported {n} subscribers to {}", path.display());
        }
    }
    Ok(ExitStatus::Ok)
}

/// Checks an address given on the command line.
fn address(raw: &str) -> Result<String> {
    Ok(crate::address::normalize(raw)?)
}

//! `gazette bounces [SOURCE...]`: every message of each source processed
//! (`bounce::process`), each in its own transaction, marked done once
//! recorded; a line per subscriber changed, `--json` lines per report, and
//! the summary on stderr. With `--dry-run` every report is processed inside
//! one transaction that is rolled back, and every message is left as it was.

use crate::bounce::process::{Class, Outcome, Rules, process};
use crate::bounce::source::{self, Done, Message, Spec};
use crate::cli::BouncesArgs;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::message::token::Secret;
use crate::newsletter::Newsletter;
use crate::store::Store;
use crate::store::bounces::Applied;
use std::collections::HashMap;
use std::path::Path;

pub fn run(n: &Newsletter, args: BouncesArgs) -> Result<ExitStatus> {
    let config = &n.config;
    let specs = specs(n, &args)?;
    let secret = Secret::load(config)?;
    let bounces = config.bounces.clone().unwrap_or_default();
    let rules = Rules {
        secret: &secret,
        envelope_from: &config.delivery.envelope_from,
        soft_limit: bounces.soft_limit,
        soft_window: bounces.soft_window,
        to: args.to.as_deref(),
        verp: config.delivery.verp,
    };
    let now = crate::clock::now()?;
    let mut store = n.store()?;
    let fail = store.error();
    let mut tally = Tally::default();
    let mut status = ExitStatus::Ok;
    let mut target = if args.dry_run {
        Target::Dry(store.write()?)
    } else {
        Target::Real(&mut store)
    };
    for spec in &specs {
        let mut inner: Option<Error> = None;
        let read = source::each(spec, &mut |message| {
            let done = (|| -> Result<Done> {
                let outcome = target.process(&rules, &message, now, &fail)?;
                show(&outcome, &args, now)?;
                tally.count(&outcome);
                Ok(if args.dry_run {
                    Done::Leave
                } else {
                    Done::Recorded
                })
            })();
            done.map_err(|e| {
                inner = Some(e);
                Error::Failed("stopped".into())
            })
        });
        if let Some(e) = inner {
            return Err(e);
        }
        if let Err(e) = read {
            let text = e.to_string();
            let name = spec.name();
            if text.contains(&name) {
                eprintln!("gazette: error: {text}");
            } else {
                eprintln!("gazette: error: {name}: {text}");
            }
            // An IMAP server that did not answer or stalled is "try again
            // later" (75); any other source that cannot be read, an I/O
            // error included, is the user's to fix (2).
            let this = match e {
                Error::Unreachable(_) => ExitStatus::Deferred,
                _ => ExitStatus::Usage,
            };
            status = status.worst(this);
        }
    }
    drop(target);
    eprintln!("{}", tally.summary(args.dry_run));
    Ok(status)
}

/// Where reports are recorded: the store, a transaction per report; or, in a
/// dry run, one transaction rolled back when it is dropped.
enum Target<'a> {
    Real(&'a mut Store),
    Dry(rusqlite::Transaction<'a>),
}

impl Target<'_> {
    fn process(
        &mut self,
        rules: &Rules<'_>,
        m: &Message,
        now: jiff::Timestamp,
        fail: &impl Fn(rusqlite::Error) -> Error,
    ) -> Result<Outcome> {
        let run = |conn: &rusqlite::Connection| {
            process(conn, rules, &m.raw, m.truncated, &m.origin, now).map_err(fail)
        };
        match self {
            Target::Dry(tx) => run(tx),
            Target::Real(store) => {
                let tx = store.write()?;
                let outcome = run(&tx)?;
                tx.commit().map_err(fail)?;
                Ok(outcome)
            }
        }
    }
}

/// The sources named, or the configured ones.
fn specs(n: &Newsletter, args: &BouncesArgs) -> Result<Vec<Spec>> {
    let configured = n.config.bounces.as_ref();
    if args.sources.is_empty() {
        let specs = configured.map(Spec::configured).unwrap_or_default();
        if specs.is_empty() {
            return Err(Error::Input(
                "no source to read: name one (`gazette bounces -` reads one message on standard input), \
                 or set `maildir`, `mbox` or `imap` in the config's [bounces] table"
                    .into(),
            ));
        }
        return Ok(specs);
    }
    args.sources.iter().map(|s| spec(n, s)).collect()
}

fn spec(n: &Newsletter, arg: &Path) -> Result<Spec> {
    let text = arg.to_string_lossy();
    if text == "-" {
        return Ok(Spec::Stdin);
    }
    if text.starts_with("imap://") || text.starts_with("imaps://") {
        // Spec::from_arg's error never repeats a password written in the URL.
        let mut spec = Spec::from_arg(&text)?;
        if let (Spec::Imap(imap), Some(c)) = (
            &mut spec,
            n.config.bounces.as_ref().and_then(|b| b.imap.as_ref()),
        ) {
            inherit(imap, c);
        }
        return Ok(spec);
    }
    let path = n.resolve(arg);
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => Ok(Spec::Maildir(path)),
        Ok(_) => Ok(Spec::Mbox(path)),
        Err(e) => Err(Error::Input(format!("cannot read {}: {e}", path.display()))),
    }
}

/// The human line of a report that changed someone, or its `--json` line.
fn show(o: &Outcome, args: &BouncesArgs, now: jiff::Timestamp) -> Result<()> {
    let changed = o.changed();
    if args.json {
        let r = o.recipient.as_ref();
        let value = serde_json::json!({
            "origin": o.origin,
            "key": o.key,
            "kind": o.report.kind.name(),
            "class": class_name(o.class),
            "status": r.and_then(|r| r.status.clone()),
            "smtp_code": r.and_then(|r| r.smtp_code),
            "diagnostic": r.and_then(|r| r.diagnostic.clone()),
            "recipient": r.and_then(|r| r.address.clone()),
            "issue": o.found.issue,
            "subscriber_id": o.found.subscriber,
            "matched": o.found.matched.as_str(),
            "forged": o.found.forged,
            "changed": changed.map(|s| s.as_str()),
            "already_recorded": o.applied == Applied::AlreadyRecorded,
            "dry_run": args.dry_run,
            "processed": super::json_time(Some(now.as_second())),
        });
        return outln!("{value}");
    }
    let (Some(new), Some(id)) = (changed, o.found.subscriber) else {
        return Ok(());
    };
    let would = if args.dry_run {
        "would become"
    } else {
        "is now"
    };
    let why = (o.recipient.as_ref())
        .and_then(|r| r.diagnostic.as_deref().or(r.status.as_deref()))
        .map_or_else(String::new, |d| format!(": {d}"));
    let issue = o
        .found
        .issue
        .map_or_else(String::new, |i| format!(" of issue #{i}"));
    outln!(
        "subscriber {id} {would} {new} ({} report{issue}, matched by {}{why})",
        class_name(o.class),
        o.found.matched.as_str()
    )
}

fn class_name(c: Class) -> &'static str {
    match c {
        Class::Hard => "hard",
        Class::Soft => "soft",
        Class::Complaint => "complaint",
        Class::Ignored => "ignored",
        Class::Unclassified => "unclassified",
        Class::Forged => "forged",
    }
}

/// The counts of the summary line.
#[derive(Default)]
struct Tally {
    read: u64,
    already: u64,
    classes: HashMap<&'static str, u64>,
    changed: u64,
}

impl Tally {
    fn count(&mut self, o: &Outcome) {
        self.read += 1;
        if o.applied == Applied::AlreadyRecorded {
            self.already += 1;
            return;
        }
        *self.classes.entry(class_name(o.class)).or_default() += 1;
        self.changed += u64::from(o.changed().is_some());
    }

    fn summary(&self, dry_run: bool) -> String {
        let c = |k: &str| self.classes.get(k).copied().unwrap_or(0);
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let changed = if dry_run {
            format!(
                "{} would change (dry run: nothing changed)",
                plural(self.changed, "subscriber", "subscribers")
            )
        } else {
            format!(
                "{} changed",
                plural(self.changed, "subscriber", "subscribers")
            )
        };
        format!(
            "gazette: bounces: read {}: {} hard, {} soft, {}, {} ignored, {} unclassified, {} forged, {} already recorded; {changed}",
            plural(self.read, "report", "reports"),
            c("hard"),
            c("soft"),
            plural(c("complaint"), "complaint", "complaints"),
            c("ignored"),
            c("unclassified"),
            c("forged"),
            self.already,
        )
    }
}

/// A mailbox named on the command line takes the configured one's
/// `password_file` and `ca_file` only when it is the same account (user,
/// host and port): the configured password is never sent to another server.
fn inherit(imap: &mut crate::config::Imap, configured: &crate::config::Imap) {
    let same = imap.user == configured.user
        && imap.host.eq_ignore_ascii_case(&configured.host)
        && imap.port == configured.port;
    if same {
        imap.password_file.clone_from(&configured.password_file);
        imap.ca_file.clone_from(&configured.ca_file);
    }
}

#[cfg(test)]
mod tests {
    use super::inherit;
    use crate::config::parse_imap_url;
    use std::path::PathBuf;

    #[test]
    fn only_the_configured_account_gets_its_password_file() {
        let mut configured = parse_imap_url("imaps://bounces@mail.example.org/INBOX").unwrap();
        configured.password_file = Some(PathBuf::from("/n/config/imap-password"));
        let mut same = parse_imap_url("imaps://bounces@MAIL.example.org/Other").unwrap();
        inherit(&mut same, &configured);
        assert_eq!(same.password_file, configured.password_file);
        for other in [
            "imaps://bounces@attacker.example/INBOX",
            "imaps://someone@mail.example.org/INBOX",
            "imaps://bounces@mail.example.org:994/INBOX",
        ] {
            let mut imap = parse_imap_url(other).unwrap();
            inherit(&mut imap, &configured);
            assert_eq!(imap.password_file, None, "{other}");
        }
    }
}

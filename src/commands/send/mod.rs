//! `gazette send`: test sends, dry runs and list sends; `send --due` (in
//! [`due`]) for cron.

mod due;
mod progress;

use progress::{progress, thousands};

use crate::address::Mailbox;
use crate::cli::SendArgs;
use crate::clock;
use crate::config::{Config, Destination};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::message::token::Secret;
use crate::message::{Factory, Kind, load_signers};
use crate::newsletter::Newsletter;
use crate::render;
use crate::send::engine::{Report, Stop};
use crate::send::issue::{self, Audience, DryRun, ListSend, Overrides, Sent};
use crate::send::transport::{Outcome, Transport};
use crate::store::Store;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

pub fn run(n: &Newsletter, args: SendArgs) -> Result<ExitStatus> {
    if args.due {
        return due::run(n, &args);
    }
    let path = args.draft.clone().unwrap_or_default();
    send_one(n, &path, &args, i64::MAX)
}

/// Sends one draft. Deferred recipients whose next attempt is after
/// `retry_before` (Unix seconds) wait for a later run.
fn send_one(n: &Newsletter, path: &Path, args: &SendArgs, retry_before: i64) -> Result<ExitStatus> {
    let config = &n.config;
    let resolved = n.resolve(path);
    let draft = n.load_ok(&resolved)?.draft;
    let rendered = render::render(&draft, config);
    let overrides = Overrides {
        transport: args.transport.as_deref(),
        connections: args.connections,
        rate: args.rate,
    };
    let destination = issue::destination(config, &n.root, &overrides)?;
    let secret = Secret::load(config)?;
    let signers = load_signers(config)?;
    let now = clock::now()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the runtime"))?;
    let kind = if args.test.is_empty() {
        Kind::List
    } else {
        Kind::Test
    };
    let factory = Factory::new(
        config,
        &rendered,
        draft.issue,
        now.as_second(),
        kind,
        secret,
        signers,
    );
    if !args.test.is_empty() {
        let factory = Arc::new(factory);
        return runtime.block_on(async {
            let routes = issue::routes(&destination, &overrides)?;
            test_send(config, routes[0].transport.as_ref(), args, &factory).await
        });
    }
    // Two drafts of one issue: the ledger could send only one of them.
    n.check_unique(draft.issue, &resolved)?;
    let mut store = n.store()?;
    // A resumed send makes its tokens and Message-IDs as it began, whatever
    // the config's list id is now.
    let factory = Arc::new(match store.send_list_id(draft.issue)? {
        Some(list_id) => factory.under_list_id(list_id),
        None => factory,
    });
    store.not_imported(draft.issue)?;
    if args.retry_failed && !args.dry_run {
        let back = store.retry_failed(draft.issue, now.as_second())?;
        eprintln!(
            "gazette: issue #{}: {} failed recipient{} back in the queue",
            draft.issue,
            thousands(back),
            if back == 1 { "" } else { "s" }
        );
    }
    if args.dry_run {
        // The relays as a real send would set them up (password and CA files
        // read), without connecting: a dry run finds what the send would.
        runtime.block_on(async { issue::routes(&destination, &overrides).map(drop) })?;
        let counted = issue::dry_run(&store, draft.issue, &factory)?;
        report_dry_run(draft.issue, counted, args.json);
        return Ok(ExitStatus::Ok);
    }
    runtime.block_on(async {
        let routes = issue::routes(&destination, &overrides)?;
        let send = ListSend {
            config,
            issue: draft.issue,
            subject: &rendered.subject,
            factory,
            routes,
            include_new: args.include_new,
            retry_before,
        };
        list_send(send, &mut store, &destination, args, path).await
    })
}

async fn test_send(
    config: &Config,
    transport: &dyn Transport,
    args: &SendArgs,
    factory: &Factory,
) -> Result<ExitStatus> {
    let mut code = ExitStatus::Ok;
    let mut buf = Vec::new();
    for raw in &args.test {
        let mailbox = Mailbox::parse(raw).map_err(|e| Error::Input(format!("--test: {e}")))?;
        let outcome =
            issue::test_message(config, transport, factory, &mailbox, args.dry_run, &mut buf)
                .await?;
        let to = &mailbox.address;
        match outcome {
            None => eprintln!(
                "gazette: built the test message to {to} ({} bytes)",
                buf.len()
            ),
            Some(Outcome::Sent { reply }) => eprintln!("gazette: sent the test to {to}: {reply}"),
            Some(Outcome::Deferred { reply, .. }) => {
                eprintln!("gazette: deferred the test to {to}: {reply}");
                code = code.worst(ExitStatus::Deferred);
            }
            Some(Outcome::Failed { reply, .. }) => {
                eprintln!("gazette: failed the test to {to}: {reply}");
                code = code.worst(ExitStatus::Failed);
            }
            Some(Outcome::AuthFailed { reply }) => {
                return Err(Error::Input(format!(
                    "the relay refused the login: {reply}"
                )));
            }
            Some(Outcome::RelayBroken { reply }) => return Err(Error::Failed(reply)),
        }
    }
    Ok(code)
}

fn report_dry_run(issue: u32, counted: DryRun, json: bool) {
    let DryRun { messages, bytes } = counted;
    let average = bytes.checked_div(messages).unwrap_or(0);
    eprintln!(
        "gazette: dry run: would send issue #{issue} to {} subscribers, {} bytes in all ({} bytes each on average); nothing was sent",
        thousands(messages),
        thousands(bytes),
        thousands(average)
    );
    if json {
        // The real run's shape (see `summarise`), with nothing sent.
        let value = serde_json::json!({
            "issue": issue, "dry_run": true, "messages": messages, "bytes": bytes,
            "sent": 0, "deferred": 0, "failed": 0, "skipped": 0, "seconds": 0.0, "rate": 0.0,
            "aborted": null, "interrupted": null, "suspended": null,
        });
        // The send is done whatever becomes of its summary: a closed stdout changes nothing.
        let _ = outln!("{value}");
    }
}

async fn list_send(
    send: ListSend<'_>,
    store: &mut Store,
    destination: &Destination,
    args: &SendArgs,
    path: &Path,
) -> Result<ExitStatus> {
    let issue = send.issue;
    let Audience { existing, to_send } =
        Audience::of(store, issue, args.include_new, send.retry_before)?;
    if to_send == 0 {
        if args.due {
            // Only deferred recipients whose backoff has not passed, or no
            // one at all: nothing to do now, and cron hears nothing.
            if args.verbose {
                if existing.is_some() {
                    eprintln!(
                        "gazette: issue #{issue}: nothing is due (the deferred wait for their next attempt)"
                    );
                } else {
                    eprintln!(
                        "gazette: issue #{issue} is due, but there are no active subscribers"
                    );
                }
            }
            return Ok(ExitStatus::Ok);
        }
        if existing.is_some() {
            let c = store.state_counts(issue)?;
            eprintln!(
                "gazette: issue #{issue} has been sent to its whole audience ({} sent, {} failed, {} skipped); nothing to do",
                thousands(c.sent),
                thousands(c.failed),
                thousands(c.skipped)
            );
            if args.json {
                summarise(&Report::default(), true, issue);
            }
            outbox_note(destination);
        } else {
            eprintln!(
                "gazette: there are no active subscribers; add some with `gazette subscribers add` or `import`"
            );
        }
        return Ok(ExitStatus::Ok);
    }
    let names = issue::route_names(&send.routes);
    let resume = if existing.is_some() {
        " (resuming)"
    } else {
        ""
    };
    if !confirm(
        &format!(
            "Send issue #{issue} to {} subscriber{} through {names}{resume}?",
            thousands(to_send),
            if to_send == 1 { "" } else { "s" }
        ),
        args.yes,
    )? {
        eprintln!("gazette: not sent");
        return Ok(ExitStatus::Failed);
    }
    let mut stop = Stop::listen()?;
    let Sent { report, complete } = send.run(store, progress, &mut stop).await?;
    summarise(&report, args.json, issue);
    outbox_note(destination);
    Ok(exit_status(&report, complete, path))
}

/// Where an outbox send's messages are.
fn outbox_note(destination: &Destination) {
    if let Destination::Outbox(dir) = destination {
        eprintln!("gazette: the messages are in {}", dir.join("new").display());
    }
}

fn exit_status(report: &Report, complete: bool, draft: &Path) -> ExitStatus {
    if let Some(signal) = report.interrupted {
        eprintln!(
            "gazette: stopped by {signal}; messages in flight were recorded. Run `gazette send {}` again to resume",
            draft.display()
        );
        return ExitStatus::Interrupted(signal);
    }
    if let Some(why) = &report.aborted {
        eprintln!("gazette: error: {why}; nothing was marked failed, so a later run resumes");
        return ExitStatus::Usage;
    }
    if let Some(why) = &report.suspended {
        eprintln!(
            "gazette: no relay can take mail now ({why}); the {} not yet sent are left for a later run",
            thousands(report.deferred)
        );
        return if report.failed > 0 {
            ExitStatus::Failed
        } else {
            ExitStatus::Deferred
        };
    }
    if report.failed > 0 {
        ExitStatus::Failed
    } else if report.deferred > 0 || !complete {
        ExitStatus::Deferred
    } else {
        ExitStatus::Ok
    }
}

fn summarise(report: &Report, json: bool, issue: u32) {
    let rate = if report.seconds > 0.0 {
        report.sent as f64 / report.seconds
    } else {
        0.0
    };
    if json {
        let mut value = serde_json::to_value(report).unwrap_or_default();
        value["issue"] = issue.into();
        value["rate"] = ((rate * 10.0).round() / 10.0).into();
        // The dry run's shape (see `report_dry_run`): messages handed to a relay.
        value["dry_run"] = false.into();
        value["messages"] = (report.sent + report.deferred + report.failed).into();
        // The send is done whatever becomes of its summary: a closed stdout changes nothing.
        let _ = outln!("{value}");
    } else {
        eprintln!(
            "gazette: issue #{issue}: sent {}, deferred {}, failed {}, skipped {} in {:.1} s ({} messages/s)",
            thousands(report.sent),
            thousands(report.deferred),
            thousands(report.failed),
            thousands(report.skipped),
            report.seconds,
            thousands(rate.round() as u64)
        );
    }
}

/// Asks on a terminal; without one, `--yes` is required.
/// Whether to go on: `--yes`, or "y" at the prompt.
fn confirm(question: &str, yes: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Input(format!(
            "{question} Not a terminal: pass --yes to send without asking"
        )));
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(Error::io("cannot read the answer"))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

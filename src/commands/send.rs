//! `gazette send`: test sends, dry runs and list sends.

use super::{load_ok, resolve_draft};
use crate::address::Mailbox;
use crate::cli::SendArgs;
use crate::clock;
use crate::config::Config;
use crate::draft::Draft;
use crate::error::{Error, Result};
use crate::message::token::Secret;
use crate::message::{Factory, Kind, Recipient, load_signers};
use crate::render::{self, Rendered};
use crate::send::engine::{self, Plan, Progress, Report, Route};
use crate::send::outbox::Outbox;
use crate::send::settings::Transport as TransportSetting;
use crate::send::signal::{Signal, Stop};
use crate::send::smtp::SmtpRelay;
use crate::send::transport::{Envelope, Outcome};
use crate::store::Store;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

/// Exit status when some recipients were deferred (EX_TEMPFAIL).
pub const EXIT_DEFERRED: u8 = 75;

pub fn run(root: &Path, args: SendArgs) -> Result<u8> {
    if args.due {
        return super::due::run(root, &args);
    }
    let config = Config::load(root)?;
    let path = args.draft.clone().unwrap_or_default();
    send_one(root, &config, &path, &args, i64::MAX)
}

/// Sends one draft. Deferred recipients whose next attempt is after
/// `retry_before` (Unix seconds) wait for a later run.
pub fn send_one(
    root: &Path,
    config: &Config,
    path: &Path,
    args: &SendArgs,
    retry_before: i64,
) -> Result<u8> {
    let config = config.clone();
    let (draft, _warnings, _) = load_ok(&config, &resolve_draft(root, path))?;
    let rendered = render::render(&draft, &config);
    let transport = transport_setting(&config, root, args)?;
    let secret = Secret::load(&config)?;
    let signers = load_signers(&config)?;
    let now = clock::now()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the runtime"))?;
    if !args.test.is_empty() {
        let factory = Factory::new(
            &config,
            &rendered,
            draft.issue,
            now.as_second(),
            Kind::Test,
            secret,
            signers,
        );
        return runtime.block_on(test_send(&config, &transport, args, factory));
    }
    let factory = Arc::new(Factory::new(
        &config,
        &rendered,
        draft.issue,
        now.as_second(),
        Kind::List,
        secret,
        signers,
    ));
    let mut store = Store::open(&config.database)?;
    if args.dry_run {
        return dry_run(&store, &draft, &factory, args.json);
    }
    let target = Target {
        config: &config,
        draft: &draft,
        rendered: &rendered,
        path,
        retry_before,
    };
    runtime.block_on(list_send(target, &mut store, transport, args, factory))
}

/// The transport for this run: `--transport` (or GAZETTE_TRANSPORT) over the
/// config, with `--connections` and `--rate` applied.
fn transport_setting(config: &Config, root: &Path, args: &SendArgs) -> Result<TransportSetting> {
    let mut transport = config
        .delivery
        .transport_with(args.transport.as_deref(), root)
        .map_err(|e| Error::Input(format!("--transport: {e}")))?;
    if let TransportSetting::Smtp(relays) = &mut transport {
        for relay in relays {
            if let Some(n) = args.connections {
                if n == 0 {
                    return Err(Error::Input("--connections must be 1 or more".into()));
                }
                relay.connections = n;
            }
            if let Some(r) = args.rate {
                if !(r > 0.0 && r.is_finite()) {
                    return Err(Error::Input("--rate must be a positive number".into()));
                }
                relay.rate = Some(r);
            }
        }
    }
    Ok(transport)
}

/// The routes messages take; inside the runtime, as SMTP pools need it.
fn routes(setting: &TransportSetting, args: &SendArgs) -> Result<Vec<Route>> {
    match setting {
        TransportSetting::Outbox(dir) => Ok(vec![Route {
            transport: Arc::new(Outbox::new(dir)?),
            connections: args.connections.unwrap_or(1),
            rate: args.rate,
        }]),
        TransportSetting::Smtp(relays) => relays
            .iter()
            .map(|r| {
                Ok(Route {
                    transport: Arc::new(SmtpRelay::new(r)?),
                    connections: r.connections,
                    rate: r.rate,
                })
            })
            .collect(),
    }
}

fn route_names(routes: &[Route]) -> String {
    routes
        .iter()
        .map(|r| r.transport.name())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn test_send(
    config: &Config,
    setting: &TransportSetting,
    args: &SendArgs,
    factory: Factory,
) -> Result<u8> {
    let routes = routes(setting, args)?;
    let transport = &routes[0].transport;
    let mut code = 0;
    let mut buf = Vec::new();
    for raw in &args.test {
        let mailbox = Mailbox::parse(raw).map_err(|e| Error::Input(format!("--test: {e}")))?;
        let recipient = Recipient {
            id: None,
            email: &mailbox.address,
            name: mailbox.name.as_deref(),
        };
        factory.build(&recipient, &mut buf)?;
        if args.dry_run {
            eprintln!(
                "gazette: built the test message to {} ({} bytes)",
                mailbox.address,
                buf.len()
            );
            continue;
        }
        let envelope = Envelope {
            from: config.delivery.envelope_sender(None),
            to: mailbox.address.clone(),
        };
        match transport.send(&envelope, &buf).await {
            Outcome::Sent { reply } => {
                eprintln!("gazette: sent the test to {}: {reply}", mailbox.address)
            }
            Outcome::Deferred { reply, .. } => {
                eprintln!("gazette: deferred the test to {}: {reply}", mailbox.address);
                if code != 1 {
                    code = EXIT_DEFERRED;
                }
            }
            Outcome::Failed { reply, .. } => {
                eprintln!("gazette: failed the test to {}: {reply}", mailbox.address);
                code = 1;
            }
            Outcome::AuthFailed { reply } => {
                return Err(Error::Input(format!(
                    "the relay refused the login: {reply}"
                )));
            }
            Outcome::RelayBroken { reply } => return Err(Error::Failed(reply)),
        }
    }
    Ok(code)
}

fn dry_run(store: &Store, draft: &Draft, factory: &Factory, json: bool) -> Result<u8> {
    let started = store.send_record(draft.issue)?.is_some();
    let (mut count, mut bytes, mut after) = (0u64, 0u64, 0i64);
    let mut buf = Vec::new();
    loop {
        let batch: Vec<(i64, String, Option<String>)> = if started {
            store
                .pending_batch(draft.issue, after, 500, i64::MAX)?
                .into_iter()
                .filter(|c| c.active)
                .map(|c| c.recipient)
                .map(|p| (p.subscriber_id, p.email, p.name))
                .collect()
        } else {
            store
                .active_after(after, 500)?
                .into_iter()
                .map(|s| (s.id, s.email, s.name))
                .collect()
        };
        let Some(last) = batch.last() else { break };
        after = last.0;
        for (id, email, name) in &batch {
            factory.build(
                &Recipient {
                    id: Some(*id as u64),
                    email,
                    name: name.as_deref(),
                },
                &mut buf,
            )?;
            count += 1;
            bytes += buf.len() as u64;
        }
    }
    let average = bytes.checked_div(count).unwrap_or(0);
    eprintln!(
        "gazette: dry run: would send issue #{} to {} subscribers, {} bytes in all ({} bytes each on average); nothing was sent",
        draft.issue,
        thousands(count),
        thousands(bytes),
        thousands(average)
    );
    if json {
        let value = serde_json::json!({"issue": draft.issue, "dry_run": true, "messages": count, "bytes": bytes});
        println!("{value}");
    }
    Ok(0)
}

/// What a list send sends, and from where.
struct Target<'a> {
    config: &'a Config,
    draft: &'a Draft,
    rendered: &'a Rendered,
    /// The draft as the editor named it, for messages.
    path: &'a Path,
    /// Deferred recipients due at or before this Unix time are retried.
    retry_before: i64,
}

async fn list_send(
    target: Target<'_>,
    store: &mut Store,
    setting: TransportSetting,
    args: &SendArgs,
    factory: Arc<Factory>,
) -> Result<u8> {
    let Target {
        config,
        draft,
        rendered,
        path,
        retry_before,
    } = target;
    let routes = routes(&setting, args)?;
    let issue = draft.issue;
    let existing = store.send_record(issue)?;
    let new = if args.include_new {
        store.new_since_send(issue)?
    } else {
        0
    };
    let to_send = match &existing {
        None => store.active_count()?,
        Some(_) => store.eligible_count(issue, target.retry_before)? + new,
    };
    if to_send == 0 {
        if args.due {
            // Only deferred recipients whose backoff has not passed: nothing is due.
            return Ok(0);
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
            if let TransportSetting::Outbox(dir) = &setting {
                eprintln!("gazette: the messages are in {}", dir.join("new").display());
            }
        } else {
            eprintln!(
                "gazette: there are no active subscribers; add some with `gazette subscribers add` or `import`"
            );
        }
        return Ok(0);
    }
    let names = route_names(&routes);
    let resume = if existing.is_some() {
        " (resuming)"
    } else {
        ""
    };
    confirm(
        &format!(
            "Send issue #{issue} to {} subscriber{} through {names}{resume}?",
            thousands(to_send),
            if to_send == 1 { "" } else { "s" }
        ),
        args.yes,
    )?;

    let Some(_lock) = crate::lock::try_acquire(config)? else {
        return Err(Error::Failed(format!(
            "another gazette send is running (it holds {}); wait for it to finish",
            config.data_dir().join("send.lock").display()
        )));
    };
    let now = clock::now()?.as_second();
    store.begin_send(issue, &rendered.subject, now, args.include_new)?;
    let total = store.state_counts(issue)?.remaining();
    let mut progress = progress(total);
    let mut stop = Stop::listen()?;
    let plan = Plan {
        issue,
        factory,
        delivery: &config.delivery,
        routes,
        retry_before,
        now: || clock::now().map(|t| t.as_second()).unwrap_or_default(),
    };
    let report = engine::run(store, plan, progress.as_mut(), &mut stop).await?;
    drop(progress);
    let complete = store.complete_if_done(issue, clock::now()?.as_second())?;
    summarise(&report, args.json, issue);
    if let TransportSetting::Outbox(dir) = &setting {
        eprintln!("gazette: the messages are in {}", dir.join("new").display());
    }
    Ok(exit_code(&report, complete, path))
}

fn exit_code(report: &Report, complete: bool, draft: &Path) -> u8 {
    if let Some(signal) = report.interrupted {
        eprintln!(
            "gazette: stopped by {signal}; messages in flight were recorded. Run `gazette send {}` again to resume",
            draft.display()
        );
        return if signal == Signal::Term { 143 } else { 130 };
    }
    if let Some(why) = &report.aborted {
        eprintln!("gazette: error: {why}; nothing was marked failed, so a later run resumes");
        return 2;
    }
    if report.failed > 0 {
        1
    } else if report.deferred > 0 || !complete {
        EXIT_DEFERRED
    } else {
        0
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
        println!("{value}");
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
fn confirm(question: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
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
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
        Ok(())
    } else {
        Err(Error::Input("not sent".into()))
    }
}

/// 12,345.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn progress(total: u64) -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} ETA {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Box::new(Bar(bar))
    } else {
        Box::new(Lines { total, next: 1 })
    }
}

struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn advance(&mut self, done: u64) {
        self.0.set_position(done);
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// Without a terminal: one line per tenth of the way.
struct Lines {
    total: u64,
    next: u64,
}

impl Progress for Lines {
    fn advance(&mut self, done: u64) {
        let tenths = (done * 10).checked_div(self.total).unwrap_or(10).min(10);
        if tenths >= self.next {
            eprintln!(
                "gazette: {}% ({} of {})",
                tenths * 10,
                thousands(done),
                thousands(self.total)
            );
            self.next = tenths + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::thousands(12345), "12,345");
        assert_eq!(super::thousands(1234567), "1,234,567");
    }
}

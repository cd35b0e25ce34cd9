//! `gazette status`: how each issue's send stands, from the ledger.

use crate::cli::StatusArgs;
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::newsletter::Newsletter;
use crate::store::bounces::{COMPLAINT_WARNING, IssueBounces};

pub fn run(n: &Newsletter, args: StatusArgs) -> Result<ExitStatus> {
    let config = &n.config;
    let store = n.reader()?;
    let records = match &args.draft {
        Some(path) => {
            let draft = n.load_ok(&n.existing_draft(path)?)?.draft;
            match store.send_record(draft.issue)? {
                Some(r) => vec![r],
                None => {
                    if args.json {
                        outln!("[]")?;
                    } else {
                        outln!("issue #{}: not sent yet", draft.issue)?;
                    }
                    return Ok(ExitStatus::Ok);
                }
            }
        }
        None => store.send_records()?,
    };
    let tz = &config.timezone;
    let when = |t: Option<i64>| {
        t.and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map_or_else(
                || "-".to_string(),
                |ts| {
                    ts.to_zoned(tz.clone())
                        .strftime("%Y-%m-%d %H:%M %Z")
                        .to_string()
                },
            )
    };
    let mut json = Vec::new();
    for record in &records {
        if let Some(imported) = store.imported(record.issue)? {
            if args.json {
                json.push(serde_json::json!({
                    "issue": record.issue, "subject": record.subject, "state": "imported",
                    "imported_from": imported.source, "published": super::json_time(Some(record.started)),
                }));
            } else {
                outln!(
                    "issue #{}: imported from {}; published {}, not sent by gazette",
                    record.issue,
                    imported.source,
                    when(Some(record.started))
                )?;
            }
            continue;
        }
        let c = store.state_counts(record.issue)?;
        let state = if record.completed.is_some() {
            "complete"
        } else {
            "incomplete"
        };
        let problems = store.problems(record.issue)?;
        let b = store.issue_bounces(record.issue)?;
        let rate = b.complaint_rate(c.sent);
        let too_many = rate.is_some_and(|r| r > COMPLAINT_WARNING);
        if args.json {
            let mut counts = serde_json::to_value(&c).unwrap_or_default();
            counts["last_attempt"] = super::json_time(c.last_attempt);
            json.push(serde_json::json!({
                "issue": record.issue, "subject": record.subject, "state": state,
                "counts": counts, "started": super::json_time(Some(record.started)),
                "completed": super::json_time(record.completed),
                "problems": problems,
                "bounces": {
                    "hard": b.hard, "soft": b.soft, "complaints": b.complaints,
                    "complaint_rate": rate, "complaint_warning": too_many,
                },
            }));
            continue;
        }
        // Complete means no one is left to try, not that everyone got it.
        let state = match (state, c.failed) {
            ("complete", failed) if failed > 0 => {
                format!("complete with {failed} failed (send --retry-failed retries them)")
            }
            (state, _) => state.to_string(),
        };
        outln!(
            "issue #{}: {state}: sent {}, deferred {}, failed {}, pending {}, skipped {}; last attempt {}",
            record.issue,
            c.sent,
            c.deferred,
            c.failed,
            c.pending + c.sending,
            c.skipped,
            when(c.last_attempt)
        )?;
        if b != IssueBounces::default() {
            let rate = rate.map_or_else(String::new, |r| {
                format!(" ({:.2}% of those sent)", r * 100.0)
            });
            outln!(
                "  bounced {} hard, {} soft; {} complaint{}{rate}",
                b.hard,
                b.soft,
                b.complaints,
                if b.complaints == 1 { "" } else { "s" }
            )?;
        }
        if too_many {
            outln!(
                "  warning: the complaint rate is over 0.1%; Gmail and Yahoo want it under 0.3%: \
                 check who is on the list and that they asked to be"
            )?;
        }
        for p in problems {
            let code = p.code.map_or_else(String::new, |c| format!("{c} "));
            let reply = p.reply.strip_prefix(&code).unwrap_or(&p.reply);
            outln!("  {:8} {}: {code}{reply}", p.state.as_str(), p.email)?;
        }
    }
    if args.json {
        outln!("{}", serde_json::Value::Array(json))?;
    } else if records.is_empty() {
        outln!("no issue has been sent yet")?;
    }
    Ok(ExitStatus::Ok)
}

//! `gazette schedule`: every draft's send_at, in the newsletter's time zone
//! and in UTC, and where it stands.

use crate::cli::ScheduleArgs;
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::newsletter::{Newsletter, ledger_state};
use crate::{clock, schedule};

pub fn run(n: &Newsletter, args: ScheduleArgs) -> Result<ExitStatus> {
    let config = &n.config;
    let store = Some(n.reader()?);
    let now = clock::now()?;
    let tz = &config.timezone;
    let mut rows = Vec::new();
    let mut json = Vec::new();
    for path in n.draft_paths()? {
        let loaded = n.load(&path)?;
        let name = n.display(&path);
        match &loaded.parsed {
            Ok(parsed) => {
                let draft = &parsed.draft;
                let ledger = ledger_state(store.as_ref(), draft.issue)?;
                let state = schedule::state(draft.send_at, ledger, now, config.max_lateness);
                json.push(serde_json::json!({
                    "draft": name, "issue": draft.issue, "state": state.as_str(),
                    "send_at": super::json_time(draft.send_at.map(|t| t.as_second())),
                }));
                let (local, utc) = match draft.send_at {
                    Some(at) => (
                        at.to_zoned(tz.clone())
                            .strftime("%Y-%m-%d %H:%M %Z")
                            .to_string(),
                        at.to_zoned(jiff::tz::TimeZone::UTC)
                            .strftime("%Y-%m-%d %H:%M UTC")
                            .to_string(),
                    ),
                    None => ("-".into(), "-".into()),
                };
                rows.push((
                    format!("#{}", draft.issue),
                    local,
                    utc,
                    state.as_str().to_string(),
                    name,
                ));
            }
            Err(_) => {
                json.push(serde_json::json!({
                    "draft": name, "issue": null, "state": "has errors", "send_at": null,
                }));
                rows.push((
                    "?".into(),
                    "-".into(),
                    "-".into(),
                    "has errors (gazette check)".into(),
                    name,
                ));
            }
        }
    }
    if args.json {
        outln!("{}", serde_json::Value::Array(json))?;
        return Ok(ExitStatus::Ok);
    }
    if rows.is_empty() {
        outln!("no drafts in {}", n.display(&config.drafts_dir()))?;
        return Ok(ExitStatus::Ok);
    }
    let w = |f: fn(&(String, String, String, String, String)) -> &String| {
        rows.iter().map(|r| f(r).chars().count()).max().unwrap_or(0)
    };
    let zone_header = format!("send_at ({})", config.timezone_name);
    let (w0, w1, w2, w3) = (
        w(|r| &r.0).max(5),
        w(|r| &r.1).max(zone_header.len()),
        w(|r| &r.2).max(3),
        w(|r| &r.3).max(5),
    );
    outln!(
        "{:w0$}  {zone_header:w1$}  {:w2$}  {:w3$}  draft",
        "issue",
        "UTC",
        "state"
    )?;
    for (issue, local, utc, state, name) in &rows {
        outln!("{issue:w0$}  {local:w1$}  {utc:w2$}  {state:w3$}  {name}")?;
    }
    Ok(ExitStatus::Ok)
}

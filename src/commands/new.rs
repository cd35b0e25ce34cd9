//! `gazette new`: the next draft, as a commented skeleton.

use crate::cli::NewArgs;
use crate::clock;
use crate::config::Config;
use crate::draft::lint;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::newsletter::Newsletter;
use jiff::civil::Date;
use std::io::Write;

pub fn run(n: &Newsletter, args: NewArgs) -> Result<ExitStatus> {
    let config = &n.config;
    // Every draft's issue and date, read leniently (a draft with errors counts).
    let glimpses = n.glimpses()?;
    let highest = glimpses.iter().filter_map(|g| g.issue).max().unwrap_or(0);
    let latest = glimpses.iter().filter_map(|g| g.date).max();
    let issue = args.issue.unwrap_or(highest + 1);
    if issue == 0 {
        return Err(Error::Input("--issue must be 1 or more".into()));
    }
    if let Some(other) = glimpses.iter().find(|g| g.issue == Some(issue)) {
        return Err(Error::Input(format!(
            "{} is issue #{issue} already; gazette never writes a second draft of an issue",
            n.display(&other.path)
        )));
    }
    let date = match &args.date {
        Some(d) => d
            .parse::<Date>()
            .map_err(|e| Error::Input(format!("--date `{d}` is not a date (YYYY-MM-DD): {e}")))?,
        None => {
            let today = clock::now()?.to_zoned(config.timezone.clone()).date();
            next_publish_day(latest.map_or(today, |l| l.max(today)), config.publish_day)
        }
    };
    let dir = config.drafts_dir();
    std::fs::create_dir_all(&dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
    let path = dir.join(format!("{date}-{issue}.toml"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Input(format!(
                    "{} exists already; gazette never overwrites a draft",
                    n.display(&path)
                ))
            } else {
                Error::io(format!("cannot create {}", path.display()))(e)
            }
        })?;
    file.write_all(skeleton(config, issue, date).as_bytes())
        .map_err(Error::io(format!("cannot write {}", path.display())))?;
    outln!("{}", n.display(&path))?;
    Ok(ExitStatus::Ok)
}

/// The first `day` strictly after `after`.
pub fn next_publish_day(after: Date, day: jiff::civil::Weekday) -> Date {
    let mut d = after.tomorrow().expect("dates this far out are not drafts");
    while d.weekday() != day {
        d = d.tomorrow().expect("dates this far out are not drafts");
    }
    d
}

fn skeleton(config: &Config, issue: u32, date: Date) -> String {
    let mut s = format!(
        r#"# {name}, issue #{issue}. Check it with `gazette check`, preview it with `gazette preview`.
issue = {issue}
date = {date}
# subject = "..."          # default: {template:?}
# preheader = "..."        # the inbox preview; default: the intro's first sentence
# send_at = {date}T09:00:00   # a local time in {tz}, or an instant like {date}T09:00:00Z

# Paragraphs of Markdown: *emphasis*, **strong**, `code`, [links](https://...).
intro = """
{intro}
"""
# A closing paragraph after the last section, before the footer (optional).
# outro = """
# Thanks for reading. Reply with the links you found this week.
# """

# Delete this table when the issue has no sponsor.
[sponsor]
name = "{sponsor_name}"
text = "{sponsor_text}"
url = "https://example.com/sponsor"
"#,
        name = config.name,
        intro = lint::INTRO_STAND_IN,
        sponsor_name = lint::SPONSOR_NAME_STAND_IN,
        sponsor_text = lint::SPONSOR_TEXT_STAND_IN,
        template = config.subject_template,
        tz = config.timezone_name,
    );
    for section in &config.sections {
        s.push_str(&format!(
            r#"
# {title}: one [[{key}]] table per item, in order.
[[{key}]]
# title = "A short lead-in, shown in bold"
text = "{item}"
links = ["https://example.com/{key}"]
"#,
            title = section.title,
            key = section.key,
            item = lint::ITEM_TEXT_STAND_IN,
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::{Weekday, date};

    #[test]
    fn next_publish_day_is_strictly_after() {
        // 2026-11-29 is a Sunday.
        assert_eq!(
            next_publish_day(date(2026, 11, 26), Weekday::Sunday),
            date(2026, 11, 29)
        );
        assert_eq!(
            next_publish_day(date(2026, 11, 29), Weekday::Sunday),
            date(2026, 12, 6)
        );
        assert_eq!(
            next_publish_day(date(2026, 11, 29), Weekday::Monday),
            date(2026, 11, 30)
        );
    }
}

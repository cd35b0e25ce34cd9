//! The commented skeleton of a new draft that `gazette new` writes, and the
//! date it gets. Its stand-in texts are [`lint`]'s, which `check` reports.

use super::lint;
use crate::config::Config;
use jiff::civil::Date;

/// The first `day` strictly after `after`.
pub fn next_publish_day(after: Date, day: jiff::civil::Weekday) -> Date {
    let mut d = after.tomorrow().expect("dates this far out are not drafts");
    while d.weekday() != day {
        d = d.tomorrow().expect("dates this far out are not drafts");
    }
    d
}

pub fn skeleton(config: &Config, issue: u32, date: Date) -> String {
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

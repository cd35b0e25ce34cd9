//! The archive: every issue whose list send has begun (a row in the ledger's
//! `sends` table, so readers who already have it can follow its archive link
//! while the send goes on), newest first, its page and an Atom feed.
//!
//! An issue's page is its email's HTML part rendered from the draft in
//! `drafts/` with that issue number, with the personal unsubscribe link
//! swapped for a link to the sign-up page. `gazette archive --out DIR` writes
//! the same pages as static files at the paths they are served from.

use super::pages::{layout, prefix};
use crate::config::Config;
use crate::draft::{Draft, long_date};
use crate::error::{Error, Result};
use crate::newsletter::Newsletter;
use crate::render::{self, Frame, escape_html};
use crate::store::Store;
use jiff::Timestamp;
use maud::html;
use std::collections::BTreeMap;
use std::path::Path;

/// One published issue.
#[derive(Debug, Clone)]
pub struct Issue {
    pub issue: u32,
    /// The subject it was sent with.
    pub subject: String,
    /// When its list send began.
    pub published: Timestamp,
    /// Its draft, when `drafts/` still holds one that parses.
    pub draft: Option<Draft>,
}

/// Every published issue, newest first.
pub fn published(n: &Newsletter, store: &Store) -> Result<Vec<Issue>> {
    let mut drafts = drafts_by_issue(n)?;
    let mut issues: Vec<Issue> = store
        .send_records()?
        .into_iter()
        .map(|r| Issue {
            issue: r.issue,
            subject: r.subject,
            published: Timestamp::from_second(r.started).unwrap_or(Timestamp::UNIX_EPOCH),
            draft: drafts.remove(&r.issue),
        })
        .collect();
    issues.sort_by_key(|i| std::cmp::Reverse(i.issue));
    Ok(issues)
}

/// The drafts that parse, by issue number (the first by file name wins).
fn drafts_by_issue(n: &Newsletter) -> Result<BTreeMap<u32, Draft>> {
    let mut out = BTreeMap::new();
    for path in n.draft_paths()? {
        if let Ok(parsed) = n.load(&path)?.parsed {
            out.entry(parsed.draft.issue).or_insert(parsed.draft);
        }
    }
    Ok(out)
}

/// The list of issues.
pub fn index_page(config: &Config, issues: &[Issue]) -> String {
    let prefix = prefix(config);
    let body = html! {
        h1 { "Past issues" }
        p {
            a href={ (prefix) "/subscribe" } { "Subscribe" } " to get the next one by email, or follow the "
            a href={ (prefix) "/feed.xml" } { "Atom feed" } "."
        }
        @if issues.is_empty() { p { "No issue has been sent yet." } }
        ol.issues {
            @for issue in issues {
                li {
                    @if issue.draft.is_some() {
                        a href={ (prefix) "/archive/" (issue.issue) } { (issue.subject) }
                    } @else {
                        (issue.subject)
                    }
                    br;
                    span.date { "Issue #" (issue.issue) " · " (date(config, issue)) }
                }
            }
        }
    };
    layout(config, "Past issues", body)
}

/// The date an issue carries: its draft's, else the day its send began.
fn date(config: &Config, issue: &Issue) -> String {
    let day = match &issue.draft {
        Some(d) => d.date,
        None => issue.published.to_zoned(config.timezone.clone()).date(),
    };
    long_date(day)
}

/// One issue as a web page: the email's HTML framed for the archive, with
/// sign-up links where the email has personal ones.
pub fn issue_page(config: &Config, draft: &Draft) -> String {
    let prefix = prefix(config);
    let (index_url, subscribe_url) = (format!("{prefix}/archive"), format!("{prefix}/subscribe"));
    let frame = Frame::Archive {
        index_url: &index_url,
        subscribe_url: &subscribe_url,
    };
    render::render_html(draft, config, &frame)
}

/// The Atom feed (RFC 4287) of the published issues.
pub fn feed(config: &Config, issues: &[Issue], now: Timestamp) -> String {
    let base = &config.base_url;
    let e = escape_html;
    let updated = issues.iter().map(|i| i.published).max().unwrap_or(now);
    let author = config
        .from
        .name
        .clone()
        .unwrap_or_else(|| config.name.clone());
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{lang}\">\n\
         \x20 <id>{base}/feed.xml</id>\n\
         \x20 <title>{title}</title>\n\
         \x20 <updated>{updated}</updated>\n\
         \x20 <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/feed.xml\"/>\n\
         \x20 <link rel=\"alternate\" type=\"text/html\" href=\"{base}/archive\"/>\n\
         \x20 <author><name>{author}</name></author>\n",
        lang = e(&config.language),
        base = e(base),
        title = e(&config.name),
        author = e(&author),
    ));
    for issue in issues {
        let url = e(&config.archive_url(issue.issue));
        xml.push_str(&format!(
            "  <entry>\n    <id>{url}</id>\n    <title>{title}</title>\n    \
             <updated>{at}</updated>\n    <published>{at}</published>\n    \
             <link rel=\"alternate\" type=\"text/html\" href=\"{url}\"/>\n",
            title = e(&issue.subject),
            at = issue.published,
        ));
        if let Some(d) = &issue.draft {
            xml.push_str(&format!("    <summary>{}</summary>\n", e(&d.preheader)));
        }
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

/// Writes the archive as static files under `out`: `archive/index.html`,
/// `archive/N/index.html` per issue whose draft is there, and `feed.xml`.
/// Returns how many issue pages it wrote.
pub fn write_static(n: &Newsletter, store: &Store, out: &Path, now: Timestamp) -> Result<usize> {
    let config = &n.config;
    let issues = published(n, store)?;
    let write = |rel: String, text: String| -> Result<()> {
        let path = out.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(Error::io(format!("cannot create {}", dir.display())))?;
        }
        std::fs::write(&path, text).map_err(Error::io(format!("cannot write {}", path.display())))
    };
    write("archive/index.html".into(), index_page(config, &issues))?;
    let mut pages = 0;
    for issue in &issues {
        if let Some(d) = &issue.draft {
            write(
                format!("archive/{}/index.html", issue.issue),
                issue_page(config, d),
            )?;
            pages += 1;
        }
    }
    write("feed.xml".into(), feed(config, &issues, now))?;
    Ok(pages)
}

//! The archive: every issue whose list send has begun (a row in the ledger's
//! `sends` table, so readers who have it can follow its archive link while the
//! send goes on) or that was imported, newest first by date; each issue's page
//! (its email's HTML in `render::Frame::Archive`, drafts read through the
//! cache) and an Atom feed.
//! `gazette archive --out DIR` writes the same bytes as static files.

use super::cache::{Cache, CachedDraft, Drafts};
use super::pages::{layout, prefix};
use super::{App, cacheable, not_found};
use crate::config::Config;
use crate::draft::{Draft, long_date};
use crate::error::{Error, Result};
use crate::newsletter::Newsletter;
use crate::render::{self, Frame};
use crate::store::Store;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use maud::{PreEscaped, html};
use std::path::Path;
use std::sync::Arc;

/// One published issue.
#[derive(Debug, Clone)]
pub struct Issue {
    pub issue: u32,
    /// The subject it was sent with.
    pub subject: String,
    /// When its list send began.
    pub published: Timestamp,
    /// Its draft, when `drafts/` still holds one that parses.
    pub draft: Option<Arc<CachedDraft>>,
}

/// Every published issue, newest first, with its draft from `drafts`.
pub fn published(drafts: &Drafts, store: &Store) -> Result<Vec<Issue>> {
    let mut issues: Vec<Issue> = store
        .send_records()?
        .into_iter()
        .map(|r| Issue {
            issue: r.issue,
            subject: r.subject,
            published: Timestamp::from_second(r.started).unwrap_or(Timestamp::UNIX_EPOCH),
            draft: drafts.get(r.issue),
        })
        .collect();
    // By date, newest first: imported back issues may carry any numbers.
    issues.sort_by_key(|i| std::cmp::Reverse((i.published, i.issue)));
    Ok(issues)
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
        Some(d) => d.draft.date,
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
    let updated = issues.iter().map(|i| i.published).max().unwrap_or(now);
    let author = config.from.name.as_deref().unwrap_or(&config.name);
    let xml = html! {
        (PreEscaped("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"))
        feed xmlns="http://www.w3.org/2005/Atom" "xml:lang"=(config.language) {
            id { (base) "/feed.xml" }
            title { (config.name) }
            updated { (updated) }
            link rel="self" type="application/atom+xml" href={ (base) "/feed.xml" } {}
            link rel="alternate" type="text/html" href={ (base) "/archive" } {}
            author { name { (author) } }
            @for issue in issues {
                @let url = config.archive_url(issue.issue);
                entry {
                    id { (url) }
                    title { (issue.subject) }
                    updated { (issue.published) }
                    published { (issue.published) }
                    link rel="alternate" type="text/html" href=(url) {}
                    @if let Some(d) = &issue.draft { summary { (d.draft.preheader) } }
                }
            }
        }
    };
    xml.into_string() + "\n"
}

/// Writes the archive as static files under `out`: `archive/index.html`,
/// `archive/N/index.html` per issue whose draft is there, and `feed.xml`.
/// Returns how many issue pages it wrote.
pub fn write_static(n: &Newsletter, store: &Store, out: &Path, now: Timestamp) -> Result<usize> {
    let config = &n.config;
    let cache = Cache::new(n.clone());
    let issues = published(&*cache.drafts()?, store)?;
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
            write(format!("archive/{}/index.html", issue.issue), cache.page(d))?;
            pages += 1;
        }
    }
    write("feed.xml".into(), feed(config, &issues, now))?;
    Ok(pages)
}

/// The published issues, their drafts read through the app's cache.
async fn issues(app: &Arc<App>) -> Result<Vec<Issue>> {
    let drafts = app.blocking(|app| app.archive.drafts()).await?;
    app.with_store(move |s| published(&drafts, s)).await
}

pub async fn index(State(app): State<Arc<App>>) -> Response {
    match issues(&app).await {
        Ok(issues) => cacheable(app.page(StatusCode::OK, index_page(&app.config, &issues))),
        Err(e) => app.failed("the archive", &e),
    }
}

pub async fn issue(State(app): State<Arc<App>>, UrlPath(issue): UrlPath<String>) -> Response {
    let Ok(number) = issue.parse::<u32>() else {
        return not_found(State(app)).await;
    };
    let draft = match issues(&app).await {
        Ok(issues) => issues
            .into_iter()
            .find(|i| i.issue == number)
            .and_then(|i| i.draft),
        Err(e) => return app.failed("the archive", &e),
    };
    let Some(draft) = draft else {
        return not_found(State(app)).await;
    };
    match app.blocking(move |app| Ok(app.archive.page(&draft))).await {
        Ok(html) => cacheable(app.page(StatusCode::OK, html)),
        Err(e) => app.failed("the archive", &e),
    }
}

pub async fn atom(State(app): State<Arc<App>>) -> Response {
    let issues = match issues(&app).await {
        Ok(issues) => issues,
        Err(e) => return app.failed("the feed", &e),
    };
    let now = match crate::clock::now() {
        Ok(now) => now,
        Err(e) => return app.failed("the clock", &e),
    };
    cacheable(
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/atom+xml; charset=utf-8"),
            )],
            feed(&app.config, &issues, now),
        )
            .into_response(),
    )
}

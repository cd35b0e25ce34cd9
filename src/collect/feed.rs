//! Reading a feed of saved links (RSS or Atom, with feed-rs), fetched with
//! the same limits as a page.

use super::fetch::{self, FetchError};

/// One saved link.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    pub link: String,
    pub title: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("cannot fetch the feed {url}: {source}")]
    Fetch { url: String, source: FetchError },
    #[error("{url} is not an RSS or Atom feed: {reason}")]
    Parse { url: String, reason: String },
}

/// The entries of the feed at `url`, oldest first.
pub fn read(url: &str) -> Result<Vec<Entry>, FeedError> {
    let fetched = fetch::fetch(url).map_err(|source| FeedError::Fetch {
        url: url.to_owned(),
        source,
    })?;
    parse(&fetched.body).map_err(|reason| FeedError::Parse {
        url: url.to_owned(),
        reason,
    })
}

/// The entries of a feed document, oldest first: by date where every entry
/// has one, else in reverse document order (feeds list the newest first).
pub fn parse(body: &[u8]) -> Result<Vec<Entry>, String> {
    let feed = feed_rs::parser::parse(body).map_err(|e| e.to_string())?;
    let dated = feed
        .entries
        .iter()
        .all(|e| e.published.or(e.updated).is_some());
    let mut entries: Vec<_> = feed.entries.into_iter().collect();
    if dated {
        entries.sort_by_key(|e| e.published.or(e.updated).map(|d| d.timestamp()));
    } else {
        entries.reverse();
    }
    Ok(entries
        .into_iter()
        .filter_map(|e| {
            let link = (e.links.iter())
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .map(|l| l.href.trim().to_owned())?;
            Some(Entry {
                link,
                title: e
                    .title
                    .map(|t| text_of(&t.content))
                    .filter(|t| !t.is_empty()),
                description: e
                    .summary
                    .map(|t| text_of(&t.content))
                    .filter(|t| !t.is_empty()),
            })
        })
        .collect())
}

/// The text of what may be an HTML fragment, whitespace collapsed.
fn text_of(s: &str) -> String {
    let fragment = scraper::Html::parse_fragment(s);
    let text: String = fragment.root_element().text().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rss_and_atom_entries_come_oldest_first_with_their_text() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>Saved</title>
            <item><title>Newer</title><link>https://a.example/2</link><description>&lt;p&gt;Two &lt;b&gt;bold&lt;/b&gt;&lt;/p&gt;</description></item>
            <item><title>Older</title><link>https://a.example/1</link></item>
            </channel></rss>"#;
        let entries = parse(rss).unwrap();
        assert_eq!(entries[0].link, "https://a.example/1");
        assert_eq!(entries[1].description.as_deref(), Some("Two bold"));
        let atom = br#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id><updated>2026-11-30T00:00:00Z</updated>
            <entry><title>B</title><id>b</id><updated>2026-11-30T00:00:00Z</updated><link href="https://a.example/b"/></entry>
            <entry><title>A</title><id>a</id><updated>2026-11-20T00:00:00Z</updated><link rel="alternate" href="https://a.example/a"/><link rel="enclosure" href="https://a.example/a.mp3"/></entry>
            </feed>"#;
        let links: Vec<String> = parse(atom).unwrap().into_iter().map(|e| e.link).collect();
        assert_eq!(links, ["https://a.example/a", "https://a.example/b"]);
        assert!(parse(b"<html>not a feed</html>").is_err());
        assert!(parse(b"\xff\xfe garbage").is_err());
    }
}

//! What a page says about itself: its title, description and canonical URL,
//! read with an HTML parser (html5ever, through scraper), never with patterns.

use scraper::{Html, Selector};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Meta {
    pub title: Option<String>,
    pub description: Option<String>,
    /// The canonical URL, resolved against the page's own.
    pub canonical: Option<String>,
}

/// The most a title or description is kept to, in characters.
const MAX_CHARS: usize = 300;

pub fn read(html: &str, page_url: &str) -> Meta {
    let doc = Html::parse_document(head_of(html));
    let meta = |attr: &str, name: &str| {
        let selector =
            Selector::parse(&format!("meta[{attr}=\"{name}\"]")).expect("a valid selector");
        (doc.select(&selector))
            .filter_map(|e| e.value().attr("content"))
            .map(clean)
            .find(|s| !s.is_empty())
    };
    let title_tag = Selector::parse("title").expect("a valid selector");
    let title = meta("property", "og:title").or_else(|| {
        (doc.select(&title_tag).next())
            .map(|t| clean(&t.text().collect::<String>()))
            .filter(|s| !s.is_empty())
    });
    let description = meta("property", "og:description").or_else(|| meta("name", "description"));
    let link = Selector::parse("link[rel=\"canonical\"]").expect("a valid selector");
    let canonical = (doc.select(&link).next())
        .and_then(|e| e.value().attr("href"))
        .and_then(|href| resolve(page_url, href.trim()));
    Meta {
        title,
        description,
        canonical,
    }
}

/// The most of a page without a `<body>` or `</head>` that is parsed.
const MAX_HEADLESS: usize = 64 * 1024;

/// The part of a page that says what it is: up to its `<body>` (or the end of
/// its `<head>`), where the title, metas and canonical link belong. The body
/// is never parsed: tree building slows with depth, and 200,000 nested
/// `<div>`s made `gazette add` run for minutes. A page without either is cut
/// at [`MAX_HEADLESS`] bytes.
fn head_of(html: &str) -> &str {
    let lower = html.as_bytes();
    let find = |needle: &[u8]| {
        lower
            .windows(needle.len())
            .position(|w| w.eq_ignore_ascii_case(needle))
    };
    let end = match (find(b"</head"), find(b"<body")) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => MAX_HEADLESS.min(html.len()),
    };
    let mut end = end;
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    &html[..end]
}

/// Whitespace collapsed, at most [`MAX_CHARS`] characters.
fn clean(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

/// `href` made absolute against `base`: absolute http(s), scheme-relative or
/// root-relative (what canonical links are); anything else is ignored.
fn resolve(base: &str, href: &str) -> Option<String> {
    let lower = href.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Some(href.to_owned());
    }
    let (scheme, rest) = base.split_once("://")?;
    let origin = rest.split(['/', '?', '#']).next()?;
    if let Some(r) = href.strip_prefix("//") {
        return Some(format!("{scheme}://{r}"));
    }
    href.starts_with('/')
        .then(|| format!("{scheme}://{origin}{href}"))
}

/// The host of an http(s) URL, lower case, without a leading `www.`.
pub fn site(url: &str) -> Option<String> {
    let host = crate::config::skeleton::url_host(url)?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_graph_first_then_the_title_and_description_tags() {
        let html = r#"<html><head><title> The  title
            </title><meta name="description" content="Plain description.">
            <meta property="og:title" content="">
            <link rel="canonical" href="/posts/1"></head><body>x</body></html>"#;
        let meta = read(html, "https://www.a.example/posts/1?utm_source=feed");
        assert_eq!(meta.title.as_deref(), Some("The title"));
        assert_eq!(meta.description.as_deref(), Some("Plain description."));
        assert_eq!(
            meta.canonical.as_deref(),
            Some("https://www.a.example/posts/1")
        );

        let html = r#"<meta property="og:title" content="OG &amp; title"><meta property="og:description" content="OG description">"#;
        let meta = read(html, "https://a.example/");
        assert_eq!(meta.title.as_deref(), Some("OG & title"));
        assert_eq!(meta.description.as_deref(), Some("OG description"));
        assert_eq!(meta.canonical, None);
    }

    #[test]
    fn only_the_head_is_parsed() {
        let deep = format!(
            "<html><head><title>T</title></head><body>{}</body>",
            "<div>".repeat(100)
        );
        assert_eq!(head_of(&deep), "<html><head><title>T</title>");
        assert_eq!(
            read(&deep, "https://a.example/").title.as_deref(),
            Some("T")
        );
        let headless = format!("<title>X</title>{}", "<p>é".repeat(40_000));
        assert!(head_of(&headless).len() <= MAX_HEADLESS);
        assert_eq!(
            read(&headless, "https://a.example/").title.as_deref(),
            Some("X")
        );
        // A meta in the body is not read: the head is where it belongs.
        let late = "<head></head><body><meta property=\"og:title\" content=\"late\"></body>";
        assert_eq!(read(late, "https://a.example/").title, None);
    }

    #[test]
    fn a_page_without_metadata_or_with_garbage_gives_nothing() {
        assert_eq!(read("", "https://a.example/"), Meta::default());
        assert_eq!(read("<<<>>>\u{0}<title>", "https://a.example/").title, None);
        assert_eq!(
            site("https://WWW.A.example:8080/x"),
            Some("a.example".into())
        );
    }
}

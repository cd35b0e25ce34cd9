//! Collecting links through the week: fetching a page for what it says about
//! itself ([`fetch`], [`page`]) and appending an item to a draft in place,
//! keeping every byte the editor wrote ([`edit`]).

pub mod edit;
pub mod feed;
pub mod fetch;
pub mod page;
pub mod target;

use crate::config::url::check_url;

/// `url` without its `utm_*` query parameters (and without a `?` left empty).
pub fn strip_tracking(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let Some((base, query)) = before_fragment.split_once('?') else {
        return url.to_owned();
    };
    let kept: Vec<&str> = (query.split('&'))
        .filter(|p| !p.is_empty() && !p.to_ascii_lowercase().starts_with("utm_"))
        .collect();
    let mut out = base.to_owned();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// Fetches `url`: the link to keep (the canonical URL on the same site, without
/// `utm_*`) and comment lines for the editor (title, description, or why not).
pub fn look_at(url: &str) -> (String, Vec<String>) {
    let given = strip_tracking(url);
    let fetched = match fetch::fetch(url) {
        Ok(f) => f,
        Err(e) => return (given, vec![format!("not fetched: {e}")]),
    };
    if !matches!(
        fetched.media_type.as_str(),
        "text/html" | "application/xhtml+xml"
    ) {
        let what = if fetched.media_type.is_empty() {
            "no type"
        } else {
            &fetched.media_type
        };
        return (given, vec![format!("not an HTML page ({what})")]);
    }
    let meta = page::read(&String::from_utf8_lossy(&fetched.body), &fetched.url);
    let same_site = |c: &str| page::site(c).is_some() && page::site(c) == page::site(&fetched.url);
    let link = match &meta.canonical {
        Some(c) if same_site(c) && check_url(c).is_ok() => strip_tracking(c),
        _ => given,
    };
    let mut notes = Vec::new();
    if let Some(t) = &meta.title {
        notes.push(format!("title: {t}"));
    }
    if let Some(d) = &meta.description {
        notes.push(format!("description: {d}"));
    }
    if notes.is_empty() {
        notes.push("the page gives no title or description".into());
    }
    (link, notes)
}

#[cfg(test)]
mod tests {
    use super::strip_tracking;

    #[test]
    fn tracking_parameters_go_and_the_rest_stays_in_order() {
        assert_eq!(
            strip_tracking("https://a.example/p?utm_source=x&id=3&UTM_medium=y&b=4#top"),
            "https://a.example/p?id=3&b=4#top"
        );
        assert_eq!(
            strip_tracking("https://a.example/p?utm_source=x"),
            "https://a.example/p"
        );
        assert_eq!(strip_tracking("https://a.example/p"), "https://a.example/p");
    }
}

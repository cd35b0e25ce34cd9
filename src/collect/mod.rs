//! Collecting links through the week: fetching a page for what it says about
//! itself ([`fetch`], [`page`]) and appending an item to a draft in place,
//! keeping every byte the editor wrote ([`edit`]).

pub mod edit;
pub mod fetch;
pub mod page;

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

//! The one check every URL a person writes goes through (`base_url`, draft
//! links): absolute http(s), a host, nothing that needs percent-encoding.

/// Why a URL was refused; the message follows the URL in a diagnostic
/// ("the link `x` must be ...").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("must be an absolute http(s) URL, not a `{0}:` URL")]
    Scheme(String),
    #[error("must be an absolute http(s) URL, starting with https://")]
    NotAbsolute,
    #[error("has no host name")]
    NoHost,
    #[error("contains {0:?}, which must be percent-encoded")]
    Unencoded(char),
}

/// Checks that `url` is an absolute http(s) URL with a host, and nothing odd.
pub fn check_url(url: &str) -> Result<(), UrlProblem> {
    let lower = url.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://") {
        r
    } else if let Some(r) = lower.strip_prefix("http://") {
        r
    } else {
        let scheme = url
            .split_once(':')
            .map(|(s, _)| s)
            .filter(|s| !s.contains('/'));
        return Err(match scheme {
            Some(s) => UrlProblem::Scheme(s.to_string()),
            None => UrlProblem::NotAbsolute,
        });
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err(UrlProblem::NoHost);
    }
    if let Some(c) = url
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"'))
    {
        return Err(UrlProblem::Unencoded(c));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(check_url("https://example.com/a?b=c").is_ok());
        assert!(check_url("HTTP://Example.com").is_ok());
        assert_eq!(
            check_url("javascript:alert(1)").unwrap_err().to_string(),
            "must be an absolute http(s) URL, not a `javascript:` URL"
        );
        assert!(check_url("/relative").is_err());
        assert!(check_url("https://").is_err());
        assert!(check_url("https://a.com/x y").is_err());
    }
}

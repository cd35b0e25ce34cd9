//! Checks of what gazette renders: the parts of an issue against what
//! STANDARDS.md asks, and the Atom feed as xml.etree reads it.

use super::{python, render};
use unicode_width::UnicodeWidthStr;

/// The HTML with a line break between tags, so that a snapshot reads (and
/// diffs) line by line; the HTML has none there itself, so nothing is lost.
pub fn html_lines(html: &str) -> String {
    assert!(
        !html.contains(">\n<"),
        "the HTML breaks a line between tags"
    );
    html.replace("><", ">\n<")
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What STANDARDS.md asks of the HTML part, beyond the snapshot.
pub fn assert_html_part(html: &str, lang: &str, links: &[String]) {
    assert!(html.starts_with("<!DOCTYPE html>"), "no doctype");
    let rtl = ["ar", "he", "fa", "ur"].contains(&lang.split('-').next().unwrap());
    let dir = if rtl { "rtl" } else { "ltr" };
    assert!(html.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")));
    let charset = html.find("<meta charset=\"utf-8\">").expect("meta charset");
    assert!(
        charset < 1024,
        "meta charset must be in the first 1024 bytes"
    );
    for meta in [
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<meta name=\"color-scheme\" content=\"light dark\">",
        "<meta name=\"supported-color-schemes\" content=\"light dark\">",
    ] {
        assert!(html.contains(meta), "missing {meta}");
    }
    assert!(html.contains("<title>"));
    // The preheader comes first in the body, hidden.
    let body = &html[html.find("<body").unwrap()..];
    let first = &body[body.find('>').unwrap() + 1..];
    assert!(first.starts_with("<div class=\"preheader\" style=\"display:none;"));
    assert!(first[..first.find("</div>").unwrap()].contains("mso-hide:all"));
    // CSS is inlined: the one <style> left holds only @media rules.
    assert_eq!(html.matches("<style").count(), 1);
    let style = &html[html.find("<style>").unwrap() + 7..html.find("</style>").unwrap()];
    assert!(style.trim_start().starts_with("@media"), "{style}");
    assert!(style.contains("prefers-color-scheme: dark"));
    assert_no_negative_margin(html);
    assert_fluid(html);
    assert_links_breakable(html);
    for (property, value) in declarations(html) {
        if let Some(px) = value.strip_suffix("px").filter(|_| property == "font-size") {
            assert!(px.parse::<f64>().unwrap() >= 14.0, "font-size: {value}");
        }
    }
    // Nothing from the draft runs.
    let lower = html.to_lowercase();
    for banned in ["<script", "javascript:", "<iframe", "<form"] {
        assert!(!lower.contains(banned), "the HTML holds {banned}");
    }
    assert!(!html.contains(render::UNSUBSCRIBE_MARK));
    for url in links {
        assert!(html.contains(&format!("href=\"{}\"", escape(url))), "{url}");
    }
}

/// A layout that fits any screen where `<style>` is dropped: no fixed width
/// but in the Outlook-only table inside MSO conditional comments, and the
/// container 100% wide up to 600px.
pub fn assert_fluid(html: &str) {
    let (mso, rest) = split_mso(html);
    assert!(
        mso.iter()
            .any(|c| c.contains("<table") && c.contains("width=\"600\"")),
        "no Outlook-only 600px table in {mso:?}"
    );
    for (at, _) in rest.match_indices("width=\"") {
        let value = &rest[at + 7..];
        let value = &value[..value.find('"').unwrap()];
        assert!(
            value.ends_with('%'),
            "a fixed width=\"{value}\" outside MSO comments"
        );
    }
    for (property, value) in declarations(&rest) {
        if property == "width" || property == "min-width" {
            assert!(!value.ends_with("px"), "a fixed {property}: {value}");
        }
    }
    let container = &rest[rest.find("class=\"container\"").expect("the container")..];
    let container = &container[..container.find('>').unwrap()];
    assert!(
        container.contains("width=\"100%\"") && container.contains("max-width: 600px"),
        "the container is not fluid: {container}"
    );
}

/// Spacing by positive margins and padding only (Gmail, Outlook and Yahoo
/// drop negative margins).
pub fn assert_no_negative_margin(html: &str) {
    for (property, value) in declarations(html) {
        if property.starts_with("margin") || property.starts_with("padding") {
            assert!(!value.contains('-'), "{property}: {value}");
        }
    }
}

/// The longest run of a link's visible text that no client may break: a
/// 375px screen holds about 40 characters of 14px text beside the padding.
pub const LONGEST_UNBREAKABLE: usize = 30;

/// Every link's visible text breaks where every client allows (spaces and
/// zero-width spaces), never through `word-break`, which Yahoo ignores, or
/// `<wbr>`, which Outlook for Windows and Gmail for iOS ignore.
pub fn assert_links_breakable(html: &str) {
    assert!(!html.contains("word-break"), "word-break is used");
    assert!(!html.contains("<wbr"), "<wbr> is used");
    for text in link_texts(html) {
        for run in text
            .split(|c: char| c.is_whitespace())
            .flat_map(|w| w.split('\u{200b}'))
        {
            let visible = strip_tags(run).replace("&amp;", "&");
            assert!(
                visible.chars().count() <= LONGEST_UNBREAKABLE,
                "{visible:?} ({} chars) does not break, in {text:?}",
                visible.chars().count()
            );
        }
    }
}

/// The inner HTML of every `<a>` in `html`, in order.
pub fn link_texts(html: &str) -> Vec<&str> {
    html.split("<a ")
        .skip(1)
        .map(|s| {
            let inner = &s[s.find('>').unwrap() + 1..];
            &inner[..inner.find("</a>").unwrap()]
        })
        .collect()
}

/// `html` without its tags.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        rest = &rest[rest[start..].find('>').unwrap() + start + 1..];
    }
    out.push_str(rest);
    out
}

/// The MSO conditional comments' contents, and the HTML without them.
pub fn split_mso(html: &str) -> (Vec<&str>, String) {
    let (mut inside, mut rest, mut tail) = (Vec::new(), String::new(), html);
    while let Some(start) = tail.find("<!--[if mso]>") {
        rest.push_str(&tail[..start]);
        let end = tail[start..]
            .find("<![endif]-->")
            .expect("an unclosed MSO comment")
            + start;
        inside.push(&tail[start + 13..end]);
        tail = &tail[end + 12..];
    }
    rest.push_str(tail);
    (inside, rest)
}

/// Every CSS declaration in `style` attributes and the `<style>` element, as
/// (property, value), lowercased.
pub fn declarations(html: &str) -> Vec<(String, String)> {
    let mut blocks: Vec<&str> = html
        .split("style=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    if let (Some(a), Some(b)) = (html.find("<style>"), html.find("</style>")) {
        blocks.extend(html[a + 7..b].split(['{', '}']));
    }
    blocks
        .iter()
        .flat_map(|b| b.split(';'))
        .filter_map(|d| d.split_once(':'))
        .map(|(p, v)| {
            let v = v.replace("!important", "");
            (p.trim().to_lowercase(), v.trim().to_lowercase())
        })
        .collect()
}

/// What STANDARDS.md asks of the text part, beyond the snapshot.
pub fn assert_text_part(text: &str, links: &[String]) {
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
    assert!(!text.contains('\r') && !text.contains('\t'));
    let lines: Vec<&str> = text.lines().collect();
    for line in &lines {
        assert_eq!(line.trim_end(), *line, "trailing space: {line:?}");
        let url_alone = line.starts_with("https://") && !line.contains(' ');
        assert!(
            line.width() <= 72 || url_alone,
            "over 72 columns ({}): {line:?}",
            line.width()
        );
    }
    // The title is underlined.
    assert_eq!(lines[1], "=".repeat(lines[0].width()));
    for url in links {
        assert!(lines.contains(&url.as_str()), "not whole on a line: {url}");
    }
    assert!(lines.iter().any(|l| l.starts_with("Sponsored by ")));
    assert!(!text.contains(render::UNSUBSCRIBE_MARK));
}

/// The feed as xml.etree reads it, checking Atom's required elements.
pub fn parse_feed(xml: &str) -> serde_json::Value {
    const SCRIPT: &str = r#"
import json, sys, datetime
import xml.etree.ElementTree as ET
A = '{http://www.w3.org/2005/Atom}'
root = ET.fromstring(sys.stdin.buffer.read())
def when(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00')).isoformat()
print(json.dumps({
    'tag': root.tag,
    'id': root.findtext(A + 'id'),
    'title': root.findtext(A + 'title'),
    'updated': when(root.findtext(A + 'updated')),
    'author': root.findtext(A + 'author/' + A + 'name'),
    'self': [l.get('href') for l in root.findall(A + 'link') if l.get('rel') == 'self'],
    'entries': [{
        'id': e.findtext(A + 'id'),
        'title': e.findtext(A + 'title'),
        'updated': when(e.findtext(A + 'updated')),
        'link': e.find(A + 'link').get('href'),
    } for e in root.findall(A + 'entry')],
}))
"#;
    serde_json::from_slice(&python(SCRIPT, &[], xml.as_bytes())).unwrap()
}

//! Contrast ratios computed from the stylesheet itself, light and dark.

use super::{contrast, css};
use crate::config::Config;
use crate::diag::Source;
use std::path::Path;

/// One rule: inside `@media (prefers-color-scheme: dark)` or not, its
/// selectors and its declarations.
struct Rule {
    dark: bool,
    selectors: Vec<String>,
    declarations: Vec<(String, String)>,
}

/// A small reader for this stylesheet's shape: flat rules, and `@media` blocks
/// holding flat rules.
fn parse(css: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    let mut media: Option<String> = None;
    let mut rest = css;
    while let Some(open) = rest.find('{') {
        let head = rest[..open].trim();
        if let Some(close_media) = rest[..open].find('}') {
            // The end of an @media block comes before this rule's head.
            assert!(media.is_some(), "a stray }} in {css}");
            media = None;
            rest = &rest[close_media + 1..];
            continue;
        }
        if head.starts_with('@') {
            media = Some(head.to_string());
            rest = &rest[open + 1..];
            continue;
        }
        let close = rest[open..].find('}').unwrap() + open;
        let declarations = rest[open + 1..close]
            .split(';')
            .filter_map(|d| d.split_once(':'))
            .map(|(p, v)| {
                (
                    p.trim().to_string(),
                    v.replace("!important", "").trim().to_string(),
                )
            })
            .collect();
        rules.push(Rule {
            dark: media
                .as_deref()
                .is_some_and(|m| m.contains("prefers-color-scheme: dark")),
            selectors: head.split(',').map(|s| s.trim().to_string()).collect(),
            declarations,
        });
        rest = &rest[close + 1..];
    }
    rules
}

/// The value of `property` for an element matched by `selector` alone: the
/// last declaration wins, a dark-mode one over any light one when `dark`.
fn value(rules: &[Rule], selector: &str, property: &str, dark: bool) -> Option<String> {
    let find = |want_dark: bool| {
        rules
            .iter()
            .filter(|r| r.dark == want_dark && r.selectors.iter().any(|s| s == selector))
            .flat_map(|r| r.declarations.iter())
            .filter(|(p, _)| p == property)
            .map(|(_, v)| v.clone())
            .next_back()
    };
    if dark {
        find(true).or_else(|| find(false))
    } else {
        find(false)
    }
}

/// (text, its fallback when unset, background, least ratio): what is read
/// against what in the HTML part.
const PAIRS: &[(&str, &str, &str, f64)] = &[
    (".body", ".body", ".body", 4.5),
    (".cell", ".cell", ".container", 4.5),
    (".title", ".title", ".container", 3.0),
    (".meta", ".meta", ".container", 4.5),
    ("h2", "h2", ".container", 3.0),
    ("a", "a", ".container", 4.5),
    ("a", "a", ".sponsor", 4.5),
    ("a", "a", ".body", 4.5),
    (".sponsor-cell", ".sponsor-cell", ".sponsor", 4.5),
    (".label", ".label", ".sponsor", 4.5),
    ("code", ".cell", "code", 4.5),
    ("code", ".sponsor-cell", "code", 4.5),
    (".footer", ".footer", ".container", 4.5),
    (".footer-link", ".footer-link", ".container", 4.5),
];

fn brands() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = Config::load(root).unwrap().brand_color;
    let minimal = "name = \"N\"\nfrom = \"a@example.org\"\nbase_url = \"https://example.org\"\npostal_address = \"1 Road\"\n";
    let default = Config::parse(root, &Source::new("c", minimal))
        .unwrap()
        .brand_color;
    assert_eq!((example.as_str(), default.as_str()), ("#0b6e4f", "#1a5fb4"));
    // And colours no one should pick, which must be made readable.
    [
        example,
        default,
        "#ffff00".into(),
        "#000000".into(),
        "#8a3b12".into(),
        "#ffffff".into(),
    ]
    .into()
}

#[test]
fn text_and_links_are_readable_in_light_and_dark_mode() {
    for brand in brands() {
        let rules = parse(&css(&brand));
        for dark in [false, true] {
            for &(text, fallback, background, least) in PAIRS {
                let fg = value(&rules, text, "color", dark)
                    .or_else(|| value(&rules, fallback, "color", dark))
                    .unwrap_or_else(|| panic!("no colour for {text} (dark: {dark})"));
                let bg = value(&rules, background, "background-color", dark)
                    .unwrap_or_else(|| panic!("no background for {background} (dark: {dark})"));
                let ratio = contrast(&fg, &bg);
                assert!(
                    ratio >= least,
                    "brand {brand}, dark: {dark}: {text} {fg} on {background} {bg} is {ratio:.2}:1, under {least}:1"
                );
            }
        }
    }
}

#[test]
fn contrast_is_computed_as_wcag_says() {
    assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    assert!((contrast("#777777", "#ffffff") - 4.48).abs() < 0.01);
    let rules = parse(
        ".a { color: #111111; }\n@media (prefers-color-scheme: dark) {\n  .a, .b { color: #eeeeee !important; }\n}\n",
    );
    assert_eq!(
        value(&rules, ".a", "color", false).as_deref(),
        Some("#111111")
    );
    assert_eq!(
        value(&rules, ".a", "color", true).as_deref(),
        Some("#eeeeee")
    );
    assert_eq!(value(&rules, ".b", "color", false), None);
}

//! The HTML part: a complete, table-laid, email-client-safe document, framed
//! for an inbox or for the archive's page ([`Frame`]).
//!
//! Written with maud (everything from the draft is escaped), then its CSS is
//! inlined into `style=""` with css-inline; the `@media` rules for dark mode and
//! narrow screens stay in `<style>` as an enhancement only.

use super::{Frame, UNSUBSCRIBE_MARK};
use crate::config::{Config, LinkText};
use crate::draft::{Block, Draft, Inline, long_date};
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// Renders the HTML part in `frame`, CSS inlined.
pub fn render(draft: &Draft, config: &Config, frame: &Frame<'_>) -> String {
    let css = super::style::css(&config.brand_color);
    inline_css(&document(draft, config, frame, &css).into_string())
}

/// A welcome mail's HTML part: the issue's look, with `blocks` for content and
/// the reader's unsubscribe link in the footer.
pub fn welcome(config: &Config, subject: &str, blocks: &[Block]) -> String {
    let css = super::style::css(&config.brand_color);
    let doc = html! {
        (DOCTYPE)
        html lang=(config.language) dir=(direction(&config.language)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (subject) }
                style { (PreEscaped(css)) }
            }
            body.body {
                (fluid(html! {
                            tr { td.header { h1.title { (config.name) } } }
                            tr { td.cell { @for block in blocks { (paragraph(None, block, "item", config.link_text)) } } }
                            tr { td.footer {
                                p.footer-line {
                                    a.footer-link href=(UNSUBSCRIBE_MARK) { "Unsubscribe" } " with one click · "
                                    a.footer-link href={ (config.base_url) "/archive" } { "Past issues" }
                                }
                                p.footer-line { @for (i, line) in config.postal_address.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
                                    @if i > 0 { br; }
                                    (line)
                                } }
                            } }
                }))
            }
        }
    };
    inline_css(&doc.into_string())
}

fn inline_css(doc: &str) -> String {
    let inliner = css_inline::CSSInliner::options()
        .keep_style_tags(false)
        .keep_at_rules(true)
        .load_remote_stylesheets(false)
        .build();
    inliner
        .inline(doc)
        .expect("the built-in stylesheet inlines")
}

fn document(draft: &Draft, config: &Config, frame: &Frame<'_>, css: &str) -> Markup {
    let date = long_date(draft.date);
    html! {
        (DOCTYPE)
        html lang=(config.language) dir=(direction(&config.language)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="x-apple-disable-message-reformatting";
                meta name="color-scheme" content="light dark";
                meta name="supported-color-schemes" content="light dark";
                title { (draft.subject) }
                style { (PreEscaped(css)) }
            }
            body.body {
                @if let Frame::Archive { index_url, subscribe_url } = frame {
                    (navigation(config, index_url, subscribe_url))
                }
                div.preheader style="display:none;max-height:0;max-width:0;mso-hide:all" {
                    (draft.preheader)
                    // Keeps the client from filling the preview with body text.
                    (PreEscaped("&#847;&zwnj;&nbsp;".repeat(30)))
                }
                (fluid(html! {
                            tr { td.header {
                                h1.title { (config.name) }
                                p.meta { "Issue #" (draft.issue) " · " (date) }
                            } }
                            tr { td.cell {
                                @for block in &draft.intro { (paragraph(None, block, "item", config.link_text)) }
                                @if let Some(s) = &draft.sponsor {
                                    table.sponsor role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {
                                        tr { td.sponsor-cell {
                                            p.label { "Sponsored by " (s.name) }
                                            @for block in &s.text { (paragraph(None, block, "item", config.link_text)) }
                                            p.links style="margin:0" { a href=(s.url.url) { (url_text(&s.url.url, config.link_text)) } }
                                        } }
                                    }
                                }
                                @for section in draft.sections.iter().filter(|s| !s.items.is_empty()) {
                                    h2 { (section.title) }
                                    @for item in &section.items {
                                        @for (i, block) in item.text.iter().enumerate() {
                                            @let title = if i == 0 { item.title.as_deref() } else { None };
                                            // The last paragraph has no bottom margin, so that the
                                            // links sit right under it by their own top margin.
                                            @let class = if i + 1 == item.text.len() { "item-end" } else { "item" };
                                            (paragraph(title, block, class, config.link_text))
                                        }
                                        p.links {
                                            @for (i, link) in item.links.iter().enumerate() {
                                                @if i > 0 { br; }
                                                a href=(link.url) { (url_text(&link.url, config.link_text)) }
                                            }
                                        }
                                    }
                                }
                                @for block in &draft.outro { (paragraph(None, block, "item", config.link_text)) }
                            } }
                            tr { td.footer {
                                @match frame {
                                    Frame::Email => {
                                        p.footer-line { "You are receiving " (config.name) " because you subscribed to it." }
                                        p.footer-line {
                                            a.footer-link href=(UNSUBSCRIBE_MARK) { "Unsubscribe" } " with one click · "
                                            a.footer-link href=(config.archive_url(draft.issue)) { "Read it in the archive" }
                                        }
                                    }
                                    Frame::Archive { subscribe_url, .. } => {
                                        p.footer-line { "This is issue #" (draft.issue) " of " (config.name) ", from the archive." }
                                        p.footer-line { a href=(subscribe_url) { "Subscribe" } " to get each issue by email." }
                                    }
                                }
                                p.footer-line { @for (i, line) in config.postal_address.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
                                    @if i > 0 { br; }
                                    (line)
                                } }
                            } }
                }))
            }
        }
    }
}

/// The `dir` of a document in `language` (a BCP 47 tag): `rtl` for a
/// right-to-left script named in the tag (`pa-Arab`) or, without one, for a
/// language written right to left (Arabic, Hebrew, Persian, Urdu...).
pub(super) fn direction(language: &str) -> &'static str {
    const RTL_LANGUAGES: &[&str] = &[
        "ar", "arc", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "ps", "sd", "syr", "ug", "ur", "yi",
    ];
    const RTL_SCRIPTS: &[&str] = &["arab", "hebr", "syrc", "thaa", "nkoo", "adlm", "rohg"];
    let lower = language.to_ascii_lowercase();
    let mut subtags = lower.split(['-', '_']);
    let primary = subtags.next().unwrap_or_default();
    let rtl = match subtags.find(|s| s.len() == 4 && s.chars().all(|c| c.is_ascii_alphabetic())) {
        Some(script) => RTL_SCRIPTS.contains(&script),
        None => RTL_LANGUAGES.contains(&primary),
    };
    if rtl { "rtl" } else { "ltr" }
}

/// The page's frame: a container 100% wide up to 600px (`max-width`), centred
/// in a full-width wrapper. Outlook for Windows ignores `max-width`, so it
/// alone gets a fixed 600px table, in MSO conditional comments that every
/// other client reads as comments: a client that drops `<style>` still fits a
/// phone.
fn fluid(rows: Markup) -> Markup {
    const MSO_OPEN: &str = r#"<!--[if mso]><table role="presentation" width="600" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->"#;
    const MSO_CLOSE: &str = "<!--[if mso]></td></tr></table><![endif]-->";
    html! {
        table.wrapper role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {
            tr { td align="center" {
                (PreEscaped(MSO_OPEN))
                table.container role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" {
                    (rows)
                }
                (PreEscaped(MSO_CLOSE))
            } }
        }
    }
}

/// The archive page's links above the issue: the index and the sign-up page.
fn navigation(config: &Config, index_url: &str, subscribe_url: &str) -> Markup {
    let link = format!("color: {};", config.brand_color);
    html! {
        p style="margin: 0; padding: 10px 16px; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 14px; text-align: center;" {
            a href=(index_url) style=(link) { "All issues of " (config.name) } " · "
            a href=(subscribe_url) style=(link) { "Subscribe" }
        }
    }
}

fn paragraph(title: Option<&str>, block: &Block, class: &str, form: LinkText) -> Markup {
    let Block::Paragraph(inlines) = block;
    html! {
        p class=(class) {
            @if let Some(t) = title { strong { (t) } " " }
            (inline(inlines, form))
        }
    }
}

fn inline(inlines: &[Inline], form: LinkText) -> Markup {
    html! {
        @for i in inlines {
            @match i {
                Inline::Text(t) => (t),
                Inline::Code(t) => code { (t) },
                Inline::Emphasis(c) => em { (inline(c, form)) },
                Inline::Strong(c) => strong { (inline(c, form)) },
                Inline::Link { link, children } => a href=(link.url) {
                    @match children.as_slice() {
                        [Inline::Text(t)] if *t == link.url => (url_text(t, form)),
                        _ => (link_inline(children, form)),
                    }
                },
                Inline::LineBreak => br;,
            }
        }
    }
}

/// A link's own text: as [`inline`], with its words made breakable.
fn link_inline(inlines: &[Inline], form: LinkText) -> Markup {
    html! {
        @for i in inlines {
            @match i {
                Inline::Text(t) => (breakable(t)),
                other => (inline(std::slice::from_ref(other), form)),
            }
        }
    }
}

/// A URL as the visible text of its link, in the config's form; the `href`
/// keeps the whole URL either way.
fn url_text(url: &str, form: LinkText) -> Markup {
    match form {
        LinkText::Url => breakable(url),
        LinkText::Short => breakable(&short_url(url)),
    }
}

/// Host and path, without scheme, query or fragment, cut to
/// [`SHORT_URL_CHARS`]; `…` ends it when anything was left out.
fn short_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let shown = rest[..end].trim_end_matches('/');
    let mut cut = end < rest.len();
    let mut out: String = shown.chars().take(SHORT_URL_CHARS - 1).collect();
    if out.len() < shown.len() {
        cut = true;
    } else {
        out = shown.to_owned();
    }
    if cut {
        out.push('…');
    }
    out
}

/// The most characters of host and path that `link_text = "short"` shows.
const SHORT_URL_CHARS: usize = 40;

/// A run of characters longer than this gets a break even with no
/// punctuation to break after.
const LONGEST_RUN: usize = 24;

/// A break opportunity that is text, not markup: every client wraps at it,
/// where caniemail finds `<wbr>` ignored by Outlook for Windows and Gmail for
/// iOS, and `word-break` by Yahoo. It is invisible and screen readers skip it.
const ZERO_WIDTH_SPACE: char = '\u{200b}';

/// `text`, escaped, with a [`ZERO_WIDTH_SPACE`] after `/`, `?`, `&` and the
/// like, and inside any run longer than [`LONGEST_RUN`] characters;
/// "https://" stays whole.
fn breakable(text: &str) -> Markup {
    let (scheme, rest) = match text.find("://") {
        Some(at) if at < 10 => text.split_at(at + 3),
        _ => ("", text),
    };
    let mut out = super::escape_html(scheme);
    let (mut run, mut after_mark) = (scheme.chars().count(), false);
    for c in rest.chars() {
        if c.is_whitespace() {
            run = 0;
        } else if after_mark || run >= LONGEST_RUN {
            out.push(ZERO_WIDTH_SPACE);
            run = 0;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
        run += usize::from(!c.is_whitespace());
        after_mark = matches!(c, '/' | '?' | '&' | '=' | '#' | '-' | '.' | '_');
    }
    PreEscaped(out)
}

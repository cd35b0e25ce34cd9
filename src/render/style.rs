//! The HTML part's stylesheet: inlined into `style=""` but for the `@media`
//! rules, with the brand colour adjusted where it would be hard to read.
//!
//! The colours are chosen for contrast (WCAG 2): text and links at least 4.5:1
//! against their background, large headings at least 3:1, in light and dark
//! mode alike; the tests below compute the ratios from this very CSS.

const CSS: &str = r#"
body, .body { margin: 0; padding: 0; background-color: #f2f3f5; color: #1f2328; }
.wrapper { background-color: #f2f3f5; }
.container { background-color: #ffffff; max-width: 600px; }
.cell { padding: 24px 32px; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #1f2328; }
.header { padding: 28px 32px 20px 32px; border-bottom: 4px solid BRAND; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; }
.title { margin: 0; font-size: 26px; line-height: 1.25; color: #1f2328; font-weight: bold; }
.meta { margin: 6px 0 0 0; font-size: 14px; color: #57606a; }
p { margin: 0 0 16px 0; }
h2 { margin: 32px 0 12px 0; padding-bottom: 6px; font-size: 20px; line-height: 1.3; color: BRAND; border-bottom: 1px solid #d0d7de; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; }
a { color: BRAND; text-decoration: underline; }
.links { margin: 4px 0 24px 0; font-size: 14px; line-height: 1.6; }
.item { margin: 0 0 8px 0; }
.item-end { margin: 0; }
.sponsor { margin: 8px 0 8px 0; background-color: #f6f8fa; border: 1px solid #d0d7de; }
.sponsor-cell { padding: 16px 20px; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #1f2328; }
.label { margin: 0 0 8px 0; font-size: 14px; letter-spacing: 1px; text-transform: uppercase; color: #57606a; }
code { font-family: Menlo, Consolas, monospace; font-size: 14px; background-color: #eff1f3; }
.footer { padding: 20px 32px 32px 32px; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 14px; line-height: 1.5; color: #57606a; border-top: 1px solid #d0d7de; }
.footer-line { margin: 0 0 10px 0; }
.footer-link { color: #57606a; }
@media only screen and (max-width: 620px) {
  .cell, .header, .footer { padding-left: 16px !important; padding-right: 16px !important; }
}
@media (prefers-color-scheme: dark) {
  .body, .wrapper { background-color: #0d1117 !important; color: #e6edf3 !important; }
  .container { background-color: #161b22 !important; }
  .sponsor { background-color: #1c2128 !important; border-color: #30363d !important; }
  .cell, .sponsor-cell, .title { color: #e6edf3 !important; }
  .meta, .label, .footer, .footer-link { color: #9198a1 !important; }
  a, h2 { color: DARK_BRAND !important; }
  .header { border-bottom-color: DARK_BRAND !important; }
  h2, .footer { border-color: #30363d !important; }
  code { background-color: #2d333b !important; color: #e6edf3 !important; }
}
"#;

/// What the brand colour is read against (links, headings): the page, the
/// container and the sponsor box, in light mode and in dark mode.
const LIGHT_BACKGROUNDS: &[&str] = &["#f2f3f5", "#ffffff", "#f6f8fa"];
const DARK_BACKGROUNDS: &[&str] = &["#0d1117", "#161b22", "#1c2128"];

/// The contrast links need (WCAG 2 AA for body text); headings need 3:1.
const LEAST_CONTRAST: f64 = 4.5;

/// The stylesheet with `brand` as the accent colour: as it is where it reads
/// well enough, else darkened (light mode) or lightened (dark mode) just
/// enough.
pub(super) fn css(brand: &str) -> String {
    let light = readable(brand, "#000000", LIGHT_BACKGROUNDS);
    let dark = readable(brand, "#ffffff", DARK_BACKGROUNDS);
    CSS.replace("DARK_BRAND", &dark).replace("BRAND", &light)
}

/// `colour`, mixed towards `target` in 5% steps until it has
/// [`LEAST_CONTRAST`] against every one of `backgrounds`.
fn readable(colour: &str, target: &str, backgrounds: &[&str]) -> String {
    let (from, to) = (rgb(colour), rgb(target));
    (0..=20)
        .map(|step| {
            let t = f64::from(step) / 20.0;
            let mix = |i: usize| (from[i] + (to[i] - from[i]) * t).round() as u8;
            format!("#{:02x}{:02x}{:02x}", mix(0), mix(1), mix(2))
        })
        .find(|c| backgrounds.iter().all(|b| contrast(c, b) >= LEAST_CONTRAST))
        .unwrap_or_else(|| target.to_owned())
}

/// `#rrggbb` as its three channels, 0 to 255 (a checked config colour).
fn rgb(hex: &str) -> [f64; 3] {
    let channel = |i: usize| f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0));
    [channel(1), channel(3), channel(5)]
}

/// WCAG 2's relative luminance.
fn luminance(hex: &str) -> f64 {
    let [r, g, b] = rgb(hex).map(|c| {
        let c = c / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    });
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

/// WCAG 2's contrast ratio, 1 to 21.
fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[cfg(test)]
mod tests;

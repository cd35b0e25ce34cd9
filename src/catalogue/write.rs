//! An [`Issue`] as draft TOML, in the shape an editor writes: the top-level
//! keys, the intro and each text as a multi-line string, `[sponsor]`, then one
//! `[[key]]` table per item in configured section order.

use super::Issue;
use std::fmt::Write;

/// Links fit on the `links = [...]` line up to this width; past it, one a line.
const LINE: usize = 100;

/// The draft TOML of `issue`; `from` names the file it came from.
pub fn draft_toml(issue: &Issue, from: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Imported by `gazette import` from {}.",
        one_line(from)
    );
    let _ = writeln!(out, "issue = {}", issue.number);
    let _ = writeln!(out, "date = {}", issue.date);
    if let Some(subject) = &issue.subject {
        let _ = writeln!(out, "subject = {}", basic(subject));
    }
    let _ = write!(out, "\nintro = {}\n", multi(&issue.intro.join("\n\n")));
    if let Some(s) = &issue.sponsor {
        let _ = write!(
            out,
            "\n[sponsor]\nname = {}\ntext = {}\nurl = {}\n",
            basic(&s.name),
            multi(&s.text.join("\n\n")),
            basic(&s.url)
        );
    }
    for (key, items) in &issue.sections {
        for item in items {
            let _ = write!(out, "\n[[{key}]]\ntext = {}\n", multi(&item.text));
            out.push_str(&links(&item.links));
        }
    }
    out
}

fn links(urls: &[String]) -> String {
    let quoted: Vec<String> = urls.iter().map(|u| basic(u)).collect();
    let one = format!("links = [{}]\n", quoted.join(", "));
    if one.len() <= LINE + 1 || quoted.len() == 1 {
        return one;
    }
    let mut out = "links = [\n".to_string();
    for q in quoted {
        let _ = writeln!(out, "  {q},");
    }
    out.push_str("]\n");
    out
}

/// A comment's text on one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A basic string: `"..."` with `"`, `\` and control characters escaped.
fn basic(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A multi-line string on lines of its own. Text holding backslashes (kept
/// Markdown escapes) is written literally, `'''...'''`, so that it reads as
/// it is meant; otherwise `"""..."""`, escaping what must be.
fn multi(s: &str) -> String {
    let plain = !s.contains("'''")
        && !s.ends_with('\'')
        && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
    if s.contains('\\') && plain {
        return format!("'''\n{s}\n'''");
    }
    let mut out = String::from("\"\"\"\n");
    let mut quotes = 0;
    for c in s.chars() {
        match c {
            '"' if quotes == 2 => {
                out.push_str("\\\"");
                quotes = 0;
                continue;
            }
            '"' => {
                out.push('"');
                quotes += 1;
                continue;
            }
            '\\' => out.push_str("\\\\"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
        quotes = 0;
    }
    out.push_str("\n\"\"\"");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(toml_text: &str) -> String {
        let t: toml::Table = format!("v = {toml_text}").parse().unwrap();
        t["v"].as_str().unwrap().to_string()
    }

    #[test]
    fn strings_read_back_as_written() {
        for s in [
            "plain",
            "quotes \"\"\" and \"\" and a final \"",
            "back\\slash \\*kept\\*",
            "it's ''' three",
            "tab\tand\u{7}bell",
            "non-ASCII: café 🚀",
        ] {
            assert_eq!(value(&multi(s)), format!("{s}\n"), "{s:?}");
            assert_eq!(value(&basic(s)), s, "{s:?}");
        }
    }

    #[test]
    fn long_link_lists_go_one_a_line() {
        let short = links(&["https://a.example/".to_string()]);
        assert_eq!(short, "links = [\"https://a.example/\"]\n");
        let long: Vec<String> = (0..3)
            .map(|i| format!("https://example.org/a/rather/long/path/{i}"))
            .collect();
        assert!(links(&long).starts_with("links = [\n  \"https://example.org/"));
    }
}

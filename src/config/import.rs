//! The `[import]` table of the config: how `gazette import` reads a back
//! catalogue of Markdown issues, checked once when the config is read.
//!
//! ```toml
//! [import]
//! sponsor = "{name} sponsors {anything}"      # the heading that makes the sponsor block
//! sections = { "Events" = "events" }          # more heading titles, to section keys
//! drop = ["If you received this email*"]      # paragraphs left out (`*`: any text)
//! ```

use super::SectionDef;
use crate::diag::Diagnostic;
use crate::fields::Fields;
use toml::de::DeValue;

/// The sponsor heading when the config gives none.
pub const DEFAULT_SPONSOR: &str = "{name} sponsors {anything}";

/// The checked `[import]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// The heading that names a sponsor (default [`DEFAULT_SPONSOR`]).
    pub sponsor: Pattern,
    /// Heading titles, lower-cased, mapped to configured section keys, besides
    /// the sections' own titles (default none).
    pub sections: Vec<(String, String)>,
    /// Paragraphs that are boilerplate, never items (default none).
    pub drop: Vec<Pattern>,
}

impl Import {
    /// Reads the optional `[import]` table; `sections` are the configured ones,
    /// which the `sections` mapping must name.
    pub fn read(f: &mut Fields<'_, '_>, sections: &[SectionDef]) -> Import {
        let mut import = Import {
            sponsor: Pattern::parse(DEFAULT_SPONSOR).expect("the default pattern is valid"),
            sections: Vec::new(),
            drop: Vec::new(),
        };
        let Some((table, span)) = f.opt_table("import") else {
            return import;
        };
        let mut t = Fields::new(table, span, "the [import] table", &mut *f.diags);
        if let Some(s) = t.opt_str("sponsor") {
            match Pattern::parse(s.get_ref()) {
                Some(p) if p.has_name() => import.sponsor = p,
                _ => t.diags.push(
                    Diagnostic::error(s.span(), "`sponsor` must hold `{name}` once")
                        .with_hint(format!("for example \"{DEFAULT_SPONSOR}\"")),
                ),
            }
        }
        if let Some((map, _)) = t.opt_table("sections") {
            for (title, key) in map {
                let key_span = key.span();
                let DeValue::String(key) = key.into_inner() else {
                    let d = Diagnostic::error(key_span, "each heading maps to a section key")
                        .with_hint("write `\"Events\" = \"events\"`");
                    t.diags.push(d);
                    continue;
                };
                if sections.iter().any(|s| s.key == *key) {
                    let title = title.into_inner().to_lowercase();
                    import.sections.push((title, key.into_owned()));
                } else {
                    let keys: Vec<_> = sections.iter().map(|s| format!("`{}`", s.key)).collect();
                    let d = Diagnostic::error(key_span, format!("`{key}` is not a section key"))
                        .with_hint(format!("the configured sections are {}", keys.join(", ")));
                    t.diags.push(d);
                }
            }
        }
        if let Some(list) = t.opt_str_array("drop") {
            for p in list {
                match Pattern::parse(p.get_ref()).filter(|p| !p.has_name()) {
                    Some(pattern) => import.drop.push(pattern),
                    None => t.diags.push(Diagnostic::error(
                        p.span(),
                        "a `drop` pattern is text with `*` for any text",
                    )),
                }
            }
        }
        t.finish();
        import
    }
}

/// A pattern over one line of text: literal words, `{name}` (captured) and
/// `{anything}` or `*` (any text), matched case-insensitively with runs of
/// white space as one space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Name,
    Any,
}

impl Pattern {
    /// `None` when `{name}` appears twice or a `{...}` is unknown.
    pub fn parse(text: &str) -> Option<Pattern> {
        let text = squash(text);
        let mut parts = Vec::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let next = rest.find(['{', '*']).unwrap_or(rest.len());
            if next > 0 {
                parts.push(Part::Text(rest[..next].to_string()));
                rest = &rest[next..];
                continue;
            }
            if let Some(r) = rest.strip_prefix('*') {
                parts.push(Part::Any);
                rest = r;
            } else if let Some(r) = rest.strip_prefix("{name}") {
                parts.push(Part::Name);
                rest = r;
            } else if let Some(r) = rest.strip_prefix("{anything}") {
                parts.push(Part::Any);
                rest = r;
            } else {
                return None;
            }
        }
        (parts.iter().filter(|p| **p == Part::Name).count() <= 1).then_some(Pattern { parts })
    }

    fn has_name(&self) -> bool {
        self.parts.contains(&Part::Name)
    }

    /// Whether `text` matches; with the text `{name}` stood for (trimmed, as
    /// written), or `Some("")` when the pattern has no `{name}`.
    pub fn matches(&self, text: &str) -> Option<String> {
        let text = squash(text);
        let lower = text.to_lowercase();
        // Lower-casing may change byte lengths: compare on the lower-cased
        // text, and take the name from it only when the lengths agree.
        if !self.has_name() {
            return self.wildcard(&lower).then(String::new);
        }
        let mut name = None;
        if !self.walk(&self.parts, &lower, 0, &mut name) {
            return None;
        }
        Some(match name {
            Some((a, b)) if lower.len() == text.len() => text[a..b].trim().to_string(),
            Some((a, b)) => lower[a..b].trim().to_string(),
            None => String::new(),
        })
    }

    /// Matching without `{name}`: literals and stars, in time proportional
    /// to the text's length times the pattern's (no backtracking blow-up on
    /// long paragraphs).
    fn wildcard(&self, text: &str) -> bool {
        let mut at = 0;
        let mut star = false;
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.to_lowercase(),
                _ => String::new(),
            })
            .collect();
        let last = self.parts.len().saturating_sub(1);
        for (i, part) in self.parts.iter().enumerate() {
            let lit = &parts[i];
            match part {
                Part::Any | Part::Name => star = true,
                Part::Text(_) if i == last && star => return text[at..].ends_with(lit.as_str()),
                Part::Text(_) if i == last => return &text[at..] == lit,
                Part::Text(_) if star => match text[at..].find(lit.as_str()) {
                    Some(found) => {
                        at += found + lit.len();
                        star = false;
                    }
                    None => return false,
                },
                Part::Text(_) => match text[at..].strip_prefix(lit.as_str()) {
                    Some(_) => at += lit.len(),
                    None => return false,
                },
            }
        }
        star || at == text.len()
    }

    fn walk(
        &self,
        parts: &[Part],
        text: &str,
        at: usize,
        name: &mut Option<(usize, usize)>,
    ) -> bool {
        let Some((first, rest)) = parts.split_first() else {
            return at == text.len();
        };
        match first {
            Part::Text(t) => text[at..]
                .strip_prefix(t.to_lowercase().as_str())
                .is_some_and(|_| self.walk(rest, text, at + t.to_lowercase().len(), name)),
            Part::Name | Part::Any => {
                // Only where the next literal occurs (or the end) can this part end.
                let ends: Vec<usize> = match rest.first() {
                    Some(Part::Text(t)) => text[at..]
                        .match_indices(t.to_lowercase().as_str())
                        .map(|(i, _)| at + i)
                        .collect(),
                    _ => vec![text.len()],
                };
                for end in ends {
                    if *first == Part::Name && text[at..end].trim().is_empty() {
                        continue;
                    }
                    if self.walk(rest, text, end, name) {
                        if *first == Part::Name {
                            *name = Some((at, end));
                        }
                        return true;
                    }
                }
                false
            }
        }
    }
}

/// Runs of white space as one space, trimmed.
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sponsor_pattern_captures_the_name() {
        let p = Pattern::parse(DEFAULT_SPONSOR).unwrap();
        assert_eq!(
            p.matches("StackHawk sponsors Devops Weekly").as_deref(),
            Some("StackHawk")
        );
        assert_eq!(
            p.matches("Zoë & Co  SPONSORS   this issue").as_deref(),
            Some("Zoë & Co")
        );
        assert_eq!(p.matches("News"), None);
        assert_eq!(p.matches("sponsors everyone"), None);
        let other = Pattern::parse("Sponsored by {name}").unwrap();
        assert_eq!(
            other.matches("sponsored by Lanternfish").as_deref(),
            Some("Lanternfish")
        );
    }

    #[test]
    fn drop_patterns_take_stars() {
        let p = Pattern::parse("If you received this email*").unwrap();
        assert!(
            p.matches("If you received this\nemail directly, thanks!")
                .is_some()
        );
        assert!(p.matches("A post on moving").is_none());
        let p = Pattern::parse("*subscribe*thanks").unwrap();
        assert!(p.matches("Please SUBSCRIBE, and thanks").is_some());
        assert!(p.matches("Please subscribe, thanks!").is_none());
        assert!(Pattern::parse("exact").unwrap().matches("exact").is_some());
        assert!(
            Pattern::parse("exact")
                .unwrap()
                .matches("exactly")
                .is_none()
        );
        let long = "word ".repeat(5000);
        assert!(
            Pattern::parse("*a*b*c*d*e*f*zzz")
                .unwrap()
                .matches(&long)
                .is_none()
        );
        assert!(Pattern::parse("{name} and {name}").is_none());
        assert!(Pattern::parse("{who} sponsors").is_none());
    }
}

//! The `[[sections]]` of an issue (`news` titled "News", ...), whose keys
//! become the draft's arrays of items, so they may not clash with its own keys.

use crate::diag::Diagnostic;
use crate::fields::{self, Fields};

/// Draft keys that a section may not be named after.
pub const DRAFT_KEYS: &[&str] = &[
    "issue",
    "date",
    "subject",
    "preheader",
    "send_at",
    "intro",
    "sponsor",
    "outro",
];

/// One configured section of an issue, such as `news` titled "News".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionDef {
    pub key: String,
    pub title: String,
}

/// The sections when the config names none: News, then Tools.
pub(super) fn default_sections() -> Vec<SectionDef> {
    vec![
        SectionDef {
            key: "news".into(),
            title: "News".into(),
        },
        SectionDef {
            key: "tools".into(),
            title: "Tools".into(),
        },
    ]
}

pub(super) fn read_sections(
    value: fields::Value<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<SectionDef> {
    let mut out: Vec<SectionDef> = Vec::new();
    for (i, (table, span)) in fields::array_of_tables("sections", value, diags)
        .into_iter()
        .enumerate()
    {
        let mut f = Fields::new(table, span.clone(), format!("section {}", i + 1), diags);
        let key = f.req_str("key");
        let title = f.req_str("title");
        f.finish();
        let (Some(key), Some(title)) = (key, title) else {
            continue;
        };
        let k = key.get_ref();
        let valid = !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            diags.push(Diagnostic::error(
                key.span(),
                format!("section key `{k}` must be lower-case letters, digits and `_`"),
            ));
        } else if DRAFT_KEYS.contains(&k.as_str()) {
            diags.push(Diagnostic::error(
                key.span(),
                format!("section key `{k}` is a draft key already"),
            ));
        } else if out.iter().any(|s| &s.key == k) {
            diags.push(Diagnostic::error(
                key.span(),
                format!("section key `{k}` is listed twice"),
            ));
        } else {
            out.push(SectionDef {
                key: k.clone(),
                title: title.into_inner(),
            });
        }
    }
    out
}

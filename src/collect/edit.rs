//! Appending one item to a draft in place (toml_edit): the new `[[key]]` table
//! goes after the section's last item, and every other byte of the file stays
//! as the editor wrote it, comments and formatting included.

use toml_edit::{Array, DocumentMut, Item, Table, value};

/// The item to add.
#[derive(Debug)]
pub struct NewItem<'a> {
    pub url: &'a str,
    pub text: &'a str,
    /// Lines for a comment above the item (what the page says about itself).
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("the draft is not valid TOML ({0}); fix it with `gazette check` first")]
    Invalid(String),
    #[error("`{0}` in the draft is not a list of [[{0}]] tables; add the item by hand")]
    NotTables(String),
}

/// `draft` with `item` appended to the section `key`.
pub fn append_item(draft: &str, key: &str, item: &NewItem<'_>) -> Result<String, EditError> {
    let mut doc: DocumentMut = (draft.parse())
        .map_err(|e: toml_edit::TomlError| EditError::Invalid(e.message().to_owned()))?;
    let mut table = Table::new();
    table.insert("text", value(item.text));
    table.insert("links", value(Array::from_iter([item.url])));
    let mut prefix = String::from("\n");
    for note in &item.notes {
        // One comment line each: no line break may end the comment early.
        let line = note.split_whitespace().collect::<Vec<_>>().join(" ");
        prefix.push_str(&format!("# {line}\n"));
    }
    table.decor_mut().set_prefix(prefix);
    match doc.get_mut(key) {
        None => {
            let mut tables = toml_edit::ArrayOfTables::new();
            tables.push(table);
            doc.insert(key, Item::ArrayOfTables(tables));
        }
        Some(Item::ArrayOfTables(tables)) => tables.push(table),
        Some(_) => return Err(EditError::NotTables(key.to_owned())),
    }
    let mut out = doc.to_string();
    if !draft.ends_with('\n') && draft.len() < out.len() {
        // toml_edit keeps the file's own ending; the new table ends its line.
        out.truncate(out.trim_end_matches('\n').len());
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAFT: &str = "# my draft\nissue = 3   # the third\ndate = 2026-12-06\nintro = \"\"\"\nHi.\n\"\"\"\n\n[[news]]\ntext = 'first'  # keep me\nlinks = [ \"https://a.example/1\" ]\n\n# Tools, hand-written\n[[tools]]\ntext = \"t\"\nlinks = [\"https://a.example/t\"]\n";

    fn item<'a>(url: &'a str) -> NewItem<'a> {
        NewItem {
            url,
            text: "Write about it.",
            notes: vec!["Title: A \"page\"".into(), "multi\nline".into()],
        }
    }

    #[test]
    fn the_item_goes_after_the_sections_last_and_nothing_else_changes() {
        let out = append_item(DRAFT, "news", &item("https://b.example/2")).unwrap();
        let added = "\n# Title: A \"page\"\n# multi line\n[[news]]\ntext = \"Write about it.\"\nlinks = [\"https://b.example/2\"]\n";
        let at = DRAFT.find("\n# Tools").unwrap();
        assert_eq!(out, format!("{}{added}{}", &DRAFT[..at], &DRAFT[at..]));
    }

    #[test]
    fn a_section_without_items_gets_its_first_at_the_end() {
        let out = append_item(DRAFT, "events", &item("https://b.example/e")).unwrap();
        assert!(out.starts_with(DRAFT), "{out}");
        assert!(
            out.ends_with(
                "[[events]]\ntext = \"Write about it.\"\nlinks = [\"https://b.example/e\"]\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn broken_toml_and_a_key_that_is_no_section_are_refused() {
        assert!(matches!(
            append_item("issue = ", "news", &item("https://b.example/")),
            Err(EditError::Invalid(_))
        ));
        assert!(matches!(
            append_item("news = 3\n", "news", &item("https://b.example/")),
            Err(EditError::NotTables(_))
        ));
    }
}

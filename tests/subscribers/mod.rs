//! Integration tests: subscribers. `gazette subscribers` is run with `-C` on a
//! temporary newsletter directory holding a minimal config, so every test has
//! its own store at `data/gazette.db`. The CSV shapes import accepts are
//! files under `tests/fixtures/`.

mod import;
mod store;

use crate::support::{Newsletter, repo};
use std::path::PathBuf;

/// "Now" for every command.
const NOW: &str = "2026-12-06T09:00:00Z";
const CONFIG: &str = r#"name = "The Ops Digest"
from = "The Ops Digest <editor@opsdigest.example>"
base_url = "https://opsdigest.example"
postal_address = "1 Example Street, Springfield"
"#;

/// A newsletter directory with a minimal config and no store yet, at [`NOW`],
/// with no token secret.
fn newsletter() -> Newsletter {
    Newsletter::with_config(CONFIG).at(NOW).without_secret()
}

/// `gazette subscribers list`, which must succeed.
fn list(nl: &Newsletter) -> String {
    nl.stdout(&["subscribers", "list"])
}

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures").join(name)
}

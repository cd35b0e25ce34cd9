//! Integration tests: compose. Drafts are parsed, checked, rendered and
//! previewed by the real `gazette` binary, run with `-C` on a copy of a
//! newsletter directory: the bundled example (`config/`, `drafts/`) or the
//! fixture with awkward content (`tests/fixtures/newsletter/`).
//!
//! Rendered parts and diagnostics are pinned whole with insta; structural
//! properties (line widths, whole URLs, escaping) are asserted as well.

mod add;
mod caniemail;
mod check;
mod init;
mod new;
mod preview;
mod render;

use crate::support::Newsletter;

/// "Now" for every command, a Thursday.
const NOW: &str = "2026-11-26T10:00:00Z";
const EXAMPLE: &str = "drafts/2026-11-29-41.toml";
const HARD: &str = "drafts/2026-12-04-7.toml";

/// The bundled example, at [`NOW`], with no token secret.
fn example() -> Newsletter {
    Newsletter::example().at(NOW).without_secret()
}

/// The fixture whose draft holds the hard content, likewise.
fn fixture() -> Newsletter {
    Newsletter::fixture().at(NOW).without_secret()
}

/// `gazette check` on one bad draft beside the example: exit 2 and the full stderr.
fn check_errors(draft: &str) -> String {
    let nl = example();
    nl.write("drafts/bad.toml", draft);
    nl.stderr(&["check", "drafts/bad.toml"], 2)
}

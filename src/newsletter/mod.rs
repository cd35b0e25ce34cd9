//! The newsletter directory: `config/gazette.toml`, `drafts/*.toml` and the
//! store under `data/`. Commands, `serve` and the archive find and read drafts
//! through [`Newsletter`], and nothing else knows where they live.

mod glimpse;
mod next;

pub use glimpse::{Glimpse, glimpse_of};

use crate::config::Config;
use crate::diag::{Diagnostic, Source};
use crate::draft::{self, Draft, lint};
use crate::error::{Error, Result};
use crate::schedule::Ledger;
use crate::store::Store;
use jiff::Timestamp;
use std::path::{Path, PathBuf};

/// One newsletter: its directory and its checked config.
#[derive(Debug, Clone)]
pub struct Newsletter {
    /// The directory holding `config/`, `drafts/` and `data/`.
    pub root: PathBuf,
    pub config: Config,
}

/// A draft that parsed, with its warnings.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub draft: Draft,
    pub warnings: Vec<Diagnostic>,
}

/// A draft read from disk: its source and what parsing it gave.
pub struct Loaded {
    pub path: PathBuf,
    pub source: Source,
    pub parsed: std::result::Result<Parsed, Vec<Diagnostic>>,
}

/// A draft free of errors.
pub struct Checked {
    pub draft: Draft,
    pub warnings: Vec<Diagnostic>,
    pub source: Source,
}

impl Newsletter {
    /// Reads the config of the newsletter in `root`.
    pub fn open(root: &Path) -> Result<Newsletter> {
        Ok(Newsletter {
            root: root.to_path_buf(),
            config: Config::load(root)?,
        })
    }

    /// Reads the config again (the preview does when it is saved).
    pub fn reload(&self) -> Result<Newsletter> {
        Newsletter::open(&self.root)
    }

    /// Every `*.toml` under `drafts/`, sorted by name.
    pub fn draft_paths(&self) -> Result<Vec<PathBuf>> {
        let dir = self.config.drafts_dir();
        let mut paths = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(paths),
            Err(e) => return Err(Error::io(format!("cannot list {}", dir.display()))(e)),
        };
        for entry in entries {
            let path = entry
                .map_err(Error::io(format!("cannot list {}", dir.display())))?
                .path();
            if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        Ok(paths)
    }

    /// How a path is shown to the editor: relative to the newsletter directory.
    pub fn display(&self, path: &Path) -> String {
        let shown = path.strip_prefix(&self.root).unwrap_or(path);
        shown.to_string_lossy().trim_start_matches("./").to_string()
    }

    /// Resolves a draft named on the command line: as given, or under the
    /// newsletter directory.
    pub fn resolve(&self, arg: &Path) -> PathBuf {
        let under_root = self.root.join(arg);
        if arg.is_absolute() || (!under_root.exists() && arg.exists()) {
            arg.to_path_buf()
        } else {
            under_root
        }
    }

    /// Resolves a draft named on the command line that must exist.
    pub fn existing_draft(&self, arg: &Path) -> Result<PathBuf> {
        let path = self.resolve(arg);
        if !path.is_file() {
            return Err(Error::Input(format!("no draft at {}", path.display())));
        }
        Ok(path)
    }

    /// Reads and parses one draft.
    pub fn load(&self, path: &Path) -> Result<Loaded> {
        let (source, unreadable) = Source::read(path, self.display(path)).map_err(Error::io(
            format!("cannot read the draft {}", path.display()),
        ))?;
        let parsed = match unreadable {
            Some(d) => Err(vec![d]),
            None => draft::parse(&source, &self.config)
                .map(|(draft, warnings)| Parsed { draft, warnings }),
        };
        Ok(Loaded {
            path: path.to_path_buf(),
            source,
            parsed,
        })
    }

    /// Every draft in `drafts/`, read and parsed.
    pub fn load_all(&self) -> Result<Vec<Loaded>> {
        self.draft_paths()?.iter().map(|p| self.load(p)).collect()
    }

    /// Reads one draft that must be free of errors.
    pub fn load_ok(&self, path: &Path) -> Result<Checked> {
        let loaded = self.load(path)?;
        match loaded.parsed {
            Ok(Parsed { draft, warnings }) => Ok(Checked {
                draft,
                warnings,
                source: loaded.source,
            }),
            Err(diags) => Err(Error::Diagnostics {
                file: loaded.source,
                diags,
            }),
        }
    }

    /// The store, created if it does not exist yet, with the config's list
    /// id remembered among the list's identities (tokens made under it stay
    /// valid after a rename).
    pub fn store(&self) -> Result<Store> {
        let mut store = Store::open(&self.config.database)?;
        store.remember_list_id(&self.config.list_id, crate::clock::now()?.as_second())?;
        Ok(store)
    }

    /// The store opened only to read it, for commands that never write: no
    /// file is created, and a data directory that is not writable will do.
    /// Where there is no store yet, an empty one in memory stands in.
    pub fn reader(&self) -> Result<Store> {
        if self.config.database.exists() {
            Store::open_read_only(&self.config.database)
        } else {
            Store::open_in_memory()
        }
    }

    /// The store, if it exists; never creates one.
    pub fn existing_store(&self) -> Result<Option<Store>> {
        if self.config.database.exists() {
            self.store().map(Some)
        } else {
            Ok(None)
        }
    }

    /// A draft's errors, or its warnings including those that need the other
    /// drafts (links featured before), the rendered size and the ledger.
    pub fn findings(
        &self,
        loaded: &Loaded,
        others: &[&Draft],
        now: Option<Timestamp>,
    ) -> Vec<Diagnostic> {
        let Parsed { draft, warnings } = match &loaded.parsed {
            Err(diags) => return diags.clone(),
            Ok(parsed) => parsed,
        };
        let mut diags = warnings.clone();
        lint::earlier_links(draft, others, &mut diags);
        lint::placeholders(&loaded.source.text, draft, &mut diags);
        let rendered = crate::render::render(draft, &self.config);
        lint::html_size(crate::render::encoded_html_size(&rendered.html), &mut diags);
        if let Some(now) = now {
            let store = self.reader().ok();
            let ledger = ledger_state(store.as_ref(), draft.issue).unwrap_or(Ledger::NotStarted);
            lint::send_at(draft, ledger != Ledger::NotStarted, now, &mut diags);
        }
        diags.sort_by_key(|d| d.span.start);
        diags
    }

    /// The config's warnings (stand-ins `gazette init` wrote that are left), with
    /// its text to show them against. The config was read and checked at open.
    pub fn config_findings(&self) -> Result<(Source, Vec<Diagnostic>)> {
        let path = self.root.join(crate::config::CONFIG_PATH);
        let (source, _) = Source::read(&path, crate::config::CONFIG_PATH).map_err(Error::io(
            format!("cannot read the config {}", path.display()),
        ))?;
        let mut diags = crate::config::skeleton::placeholders(&source);
        if let Some(w) = &self.config.welcome {
            let found = draft::markdown_blocks(&w.text, w.text_span.clone(), &source.text, "text");
            diags.extend(found.err().unwrap_or_default());
        }
        Ok((source, diags))
    }

    /// `send_at` of a draft that has errors elsewhere, if it can be read at all.
    pub fn lenient_send_at(&self, loaded: &Loaded) -> Option<Timestamp> {
        let table = crate::fields::parse(&loaded.source.text).ok()?.into_inner();
        let (_, value) = table.iter().find(|(k, _)| k.get_ref() == "send_at")?;
        let dt = value.get_ref().as_datetime()?;
        let text = dt.to_string();
        if let Ok(ts) = text.parse::<Timestamp>() {
            return Some(ts);
        }
        let civil: jiff::civil::DateTime = text.parse().ok()?;
        self.config
            .timezone
            .to_ambiguous_timestamp(civil)
            .unambiguous()
            .ok()
    }
}

/// What the ledger says of `issue`'s list send (no store: not started).
pub fn ledger_state(store: Option<&Store>, issue: u32) -> Result<Ledger> {
    let Some(store) = store else {
        return Ok(Ledger::NotStarted);
    };
    Ok(match store.send_record(issue)? {
        None => Ledger::NotStarted,
        Some(r) if r.completed.is_some() => Ledger::Complete,
        Some(_) if store.state_counts(issue)?.remaining() == 0 => Ledger::Complete,
        Some(_) => Ledger::Incomplete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The repository's example newsletter, copied, with `draft` as issue 41.
    fn newsletter_with(draft: &[u8]) -> (tempfile::TempDir, Newsletter, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        std::fs::create_dir_all(dir.path().join("drafts")).unwrap();
        std::fs::copy(
            repo.join("config/gazette.toml"),
            dir.path().join("config/gazette.toml"),
        )
        .unwrap();
        let path = dir.path().join("drafts/2026-11-29-41.toml");
        std::fs::write(&path, draft).unwrap();
        let n = Newsletter::open(dir.path()).unwrap();
        (dir, n, path)
    }

    fn first_error(n: &Newsletter, path: &Path) -> String {
        let loaded = n.load(path).unwrap();
        let diags = loaded.parsed.expect_err("an error");
        diags[0].display(&loaded.source).to_string()
    }

    #[test]
    fn a_draft_that_is_not_utf8_is_a_located_error() {
        let (_dir, n, path) = newsletter_with(b"issue = 41\nintro = \"caf\xe9\"\n");
        let shown = first_error(&n, &path);
        assert!(
            shown.starts_with(
                "gazette: error: drafts/2026-11-29-41.toml:2:13: the file is not valid UTF-8 here"
            ),
            "{shown}"
        );
    }

    #[test]
    fn a_draft_over_the_limit_is_a_located_error() {
        let mut big = b"issue = 41\nintro = \"\"\"\n".to_vec();
        big.resize(crate::diag::MAX_SOURCE_BYTES as usize + 10, b'x');
        let (_dir, n, path) = newsletter_with(&big);
        let shown = first_error(&n, &path);
        assert!(
            shown.contains("the file is larger than 1024 KiB, the most gazette reads"),
            "{shown}"
        );
    }

    #[test]
    fn a_draft_with_cr_cr_lf_is_a_located_error() {
        let (_dir, n, path) = newsletter_with(b"issue = 41\r\r\ndate = 2026-11-29\n");
        let shown = first_error(&n, &path);
        assert!(
            shown.starts_with("gazette: error: drafts/2026-11-29-41.toml:1:12: invalid TOML"),
            "{shown}"
        );
    }

    #[test]
    fn two_drafts_of_one_issue_are_refused_naming_both() {
        let (dir, n, path) = newsletter_with(b"issue = 41\ndate = 2026-11-29\n");
        assert!(n.check_unique(41, &path).is_ok());
        let second = dir.path().join("drafts/2026-12-06-41.toml");
        // Even a second draft with errors elsewhere counts.
        std::fs::write(&second, b"issue = 41\ndate = 2026-12-06\nbogus = 1\n").unwrap();
        let err = n.check_unique(41, &path).unwrap_err().to_string();
        assert_eq!(
            err,
            "drafts/2026-11-29-41.toml and drafts/2026-12-06-41.toml are both issue #41: \
             give one of them another `issue` number"
        );
        assert!(n.check_unique(42, &path).is_ok());
        let g = n.glimpses().unwrap();
        assert_eq!(
            g.iter().map(|g| g.issue).collect::<Vec<_>>(),
            [Some(41), Some(41)]
        );
        assert_eq!(g[1].date, Some(jiff::civil::date(2026, 12, 6)));
        assert_eq!(g[0].issue_span, 0..5);
    }
}

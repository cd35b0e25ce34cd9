//! The commands: each takes the parsed command line and does one job.
//!
//! This module also holds what several commands share: finding the newsletter
//! directory, its config and its drafts.

pub mod check;
pub mod dkim;
pub mod due;
pub mod new;
pub mod preview;
pub mod render;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod status;
pub mod subscribers;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::diag::{Diagnostic, Source};
use crate::draft::{self, Draft};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Runs one command line; returns the exit code on success.
pub fn run(cli: Cli) -> Result<u8> {
    let root = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    match cli.command {
        Command::New(args) => new::run(&root, args),
        Command::Check(args) => check::run(&root, args),
        Command::Render(args) => render::run(&root, args),
        Command::Preview(args) => preview::run(&root, args),
        Command::Subscribers(args) => subscribers::run(&root, args),
        Command::Send(args) => send::run(&root, args),
        Command::Status(args) => status::run(&root, args),
        Command::Schedule => schedule::run(&root),
        Command::Serve(args) => serve::run(&root, args),
        Command::Archive(args) => serve::archive(&root, args),
        Command::Dkim(crate::cli::DkimCommand::Keygen(args)) => dkim::keygen(&root, args),
    }
}

/// A draft read from disk: its source and what parsing it gave.
pub struct Loaded {
    pub path: PathBuf,
    pub source: Source,
    pub parsed: std::result::Result<(Draft, Vec<Diagnostic>), Vec<Diagnostic>>,
}

/// Every `*.toml` under `drafts/`, sorted by name.
pub fn draft_paths(config: &Config) -> Result<Vec<PathBuf>> {
    let dir = config.drafts_dir();
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
pub fn display_path(root: &Path, path: &Path) -> String {
    let shown = path.strip_prefix(root).unwrap_or(path);
    shown.to_string_lossy().trim_start_matches("./").to_string()
}

/// Resolves a draft argument: as given, or under the newsletter directory.
pub fn resolve_draft(root: &Path, arg: &Path) -> PathBuf {
    let under_root = root.join(arg);
    if arg.is_absolute() || (!under_root.exists() && arg.exists()) {
        arg.to_path_buf()
    } else {
        under_root
    }
}

/// Reads and parses one draft.
pub fn load(config: &Config, path: &Path) -> Result<Loaded> {
    let text = std::fs::read_to_string(path).map_err(Error::io(format!(
        "cannot read the draft {}",
        path.display()
    )))?;
    let source = Source::new(display_path(&config.root, path), text);
    let parsed = draft::parse(&source, config);
    Ok(Loaded {
        path: path.to_path_buf(),
        source,
        parsed,
    })
}

/// Reads one draft that must be free of errors; returns it with its warnings.
pub fn load_ok(config: &Config, path: &Path) -> Result<(Draft, Vec<Diagnostic>, Source)> {
    let loaded = load(config, path)?;
    match loaded.parsed {
        Ok((draft, warnings)) => Ok((draft, warnings, loaded.source)),
        Err(diags) => Err(Error::Diagnostics {
            file: loaded.source,
            diags,
        }),
    }
}

/// Writes `bytes` to `path`, or to stdout when there is no path.
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    match path {
        Some(p) => {
            std::fs::write(p, bytes).map_err(Error::io(format!("cannot write {}", p.display())))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(Error::io("cannot write to standard output"))
        }
    }
}

//! Importing many files at once: each is read, the closing paragraph most of
//! them share is found and left out, and each issue becomes a draft in
//! `drafts/` and a published issue in the store. One file's problems never
//! stop the others.

use super::{Scanned, draft_toml};
use crate::diag::{Diagnostic, Source};
use crate::draft;
use crate::error::{Error, Result};
use crate::newsletter::Newsletter;
use crate::store::Store;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// What the command line asks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Write nothing; say what would be written.
    pub dry_run: bool,
    /// Replace a different existing draft of the same issue.
    pub force: bool,
}

/// What became of one file.
#[derive(Debug)]
pub enum Outcome {
    /// The draft was written (over `replaced`, a different draft, with `--force`)
    /// and the issue recorded as published.
    Imported {
        issue: u32,
        draft: PathBuf,
        replaced: bool,
    },
    /// A dry run: this draft would be written.
    WouldImport {
        issue: u32,
        draft: PathBuf,
        toml: String,
    },
    /// The draft it would write is there already, and the store has the issue.
    Unchanged { issue: u32, draft: PathBuf },
    /// Errors in the file (or, should it ever happen, in the draft made of it).
    Invalid {
        source: Source,
        diags: Vec<Diagnostic>,
    },
    /// Not imported for a reason outside the file (another draft, the store).
    Refused(String),
}

impl Outcome {
    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Invalid { .. } | Outcome::Refused(_))
    }
}

/// One file and what became of it.
#[derive(Debug)]
pub struct FileOutcome {
    pub path: PathBuf,
    /// How the file is named in messages.
    pub name: String,
    pub outcome: Outcome,
}

/// Every file's outcome, and the boilerplate left out (its text, in how many files).
#[derive(Debug, Default)]
pub struct Batch {
    pub files: Vec<FileOutcome>,
    pub dropped: Vec<(String, usize)>,
}

/// The Markdown files `args` name: files as given, directories' `*.md`, sorted.
pub fn expand(args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for arg in args {
        if arg.is_dir() {
            let mut found = Vec::new();
            let list = std::fs::read_dir(arg)
                .map_err(Error::io(format!("cannot list {}", arg.display())))?;
            for entry in list {
                let path = entry
                    .map_err(Error::io(format!("cannot list {}", arg.display())))?
                    .path();
                if path.extension().is_some_and(|e| e == "md") && path.is_file() {
                    found.push(path);
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(arg.clone());
        }
    }
    Ok(out)
}

/// Imports `files` into the newsletter at `now` (Unix seconds).
pub fn import(n: &Newsletter, files: &[PathBuf], options: Options, now: i64) -> Result<Batch> {
    let config = &n.config;
    let mut batch = Batch::default();
    let mut scanned = Vec::new();
    for path in files {
        let name = path.to_string_lossy().into_owned();
        let outcome = match Source::read(path, name.clone()) {
            Err(e) => Err(Outcome::Refused(format!("cannot read {name}: {e}"))),
            Ok((source, Some(d))) => Err(Outcome::Invalid {
                source,
                diags: vec![d],
            }),
            Ok((source, None)) => match Scanned::read(&source) {
                Ok(s) => Ok((source, s)),
                Err(diags) => Err(Outcome::Invalid { source, diags }),
            },
        };
        match outcome {
            Ok(ok) => scanned.push((path.clone(), name, ok)),
            Err(outcome) => batch.files.push(FileOutcome {
                path: path.clone(),
                name,
                outcome,
            }),
        }
    }
    // The closing paragraph that most files end with is boilerplate.
    // Of the files that end with a paragraph (not an item's links), most end
    // with this one.
    let mut closings: HashMap<String, usize> = HashMap::new();
    let mut ending_in_a_paragraph = 0;
    for (_, _, (_, s)) in &scanned {
        if let Some(c) = s.closing() {
            *closings.entry(c).or_default() += 1;
            ending_in_a_paragraph += 1;
        }
    }
    let footers: HashSet<String> = closings
        .into_iter()
        .filter(|(_, count)| count * 2 > ending_in_a_paragraph)
        .map(|(text, _)| text)
        .collect();

    let mut drafts: HashMap<u32, Vec<PathBuf>> = HashMap::new();
    for g in n.glimpses()? {
        if let Some(issue) = g.issue {
            drafts.entry(issue).or_default().push(g.path);
        }
    }
    let mut store = if options.dry_run {
        n.existing_store()?
    } else {
        Some(n.store()?)
    };
    let mut seen: HashMap<u32, String> = HashMap::new();
    let mut dropped: Vec<(String, usize)> = Vec::new();
    for (path, name, (source, s)) in scanned {
        let outcome = match s.issue(config, &footers) {
            Err(diags) => Outcome::Invalid { source, diags },
            Ok((issue, left_out)) => {
                let outcome = if let Some(other) = seen.get(&issue.number) {
                    Outcome::Refused(format!(
                        "{name} and {other} are both issue #{}: only the first was imported",
                        issue.number
                    ))
                } else {
                    seen.insert(issue.number, name.clone());
                    one(n, &issue, &name, &mut drafts, store.as_mut(), options, now)?
                };
                // Said of the drafts written (or that a dry run would write).
                if matches!(
                    outcome,
                    Outcome::Imported { .. } | Outcome::WouldImport { .. }
                ) {
                    for text in left_out {
                        match dropped.iter_mut().find(|(t, _)| *t == text) {
                            Some((_, count)) => *count += 1,
                            None => dropped.push((text, 1)),
                        }
                    }
                }
                outcome
            }
        };
        batch.files.push(FileOutcome {
            path,
            name,
            outcome,
        });
    }
    batch.files.sort_by(|a, b| a.path.cmp(&b.path));
    batch.dropped = dropped;
    Ok(batch)
}

/// Writes one issue's draft and records it, unless something stands in the way.
fn one(
    n: &Newsletter,
    issue: &super::Issue,
    name: &str,
    drafts: &mut HashMap<u32, Vec<PathBuf>>,
    store: Option<&mut Store>,
    options: Options,
    now: i64,
) -> Result<Outcome> {
    let config = &n.config;
    let number = issue.number;
    let toml = draft_toml(issue, &file_name(name));
    let canonical = config
        .drafts_dir()
        .join(format!("{}-{number}.toml", issue.date));
    // Check the draft as `gazette check` will: it must parse.
    let shown = n.display(&canonical);
    let parsed = match draft::parse(&Source::new(shown, toml.clone()), config) {
        Ok((d, _)) => d,
        Err(diags) => {
            return Ok(Outcome::Invalid {
                source: Source::new(
                    format!("{} (made from {name})", n.display(&canonical)),
                    toml,
                ),
                diags,
            });
        }
    };
    let existing = drafts.get(&number).cloned().unwrap_or_default();
    let same = existing
        .iter()
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t == toml))
        .cloned();
    let (target, replaced) = match (&same, existing.first()) {
        (Some(p), _) => (p.clone(), false),
        (None, Some(other)) if !options.force => {
            return Ok(Outcome::Refused(format!(
                "{} is a different draft of issue #{number}, so {name} was not imported \
                 (`gazette import --force` replaces the draft)",
                n.display(other)
            )));
        }
        (None, Some(other)) => (other.clone(), true),
        (None, None) if canonical.exists() => {
            if !options.force {
                return Ok(Outcome::Refused(format!(
                    "{} exists and is not issue #{number}, so {name} was not imported \
                     (`gazette import --force` replaces it)",
                    n.display(&canonical)
                )));
            }
            (canonical.clone(), true)
        }
        (None, None) => (canonical.clone(), false),
    };
    let published = issue.published.as_second();
    if let Some(store) = &store {
        let record = store.send_record(number)?;
        let imported = store.imported(number)?;
        if record.is_some() && imported.is_none() {
            return Ok(Outcome::Refused(format!(
                "issue #{number} was sent by gazette (the store has its send), so {name} was not imported"
            )));
        }
        let recorded =
            record.is_some_and(|r| r.subject == parsed.subject && r.started == published);
        if same.is_some() && recorded {
            return Ok(Outcome::Unchanged {
                issue: number,
                draft: target,
            });
        }
    }
    if options.dry_run {
        return Ok(Outcome::WouldImport {
            issue: number,
            draft: target,
            toml,
        });
    }
    if same.is_none() {
        crate::files::write_atomically(&target, &toml)?;
        drafts.insert(number, vec![target.clone()]);
    }
    if let Some(store) = store {
        store.record_import(number, &parsed.subject, published, name, now)?;
    }
    Ok(Outcome::Imported {
        issue: number,
        draft: target,
        replaced,
    })
}

/// The file name alone, for the draft's comment.
fn file_name(name: &str) -> String {
    Path::new(name)
        .file_name()
        .map_or_else(|| name.to_string(), |f| f.to_string_lossy().into_owned())
}

//! `gazette import`: past issues from Markdown into drafts and the store; a
//! line per file, the boilerplate left out said once, and a summary.

use crate::catalogue::{self, Batch, FileOutcome, Options, Outcome};
use crate::cli::ImportArgs;
use crate::clock;
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::newsletter::Newsletter;

pub fn run(n: &Newsletter, args: ImportArgs) -> Result<ExitStatus> {
    let files: Vec<_> = args.files.iter().map(|f| n.resolve(f)).collect();
    let files = catalogue::batch::expand(&files)?;
    let options = Options {
        dry_run: args.dry_run,
        force: args.force,
    };
    let batch = catalogue::batch::import(n, &files, options, clock::now()?.as_second())?;
    for file in &batch.files {
        report(n, file, args.dry_run && !args.json)?;
    }
    let failed = batch.files.iter().filter(|f| f.outcome.failed()).count();
    summary(&batch, failed, args.dry_run);
    if args.json {
        outln!("{}", json(n, &batch, args.dry_run))?;
    }
    Ok(if failed > 0 {
        ExitStatus::Usage
    } else {
        ExitStatus::Ok
    })
}

/// The line for one file (and its errors), on stderr; a dry run's draft on stdout.
fn report(n: &Newsletter, file: &FileOutcome, print_toml: bool) -> Result<()> {
    let name = &file.name;
    match &file.outcome {
        Outcome::Imported {
            issue,
            draft,
            replaced,
        } => {
            let how = if *replaced { ", replacing it" } else { "" };
            eprintln!(
                "gazette: {name}: imported issue #{issue} as {}{how}",
                n.display(draft)
            );
        }
        Outcome::WouldImport { issue, draft, toml } => {
            eprintln!(
                "gazette: {name}: would import issue #{issue} as {}",
                n.display(draft)
            );
            if print_toml {
                outln!("# {}\n{toml}", n.display(draft))?;
            }
        }
        Outcome::Unchanged { issue, draft } => {
            eprintln!(
                "gazette: {name}: unchanged (issue #{issue}, {})",
                n.display(draft)
            );
        }
        Outcome::Invalid { source, diags } => {
            for d in diags {
                eprint!("{}", d.display(source));
            }
            let errors = diags.iter().filter(|d| d.is_error()).count();
            let s = if errors == 1 { "" } else { "s" };
            eprintln!("gazette: {name}: not imported ({errors} error{s})");
        }
        Outcome::Refused(why) => eprintln!("gazette: error: {why}"),
    }
    Ok(())
}

fn summary(batch: &Batch, failed: usize, dry_run: bool) {
    for (text, count) in &batch.dropped {
        let s = if *count == 1 { "" } else { "s" };
        eprintln!(
            "gazette: left out the closing paragraph \"{}\" ({count} file{s})",
            abridged(text)
        );
    }
    let count = |f: fn(&Outcome) -> bool| batch.files.iter().filter(|x| f(&x.outcome)).count();
    let imported = count(|o| matches!(o, Outcome::Imported { .. } | Outcome::WouldImport { .. }));
    let unchanged = count(|o| matches!(o, Outcome::Unchanged { .. }));
    let verb = if dry_run { "would import" } else { "imported" };
    let tail = if dry_run { "; nothing was written" } else { "" };
    eprintln!(
        "gazette: {} file{}: {verb} {imported}, unchanged {unchanged}, not imported {failed}{tail}",
        batch.files.len(),
        if batch.files.len() == 1 { "" } else { "s" }
    );
}

/// The first 60 characters of a paragraph, for the summary.
fn abridged(text: &str) -> String {
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    out
}

fn json(n: &Newsletter, batch: &Batch, dry_run: bool) -> serde_json::Value {
    let files: Vec<serde_json::Value> = batch
        .files
        .iter()
        .map(|f| {
            let mut v = serde_json::json!({ "file": f.name });
            match &f.outcome {
                Outcome::Imported {
                    issue,
                    draft,
                    replaced,
                } => {
                    v["status"] = "imported".into();
                    v["issue"] = (*issue).into();
                    v["draft"] = n.display(draft).into();
                    v["replaced"] = (*replaced).into();
                }
                Outcome::WouldImport { issue, draft, toml } => {
                    v["status"] = "would import".into();
                    v["issue"] = (*issue).into();
                    v["draft"] = n.display(draft).into();
                    v["toml"] = toml.as_str().into();
                }
                Outcome::Unchanged { issue, draft } => {
                    v["status"] = "unchanged".into();
                    v["issue"] = (*issue).into();
                    v["draft"] = n.display(draft).into();
                }
                Outcome::Invalid { source, diags } => {
                    v["status"] = "failed".into();
                    v["errors"] = diags
                        .iter()
                        .map(|d| {
                            let (line, col) = source.line_col(d.span.start);
                            serde_json::json!({
                                "file": source.name, "line": line, "column": col,
                                "message": d.message, "hint": d.hint,
                            })
                        })
                        .collect();
                }
                Outcome::Refused(why) => {
                    v["status"] = "failed".into();
                    v["errors"] = serde_json::json!([{ "message": why }]);
                }
            }
            v
        })
        .collect();
    let dropped: Vec<_> = batch
        .dropped
        .iter()
        .map(|(text, files)| serde_json::json!({ "text": text, "files": files }))
        .collect();
    serde_json::json!({ "dry_run": dry_run, "files": files, "left_out": dropped })
}

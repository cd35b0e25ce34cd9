//! `gazette check`: every error and warning of some drafts, pointing at the text.

use crate::cli::CheckArgs;
use crate::diag::Diagnostic;
use crate::draft::Draft;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::newsletter::{Glimpse, Loaded, Newsletter, glimpse_of};
use crate::store::bounces::COMPLAINT_WARNING;

pub fn run(n: &Newsletter, args: CheckArgs) -> Result<ExitStatus> {
    let config = &n.config;
    let all: Vec<Loaded> = n.load_all()?;
    // Every draft is read once: those named are read on their own only when
    // they were named (they may lie outside drafts/).
    let named: Vec<Loaded> = (args.drafts.iter())
        .map(|p| n.load(&n.existing_draft(p)?))
        .collect::<Result<_>>()?;
    let chosen: Vec<&Loaded> = if args.drafts.is_empty() {
        all.iter().collect()
    } else {
        named.iter().collect()
    };
    if chosen.is_empty() {
        return Err(Error::Input(format!(
            "no drafts in {}",
            config.drafts_dir().display()
        )));
    }
    let others: Vec<&Draft> = all
        .iter()
        .filter_map(|l| l.parsed.as_ref().ok().map(|p| &p.draft))
        .collect();
    let now = crate::clock::now().ok();

    let (mut errors, mut warnings) = (0, 0);
    let mut findings = Vec::new();
    let glimpses: Vec<Glimpse> = all.iter().map(glimpse_of).collect();
    for &loaded in &chosen {
        let mut diags = n.findings(loaded, &others, now);
        diags.extend(same_issue(n, loaded, &glimpses));
        for d in &diags {
            eprint!("{}", d.display(&loaded.source));
            findings.push(finding(&loaded.source, d));
        }
        errors += diags.iter().filter(|d| d.is_error()).count();
        warnings += diags.iter().filter(|d| !d.is_error()).count();
    }
    let (config, diags) = n.config_findings()?;
    for d in &diags {
        eprint!("{}", d.display(&config));
        findings.push(finding(&config, d));
    }
    errors += diags.iter().filter(|d| d.is_error()).count();
    warnings += diags.iter().filter(|d| !d.is_error()).count();
    if let Some(warning) = complaint_warning(n)? {
        eprintln!("gazette: warning: {warning}\n  hint: {COMPLAINT_HINT}");
        warnings += 1;
        findings.push(serde_json::json!({
            "file": null, "line": null, "column": null, "severity": "warning",
            "message": warning, "hint": COMPLAINT_HINT,
        }));
    }
    let drafts = chosen.len();
    if args.json {
        let value = serde_json::json!({
            "drafts": drafts, "errors": errors, "warnings": warnings, "findings": findings,
        });
        outln!("{value}")?;
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    eprintln!(
        "checked {}: {}, {}",
        plural(drafts, "draft"),
        plural(errors, "error"),
        plural(warnings, "warning")
    );
    Ok(if errors > 0 {
        ExitStatus::Usage
    } else if warnings > 0 && args.deny_warnings {
        ExitStatus::Warnings
    } else {
        ExitStatus::Ok
    })
}

const COMPLAINT_HINT: &str = "Gmail and Yahoo want complaints under 0.3%: before the next send, \
    check that everyone on the list asked to be, and that the unsubscribe link is easy to find";

/// A warning when the latest issue sent drew complaints from over 0.1% of
/// those it was sent to (`gazette bounces` records them).
fn complaint_warning(n: &Newsletter) -> Result<Option<String>> {
    if !n.config.database.exists() {
        return Ok(None);
    }
    let Some((issue, complaints, sent)) = n.reader()?.latest_complaints()? else {
        return Ok(None);
    };
    let rate = complaints as f64 / sent as f64;
    Ok((rate > COMPLAINT_WARNING).then(|| {
        format!(
            "issue #{issue}, the latest sent, drew {complaints} complaint{} from {sent} sent ({:.2}%), over 0.1%",
            if complaints == 1 { "" } else { "s" },
            rate * 100.0
        )
    }))
}

/// An error when another draft has the same issue number, naming it.
fn same_issue(n: &Newsletter, loaded: &Loaded, glimpses: &[Glimpse]) -> Option<Diagnostic> {
    let me = glimpses.iter().find(|g| g.path == loaded.path)?;
    let issue = me.issue?;
    let other = glimpses
        .iter()
        .find(|g| g.issue == Some(issue) && g.path != loaded.path)?;
    Some(
        Diagnostic::error(
            me.issue_span.clone(),
            format!("{} is issue #{issue} too", n.display(&other.path)),
        )
        .with_hint("each issue has one draft: give one of them another `issue` number"),
    )
}

/// One finding as `--json` gives it: where (1-based line and column), how bad, what.
fn finding(source: &crate::diag::Source, d: &Diagnostic) -> serde_json::Value {
    let (line, column) = source.line_col(d.span.start);
    serde_json::json!({
        "file": source.name, "line": line, "column": column,
        "severity": if d.is_error() { "error" } else { "warning" },
        "message": d.message, "hint": d.hint,
    })
}

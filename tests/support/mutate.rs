//! Mutation testing: seeded mutations of valid files, each run in-process on a
//! thread of its own with a small stack and a time limit.
//!
//! A case fails when its check returns an error (an error without a location),
//! panics, or takes longer than [`TIME_LIMIT`]; a stack overflow aborts the
//! whole test binary, which fails the test too. Before each case runs, its
//! input is written to `target/tmp/mutation/WHAT-now.bin`, so even an abort
//! leaves the input behind; each failing input is kept as
//! `WHAT-case-N.bin`. The seed is fixed ([`SEED`], or `GAZETTE_MUTATION_SEED`
//! to explore), so `GAZETTE_MUTATION_CASE=N` reruns case N alone.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The seed of every mutation test: issue 10, which asked for them.
pub const SEED: u64 = 10;

/// The stack a case runs on: Rust's default for spawned threads and tokio's
/// for its workers, where `serve` parses drafts. Smaller than the main thread's.
pub const STACK: usize = 2 * 1024 * 1024;

/// The longest one case may take (an unoptimised build, two busy cores).
pub const TIME_LIMIT: Duration = Duration::from_secs(20);

/// What a check says about one input: `Err` names what is wrong.
pub type Check = Arc<dyn Fn(&[u8]) -> Result<(), String> + Send + Sync>;

/// Extreme values for numeric keys: what issue 10 found breaking timings.
const NUMBERS: &[&str] = &[
    "1e20",
    "1e-300",
    "1e19",
    "1e308",
    "-1e308",
    "5e-324",
    "-0.0",
    "0",
    "-1",
    "nan",
    "inf",
    "-inf",
    "+inf",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999",
    "0x7fffffffffffffff",
    "0.000000001",
    "1_000_000_000_000",
    "4294967296",
    "65536",
];

/// Bytes that are not UTF-8 on their own.
const INVALID_UTF8: &[&[u8]] = &[
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc0\xaf",
    b"\x80",
];

/// Line ends that editors, Windows and old Macs write, and some no one does.
const LINE_ENDS: &[&[u8]] = &[b"\r\r\n", b"\r", b"\r\n", b"\n\r", b"\n\n", b"\r\r"];

/// Seeded mutations of some valid inputs.
pub struct Mutator {
    rng: StdRng,
    seeds: Vec<Vec<u8>>,
    /// Valid lines of the seeds and other pieces, spliced in anywhere.
    fragments: Vec<Vec<u8>>,
    /// The sizes "very large" grows an input to.
    large: std::ops::Range<usize>,
}

impl Mutator {
    /// Mutations of `seeds`, splicing in their lines and `extra` fragments;
    /// about one case in 150 is grown to a size in `large`.
    pub fn new(
        seed: u64,
        seeds: &[&[u8]],
        extra: &[&str],
        large: std::ops::Range<usize>,
    ) -> Mutator {
        let mut fragments: Vec<Vec<u8>> = seeds
            .iter()
            .flat_map(|s| s.split_inclusive(|&b| b == b'\n'))
            .map(<[u8]>::to_vec)
            .collect();
        fragments.extend(extra.iter().map(|f| f.as_bytes().to_vec()));
        Mutator {
            rng: StdRng::seed_from_u64(seed),
            seeds: seeds.iter().map(|s| s.to_vec()).collect(),
            fragments,
            large,
        }
    }

    /// The next case: a seed with one to four mutations, and their names.
    pub fn next_case(&mut self) -> (Vec<u8>, Vec<&'static str>) {
        let mut bytes = self.seeds[self.rng.random_range(0..self.seeds.len())].clone();
        let count = self.rng.random_range(1..=4);
        let names = (0..count).map(|_| self.mutate(&mut bytes)).collect();
        (bytes, names)
    }

    /// Applies one mutation, returning its name.
    fn mutate(&mut self, b: &mut Vec<u8>) -> &'static str {
        let rng = &mut self.rng;
        let at = |rng: &mut StdRng, b: &Vec<u8>| rng.random_range(0..=b.len());
        // Growing is slow in an unoptimised build: kept rare.
        let kind = match rng.random_range(0..400) {
            0 => 11,
            n => [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15][n % 15],
        };
        match kind {
            0 => {
                if !b.is_empty() {
                    let i = rng.random_range(0..b.len());
                    b[i] = if rng.random_bool(0.5) {
                        b[i] ^ (1 << rng.random_range(0..8))
                    } else {
                        rng.random()
                    };
                }
                "flip a byte"
            }
            1 => {
                let start = at(rng, b);
                let end = (start + rng.random_range(1..=64)).min(b.len());
                b.drain(start..end);
                "delete a run"
            }
            2 => {
                let start = at(rng, b);
                let end = (start + rng.random_range(1..=200)).min(b.len());
                let copy = b[start..end].to_vec();
                b.splice(end..end, copy);
                "duplicate a run"
            }
            3 => {
                let len = at(rng, b);
                b.truncate(len);
                "truncate"
            }
            4 => {
                let end = LINE_ENDS[rng.random_range(0..LINE_ENDS.len())];
                let all = rng.random_bool(0.5);
                *b = replace_newlines(b, end, all, rng);
                if all { "all line ends" } else { "one line end" }
            }
            5 => {
                b.splice(0..0, *b"\xef\xbb\xbf");
                "byte-order mark"
            }
            6 => {
                let bad = INVALID_UTF8[rng.random_range(0..INVALID_UTF8.len())];
                let i = at(rng, b);
                b.splice(i..i, bad.iter().copied());
                "invalid UTF-8"
            }
            7 | 8 => {
                let number = NUMBERS[rng.random_range(0..NUMBERS.len())];
                replace_number(b, number.as_bytes(), rng);
                "extreme number"
            }
            9 | 10 => {
                let deep = deep_nesting(rng);
                // Inside a string most of the time, where Markdown is read.
                let quotes: Vec<usize> = (0..b.len()).filter(|&i| b[i] == b'"').collect();
                let i = match quotes.is_empty() || rng.random_bool(0.2) {
                    true => at(rng, b),
                    false => quotes[rng.random_range(0..quotes.len())] + 1,
                };
                b.splice(i..i, deep);
                "deep nesting"
            }
            11 => {
                let target = rng.random_range(self.large.clone());
                let start = at(rng, b);
                let end = (start + rng.random_range(1..=80)).min(b.len());
                let piece = b[start..end].to_vec();
                if !piece.is_empty() {
                    let times = target / piece.len();
                    let big: Vec<u8> = piece
                        .iter()
                        .copied()
                        .cycle()
                        .take(piece.len() * times)
                        .collect();
                    b.splice(end..end, big);
                }
                "very large"
            }
            12..=14 => {
                let piece = self.fragments[rng.random_range(0..self.fragments.len())].clone();
                let starts: Vec<usize> = std::iter::once(0)
                    .chain((0..b.len()).filter(|&i| b[i] == b'\n').map(|i| i + 1))
                    .collect();
                let i = match rng.random_bool(0.8) {
                    true => starts[rng.random_range(0..starts.len())],
                    false => at(rng, b),
                };
                b.splice(i..i, piece);
                "splice a fragment"
            }
            _ => {
                let lines: Vec<&[u8]> = b.split_inclusive(|&c| c == b'\n').collect();
                if lines.len() > 1 {
                    let mut lines: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
                    let (i, j) = (
                        rng.random_range(0..lines.len()),
                        rng.random_range(0..lines.len()),
                    );
                    lines.swap(i, j);
                    *b = lines.concat();
                }
                "swap two lines"
            }
        }
    }
}

fn replace_newlines(b: &[u8], end: &[u8], all: bool, rng: &mut StdRng) -> Vec<u8> {
    let newlines = b.iter().filter(|&&c| c == b'\n').count();
    let only = (newlines > 0).then(|| rng.random_range(0..newlines));
    let mut out = Vec::with_capacity(b.len() * 2);
    let mut seen = 0;
    for &c in b {
        if c == b'\n' && (all || Some(seen) == only) {
            out.extend_from_slice(end);
        } else {
            out.push(c);
        }
        seen += usize::from(c == b'\n');
    }
    out
}

/// Replaces one number (a run of digits and what a TOML number holds) with `n`.
fn replace_number(b: &mut Vec<u8>, n: &[u8], rng: &mut StdRng) {
    let starts: Vec<usize> = (0..b.len())
        .filter(|&i| b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()))
        .collect();
    if starts.is_empty() {
        let i = rng.random_range(0..=b.len());
        b.splice(i..i, n.iter().copied());
        return;
    }
    let start = starts[rng.random_range(0..starts.len())];
    let len = b[start..]
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || b"._+-".contains(&c))
        .count();
    b.splice(start..start + len, n.iter().copied());
}

/// Emphasis, links, lists, quotes, arrays or tables nested hundreds to tens
/// of thousands deep.
fn deep_nesting(rng: &mut StdRng) -> Vec<u8> {
    let depth = [17, 100, 1_000, 10_000, 60_000][rng.random_range(0..5)];
    let (open, close): (&str, &str) = match rng.random_range(0..10) {
        0 => ("*a ", " a*"),
        1 => ("_b ", " b_"),
        2 => ("**c ", " c**"),
        3 => ("[", "](https://e.example/)"),
        4 => ("> ", ""),
        5 => ("- ", ""),
        6 => ("1. ", ""),
        7 => ("\n> ", ""),
        8 => ("[", "]"),
        _ => ("{a=", "}"),
    };
    let mut out = open.repeat(depth);
    out.push('x');
    out.push_str(&close.repeat(depth));
    out.into_bytes()
}

/// Where mutation tests keep inputs (`target/tmp/mutation/`).
pub fn dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mutation");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `cases` mutations of `mutator`'s seeds through `check`, and fails
/// naming each failing case, its mutations and its input.
pub fn run(what: &str, cases: usize, mut mutator: Mutator, check: Check) {
    let seed: u64 = std::env::var("GAZETTE_MUTATION_SEED").map_or(SEED, |s| s.parse().unwrap());
    if seed != SEED {
        mutator.rng = StdRng::seed_from_u64(seed);
    }
    let only: Option<usize> = std::env::var("GAZETTE_MUTATION_CASE")
        .ok()
        .map(|s| s.parse().unwrap());
    let dir = dir();
    let now = dir.join(format!("{what}-now.bin"));
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut slowest = (Duration::ZERO, 0);
    for case in 0..cases {
        let (input, mutations) = mutator.next_case();
        if only.is_some_and(|n| n != case) {
            continue;
        }
        std::fs::write(&now, &input).unwrap();
        let (tx, rx) = mpsc::channel();
        let check = check.clone();
        let bytes = input.clone();
        let began = Instant::now();
        std::thread::Builder::new()
            .name(format!("{what} case {case} (input: {})", now.display()))
            .stack_size(STACK)
            .spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| check(&bytes)));
                let _ = tx.send(result);
            })
            .unwrap();
        let verdict = match rx.recv_timeout(TIME_LIMIT) {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(why))) => Some(why),
            Ok(Err(_)) => Some("panicked (its message is above)".to_string()),
            Err(_) => Some(format!("took more than {TIME_LIMIT:?}")),
        };
        slowest = slowest.max((began.elapsed(), case));
        if let Some(why) = verdict {
            let kept = dir.join(format!("{what}-case-{case}.bin"));
            std::fs::write(&kept, &input).unwrap();
            let shown: String = input.iter().take(400).copied().map(char::from).collect();
            failures.push(format!(
                "case {case} ({}): {why}\n  input ({} bytes, in {}): {shown:?}",
                mutations.join(", "),
                input.len(),
                kept.display()
            ));
            // A hung case keeps its thread busy: stop rather than pile up more.
            if why.starts_with("took more") || failures.len() >= 10 {
                break;
            }
        }
    }
    eprintln!(
        "mutation test {what}: {cases} cases with seed {seed} in {:.1?}, the slowest case {} in {:.1?}",
        started.elapsed(),
        slowest.1,
        slowest.0
    );
    assert!(
        failures.is_empty(),
        "{} of the {what} mutations failed (rerun one with GAZETTE_MUTATION_CASE=N):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Checks that every diagnostic points at a line and column of `source`
/// (and that a failed parse said why, with at least one error).
pub fn located(
    source: &gazette::diag::Source,
    diags: &[gazette::diag::Diagnostic],
    failed: bool,
) -> Result<(), String> {
    if failed && !diags.iter().any(|d| d.is_error()) {
        return Err(format!("refused without an error: {diags:?}"));
    }
    let lines = source.text.split('\n').count();
    for d in diags {
        let shown = d.display(source).to_string();
        let kind = if d.is_error() { "error" } else { "warning" };
        let unlocated = || format!("not located at a line and column: {shown}");
        let rest = shown
            .strip_prefix(&format!("gazette: {kind}: {}:", source.name))
            .ok_or_else(unlocated)?;
        let mut parts = rest.splitn(3, ':');
        let mut number = || parts.next().and_then(|n| n.parse::<usize>().ok());
        let (line, col) = (
            number().ok_or_else(unlocated)?,
            number().ok_or_else(unlocated)?,
        );
        if line == 0 || line > lines || col == 0 {
            return Err(format!(
                "line {line}, column {col} is not in the file: {shown}"
            ));
        }
        if d.span.start > d.span.end || d.span.end > source.text.len() {
            let len = source.text.len();
            return Err(format!(
                "span {:?} is not in the text ({len} bytes): {shown}",
                d.span
            ));
        }
    }
    Ok(())
}

//! What the test modules share: one newsletter builder ([`Newsletter`]), one
//! way to run the binary (its `process()` and `gazette()`, under [`hygiene`]),
//! one launcher for each SMTP server ([`SmtpServer::sink`],
//! [`SmtpServer::aiosmtpd`]), a DNS server ([`DnsServer`]), one PKI ([`Pki`]), one HTTP client ([`Served`],
//! on `ureq`), and the checks several topics make.
//!
//! Every server listens on 127.0.0.1 on a port chosen here and is killed when
//! its test ends; a missing tool fails the test, naming its package.

mod api;
pub mod bounces;
pub mod catalogue;
pub mod checks;
mod confine;
mod dns;
pub mod http;
pub mod imap;
pub mod mail;
pub mod messages;
pub mod mutate;
mod newsletter;
pub mod pages;
mod pki;
mod process;
pub mod smtp;
mod tls_front;

pub use api::*;
pub use dns::DnsServer;
pub use http::Response;
pub use mail::{angle, assert_everyone_once, unfolded_header};
pub use newsletter::Newsletter;
pub use pki::{Leaf, Pki};
pub use process::{Running, Script, hygiene};
pub use smtp::{SmtpServer, Tls};
pub use tls_front::TlsFront;

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// The instant every run of gazette in the tests happens at, unless a test
/// fixes another: issue 41's `send_at`. Nothing a test asserts may depend on
/// the real clock, so the suite passes on any date (`.ci/run` runs it again
/// 400 days ahead under faketime to prove it).
pub const NOW: &str = "2026-11-29T09:00:00Z";

/// The token secret (`GAZETTE_SECRET`) of every newsletter that has one.
pub const SECRET: &str = "an integration-test secret of 32+ bytes";

/// The example's draft, issue #41, and what it renders to.
pub const DRAFT: &str = "drafts/2026-11-29-41.toml";
pub const SUBJECT: &str = "Platform Notes #41 - 29th November 2026";
pub const BASE_URL: &str = "https://platformnotes.example";
pub const LIST_ID: &str = "platform-notes.platformnotes.example";

/// The repository checkout.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `tests/tools/`.
pub fn tool(name: &str) -> PathBuf {
    repo().join("tests/tools").join(name)
}

/// Fails, naming the package, when a tool is missing.
pub fn require(path: impl AsRef<Path>, package: &str) {
    let path = path.as_ref();
    assert!(
        path.exists(),
        "{} is missing: install {package} (./test.sh does, through tests/tools/install.sh)",
        path.display()
    );
}

/// Debian's Python, which the checkers run on.
pub fn python3() -> &'static str {
    require("/usr/bin/python3", "the Debian package `python3`");
    "/usr/bin/python3"
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A port on 127.0.0.1 that was free a moment ago (and nobody listens on).
/// The port a test server of `tests/tools/` (it prints `PORT N` first on
/// stdout) listens on, with the line it printed, for the error message.
pub fn announced_port(child: &mut std::process::Child) -> (Option<u16>, String) {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("the server's stdout, piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
    let port = line.strip_prefix("PORT ").and_then(|p| p.parse().ok());
    (port, line)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `ready` until it holds, for at most `limit`.
pub fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `python3 -c SCRIPT ARGS...` with `stdin`; fails unless it exits 0;
/// returns its standard output.
pub fn python(script: &str, args: &[&Path], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Process::new(python3())
        .args(["-c", script])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(stdin)
    );
    out.stdout
}

/// Tests share the machine's two cores; the send tests take this for reading,
/// and the rate test, which measures wall time, for writing, so that it runs
/// alone among them.
static MACHINE: RwLock<()> = RwLock::new(());

pub fn shared() -> RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(|e| e.into_inner())
}

pub fn alone() -> RwLockWriteGuard<'static, ()> {
    MACHINE.write().unwrap_or_else(|e| e.into_inner())
}

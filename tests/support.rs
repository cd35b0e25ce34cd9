//! What several test modules share: Postfix's smtp-sink on a free loopback port.

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};

const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

/// smtp-sink on a free loopback port, dumping each message to a file; killed on drop.
pub struct Sink {
    child: Child,
    pub port: u16,
    dumps: PathBuf,
}

impl Sink {
    pub fn start(dir: &Path) -> Sink {
        Sink::start_with(dir, &[])
    }

    /// With extra smtp-sink options, such as `-r RCPT` (soft-reject every recipient).
    pub fn start_with(dir: &Path, options: &[&str]) -> Sink {
        assert!(
            Path::new(SMTP_SINK).exists(),
            "{SMTP_SINK} is missing: install the Debian package `postfix` (./test.sh does)"
        );
        let dumps = dir.join("sink");
        std::fs::create_dir_all(&dumps).unwrap();
        let _ = Process::new("chmod").arg("777").arg(&dumps).status();
        for _ in 0..20 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Process::new(SMTP_SINK)
                .args(options)
                // smtp-sink refuses to run as root without -u, and -u without root.
                .args(if is_root() {
                    &["-u", "nobody"][..]
                } else {
                    &[][..]
                })
                .arg("-d")
                .arg(format!("{}/%H%M%S.", dumps.display()))
                .arg(format!("127.0.0.1:{port}"))
                .arg("100")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            for _ in 0..50 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Sink { child, port, dumps };
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
        }
        panic!("smtp-sink did not start");
    }

    /// The folder holding one file per message received.
    pub fn dumps(&self) -> &Path {
        &self.dumps
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Envelope recipients of every message received so far.
    /// smtp-sink creates a dump file first and fills it as the message
    /// arrives, so files still being written (gazette's messages end with a
    /// closing MIME boundary) are waited for, two seconds at most.
    pub fn recipients(&self) -> Vec<String> {
        let read = || -> Vec<String> {
            std::fs::read_dir(&self.dumps)
                .unwrap()
                .map(|e| {
                    String::from_utf8_lossy(&std::fs::read(e.unwrap().path()).unwrap()).into_owned()
                })
                .collect()
        };
        let mut texts = read();
        for _ in 0..100 {
            if texts.iter().all(|t| t.trim_end().ends_with("--")) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            texts = read();
        }
        let mut out = Vec::new();
        for text in texts {
            for line in text.lines() {
                if let Some(rcpt) = line.strip_prefix("X-Rcpt-Args: ") {
                    out.push(
                        rcpt.trim()
                            .trim_start_matches('<')
                            .trim_end_matches('>')
                            .to_string(),
                    );
                }
            }
        }
        out.sort();
        out
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The instant every run of gazette in the tests happens at, unless a test
/// fixes another: issue 41's `send_at`. Nothing a test asserts may depend on
/// the real clock, so the suite passes on any date (`.ci/run` runs it again
/// 400 days ahead under faketime to prove it).
pub const NOW: &str = "2026-11-29T09:00:00Z";

/// The one environment policy for running the binary: nothing from the
/// environment that would change where mail goes, and "now" fixed at [`NOW`]
/// (a test may set `GAZETTE_NOW` again after this).
pub fn hygiene(cmd: &mut Process) -> &mut Process {
    for var in ["GAZETTE_TRANSPORT", "GAZETTE_SMTP_PASSWORD"] {
        cmd.env_remove(var);
    }
    cmd.env("GAZETTE_NOW", NOW)
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    Process::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A newsletter directory in `dir` holding the repository's example config and
/// issue #41, as a fresh clone has them (no data/).
pub fn example_newsletter(dir: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["config", "drafts"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    for file in ["config/gazette.toml", "drafts/2026-11-29-41.toml"] {
        std::fs::copy(repo.join(file), dir.join(file)).unwrap();
    }
}

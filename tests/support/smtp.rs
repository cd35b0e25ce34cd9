//! The SMTP servers no one here wrote: Postfix's smtp-sink, and aiosmtpd
//! (`tests/tools/smtp_server.py`), which requires STARTTLS (or TLS from the
//! start) and AUTH and presents a certificate from a [`Pki`].

use super::mail::{self, Received};
use super::pki::Pki;
use super::{free_port, is_root, python3, require, tool};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

/// The login aiosmtpd requires.
pub const USER: &str = "editor";
pub const PASSWORD: &str = "correct horse battery staple";

/// How a relay's connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    StartTls,
    Implicit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sink,
    Aiosmtpd,
}

/// An SMTP server process on 127.0.0.1:`port`, killed when dropped. Its
/// temporary directory holds its log and the messages it dumps.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    dir: tempfile::TempDir,
    kind: Kind,
}

/// A directory for a server's log and dumps; smtp-sink writes its dumps as
/// `nobody` when started by root, so then they must be world-writable.
fn server_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("gazette-smtp")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dumps = dir.path().join("dumps");
    std::fs::create_dir(&dumps).unwrap();
    std::fs::set_permissions(&dumps, std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

impl SmtpServer {
    /// smtp-sink with `options` (such as `["-r", "RCPT"]`, soft-reject every
    /// recipient) on a free port, dumping every message to a file.
    pub fn sink(options: &[&str]) -> SmtpServer {
        SmtpServer::start_sink(options, true)
    }

    /// The same, keeping no message.
    pub fn sink_without_dumps(options: &[&str]) -> SmtpServer {
        SmtpServer::start_sink(options, false)
    }

    fn start_sink(options: &[&str], dump: bool) -> SmtpServer {
        require(SMTP_SINK, "the Debian package `postfix`");
        let mut tries = Vec::new();
        for _ in 0..10 {
            let dir = server_dir();
            let port = free_port();
            let mut cmd = Process::new(SMTP_SINK);
            // smtp-sink refuses to run as root without -u, and -u without root.
            if is_root() {
                cmd.args(["-u", "nobody"]);
            }
            cmd.args(options);
            if dump {
                cmd.arg("-d")
                    .arg(format!("{}/%H%M%S.", dir.path().join("dumps").display()));
            }
            let log = std::fs::File::create(dir.path().join("log")).unwrap();
            let child = cmd
                .arg(format!("127.0.0.1:{port}"))
                .arg("100")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("cannot start /usr/sbin/smtp-sink (Debian package `postfix`)");
            let mut server = SmtpServer {
                child,
                port,
                dir,
                kind: Kind::Sink,
            };
            if server.accepting() {
                return server;
            }
            tries.push(server.log());
        }
        panic!("smtp-sink did not start: {tries:?}");
    }

    /// `tests/tools/smtp_server.py` (aiosmtpd) with the leaf certificate of
    /// `pki`, requiring STARTTLS (or TLS from the start, as on port 465, when
    /// `mode` is `Tls::Implicit`) and AUTH as [`USER`]/[`PASSWORD`].
    pub fn aiosmtpd(pki: &Pki, mode: Tls) -> SmtpServer {
        SmtpServer::aiosmtpd_with(pki, mode, &[])
    }

    /// The same with more of smtp_server.py's `options` (such as
    /// `--smtputf8`, announce SMTPUTF8).
    pub fn aiosmtpd_with(pki: &Pki, mode: Tls, options: &[&str]) -> SmtpServer {
        let ok = Process::new(python3())
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "Debian's /usr/bin/python3 cannot import aiosmtpd: install the Debian package \
             `python3-aiosmtpd` (./test.sh does)"
        );
        let dir = server_dir();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let mut child = Process::new(python3())
            .arg(tool("smtp_server.py"))
            .arg("--dir")
            .arg(dir.path().join("dumps"))
            .arg("--cert")
            .arg(pki.leaf())
            .arg("--key")
            .arg(pki.leaf_key())
            .args(["--user", USER, "--password", PASSWORD])
            .args((mode == Tls::Implicit).then_some("--implicit-tls"))
            .args(options)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let (port, line) = super::announced_port(&mut child);
        let mut server = SmtpServer {
            child,
            port: port.unwrap_or(0),
            dir,
            kind: Kind::Aiosmtpd,
        };
        assert!(
            port.is_some(),
            "smtp_server.py did not print its port: {line:?} {}",
            server.log()
        );
        assert!(server.accepting(), "{}", server.log());
        server
    }

    /// Waits until the server accepts connections; false if it exited (its
    /// port was taken meanwhile).
    fn accepting(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                std::thread::sleep(Duration::from_millis(50));
                return self.child.try_wait().unwrap().is_none();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The folder holding the messages received.
    pub fn dumps(&self) -> PathBuf {
        self.dir.path().join("dumps")
    }

    /// What the server wrote to its standard error.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// How many files are in the dump directory now (complete or not).
    pub fn dump_count(&self) -> usize {
        std::fs::read_dir(self.dumps()).map_or(0, |d| d.count())
    }

    /// Every message received so far, as it is now.
    pub fn received(&self) -> Vec<Received> {
        match self.kind {
            Kind::Sink => mail::sink_received(&self.dumps()),
            Kind::Aiosmtpd => mail::aiosmtpd_received(&self.dumps()),
        }
    }

    /// Envelope recipients of every message received so far, sorted, as
    /// smtp-sink wrote them (`X-Rcpt-Args: <address>`). smtp-sink creates a
    /// dump file first and fills it as the message arrives, so files still
    /// being written (gazette's messages end with a closing MIME boundary)
    /// are waited for, two seconds at most.
    pub fn recipients(&self) -> Vec<String> {
        assert_eq!(self.kind, Kind::Sink);
        let read = || -> Vec<String> {
            std::fs::read_dir(self.dumps())
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
            std::thread::sleep(Duration::from_millis(20));
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

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The config for aiosmtpd at `port`, trusting `ca` when given, with
/// [`SMTP_TOP`] above it.
pub fn aiosmtpd_config(port: u16, mode: Tls, ca: Option<&std::path::Path>) -> String {
    let ca = ca.map_or_else(String::new, |p| format!("ca_file = \"{}\"\n", p.display()));
    let tls = match mode {
        Tls::StartTls => "starttls",
        Tls::Implicit => "tls",
    };
    format!(
        "{SMTP_TOP}[[smtp]]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\n\
         username = \"{USER}\"\n{ca}connect_timeout = 5\ncommand_timeout = 10\n"
    )
}

/// Top-level settings for a send through `[[smtp]]` relays: no retries within
/// the run, and a short rest for a failing relay.
pub const SMTP_TOP: &str = "transport = \"smtp\"\nretry_delays = []\nrelay_rest = 0.2\n";

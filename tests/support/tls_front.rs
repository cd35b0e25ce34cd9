//! stunnel (Debian `stunnel4`) in front of a plain SMTP server, offering
//! implicit TLS or, with `protocol = smtp`, STARTTLS, with a certificate from
//! a [`Pki`]; between the two, `tests/tools/record_proxy.py` records how the
//! decrypted client bytes arrived, to tell pipelined commands from ones that
//! waited for their replies.

use super::pki::Pki;
use super::smtp::Tls;
use super::{free_port, python3, require, tool};
use std::net::TcpStream;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

const STUNNEL: &str = "/usr/bin/stunnel4";

/// stunnel on 127.0.0.1:`port`, and the recording proxy behind it; both
/// killed when dropped.
pub struct TlsFront {
    pub port: u16,
    stunnel: Child,
    recorder: Child,
    dir: tempfile::TempDir,
}

impl TlsFront {
    /// TLS (`mode`) on a free port, for the plain server on `target`.
    pub fn new(pki: &Pki, mode: Tls, target: u16) -> TlsFront {
        require(STUNNEL, "the Debian package `stunnel4`");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("chunks.jsonl");
        let mut recorder = Process::new(python3())
            .arg(tool("record_proxy.py"))
            .args(["--target", &target.to_string(), "--log"])
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (proxy, line) = super::announced_port(&mut recorder);
        let proxy = proxy.unwrap_or_else(|| panic!("record_proxy.py printed {line:?}"));
        let port = free_port();
        let protocol = match mode {
            Tls::StartTls => "protocol = smtp\n",
            Tls::Implicit => "",
        };
        let conf = dir.path().join("stunnel.conf");
        std::fs::write(
            &conf,
            format!(
                "foreground = yes\npid =\ndebug = 4\noutput = {}\ncert = {}\nkey = {}\n\
                 [smtp]\naccept = 127.0.0.1:{port}\nconnect = 127.0.0.1:{proxy}\n{protocol}",
                dir.path().join("stunnel.log").display(),
                pki.leaf().display(),
                pki.leaf_key().display(),
            ),
        )
        .unwrap();
        let stunnel = Process::new(STUNNEL)
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let front = TlsFront {
            port,
            stunnel,
            recorder,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "stunnel did not start: {}",
                front.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        front
    }

    /// Each chunk the server side read from one client connection, in order,
    /// for every connection.
    pub fn chunks(&self) -> Vec<String> {
        let text =
            std::fs::read_to_string(self.dir.path().join("chunks.jsonl")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| v["data"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stunnel.log")).unwrap_or_default()
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        for child in [&mut self.stunnel, &mut self.recorder] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

//! An authoritative DNS server on 127.0.0.1 (`tests/tools/dns_server.py`, on
//! dnslib) serving a zone the test gives, for `gazette dns --check`. It runs
//! in its own process group, killed with the group when the test ends.

use super::process::Group;
use super::{python3, tool};
use std::os::unix::process::CommandExt;
use std::process::{Command as Process, Stdio};

/// A DNS server process answering from one zone, over UDP and TCP.
pub struct DnsServer {
    _group: Group,
    pub port: u16,
    dir: tempfile::TempDir,
}

impl DnsServer {
    /// Serves `zone` (zone-file text: absolute names, `;` comments).
    pub fn start(zone: &str) -> DnsServer {
        let ok = Process::new(python3())
            .args(["-c", "import dnslib"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "Debian's /usr/bin/python3 cannot import dnslib: install the Debian package \
             `python3-dnslib` (./test.sh does)"
        );
        let dir = tempfile::Builder::new()
            .prefix("gazette-dns")
            .tempdir()
            .unwrap();
        let zone_file = dir.path().join("zone");
        std::fs::write(&zone_file, zone).unwrap();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let mut child = Process::new(python3())
            .arg(tool("dns_server.py"))
            .arg("--zone")
            .arg(&zone_file)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let (port, line) = super::announced_port(&mut child);
        let group = Group(child);
        let server = DnsServer {
            _group: group,
            port: port.unwrap_or(0),
            dir,
        };
        assert!(
            port.is_some(),
            "dns_server.py did not print its port: {line:?} {}",
            server.log()
        );
        server
    }

    /// `127.0.0.1:PORT`, for `GAZETTE_DNS_SERVER`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// What the server wrote to its standard error: a `QUERY name type
    /// protocol` line per query.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

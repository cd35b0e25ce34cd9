//! Integration tests: list sends through SMTP servers no one here wrote.
//! aiosmtpd (`tests/tools/smtp_server.py`) requires STARTTLS and AUTH and
//! presents a certificate from a CA each test makes; Postfix's smtp-sink
//! injects faults, takes a `kill -9` in the middle of a send and paces the
//! rate test. Every server listens on 127.0.0.1 on a port chosen here and is
//! killed when its test ends; a missing tool fails the test, naming its
//! Debian package.

use assert_cmd::Command;
use gazette::config::Config;
use gazette::message::token::Secret;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::sync::RwLock;
use std::time::{Duration, Instant};

const SECRET: &str = "an integration-test secret of 32+ bytes";
const DRAFT: &str = "drafts/2026-11-29-41.toml";
const SUBJECT: &str = "Platform Notes #41 - 29th November 2026";
const USER: &str = "editor";
const PASSWORD: &str = "correct horse battery staple";

/// Tests share the machine's two cores; the rate test, which measures wall
/// time, takes this for writing so that it runs alone among them.
static MACHINE: RwLock<()> = RwLock::new(());

fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    MACHINE.read().unwrap_or_else(|e| e.into_inner())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails, naming the Debian package, when a tool is missing.
fn require(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install the Debian package `{package}` (./test.sh does)"
    );
}

fn require_aiosmtpd() {
    require("/usr/bin/python3", "python3");
    let ok = Process::new("/usr/bin/python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "Debian's /usr/bin/python3 cannot import aiosmtpd: install the Debian package \
         `python3-aiosmtpd` (./test.sh does)"
    );
}

// ---------------------------------------------------------------------------
// A newsletter directory and the gazette commands run in it.

/// A copy of the example newsletter (config and draft) in a temporary directory.
struct Newsletter {
    tmp: tempfile::TempDir,
}

/// One finished gazette command.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    seconds: f64,
}

/// One row of the ledger, with the subscriber's status.
#[derive(Debug)]
struct Delivery {
    email: String,
    state: String,
    code: Option<i64>,
    reply: Option<String>,
    message_id: Option<String>,
    status: String,
}

impl Newsletter {
    /// The example newsletter, its config with `settings` (see `configure`).
    fn new(settings: &str) -> Newsletter {
        let n = Newsletter {
            tmp: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(n.root().join("config")).unwrap();
        std::fs::create_dir_all(n.root().join("drafts")).unwrap();
        std::fs::copy(repo().join(DRAFT), n.root().join(DRAFT)).unwrap();
        n.configure(settings);
        n
    }

    /// Writes the example config with `settings` (TOML: top-level keys and
    /// `[[smtp]]` tables) over it. The example's own transport and DKIM
    /// settings are dropped first, so that a send goes where the test says.
    fn configure(&self, settings: &str) {
        let example = std::fs::read_to_string(repo().join("config/gazette.toml")).unwrap();
        let mut config: toml::Table = example.parse().unwrap();
        for key in ["transport", "smtp", "dkim"] {
            config.remove(key);
        }
        config.extend(settings.parse::<toml::Table>().unwrap());
        let text = toml::to_string(&config).unwrap();
        std::fs::write(self.root().join("config/gazette.toml"), text).unwrap();
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// `gazette -C ROOT` as a plain process, with the secret and nothing else
    /// from the environment that would change a send.
    fn process(&self) -> Process {
        let mut cmd = Process::new(assert_cmd::cargo::cargo_bin("gazette"));
        cmd.arg("-C").arg(self.root()).env("GAZETTE_SECRET", SECRET);
        crate::support::hygiene(&mut cmd);
        cmd
    }

    /// The same, to run to its end (at most two minutes).
    fn gazette(&self) -> Command {
        let mut cmd = Command::from_std(self.process());
        cmd.timeout(Duration::from_secs(120));
        cmd
    }

    /// `gazette send DRAFT --yes ARGS...` in the background, to be signalled.
    fn spawn_send(&self, args: &[&str]) -> Running {
        let child = self
            .process()
            .args(["send", DRAFT, "--yes"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Running {
            child: Some(child),
            started: Instant::now(),
        }
    }

    /// Imports `n` subscribers, `reader1@example.org` and on, from a CSV file
    /// of one bare column; returns their addresses.
    fn subscribe(&self, n: usize) -> Vec<String> {
        let emails: Vec<String> = (1..=n).map(|i| format!("reader{i}@example.org")).collect();
        let csv = self.root().join("readers.csv");
        std::fs::write(&csv, emails.join("\n") + "\n").unwrap();
        self.gazette()
            .args(["subscribers", "import"])
            .arg(&csv)
            .assert()
            .success();
        emails
    }

    /// `gazette send DRAFT --yes ARGS...`, timed.
    fn send(&self, args: &[&str]) -> Run {
        self.run(&[&["send", DRAFT, "--yes"], args].concat(), &[])
    }

    /// `gazette send DRAFT --yes ARGS...` with GAZETTE_SMTP_PASSWORD set.
    fn send_with_password(&self, password: &str, args: &[&str]) -> Run {
        self.run(
            &[&["send", DRAFT, "--yes"], args].concat(),
            &[("GAZETTE_SMTP_PASSWORD", password)],
        )
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.gazette();
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// `gazette status DRAFT --json`: the issue's entry, or `None` before its send.
    fn status(&self) -> Option<serde_json::Value> {
        let run = self.run(&["status", DRAFT, "--json"], &[]);
        assert_eq!(run.code, Some(0), "{run:?}");
        let value: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
        value.as_array().unwrap().first().cloned()
    }

    /// The issue's counts per state from `gazette status`.
    fn counts(&self) -> BTreeMap<String, u64> {
        let status = self.status().expect("the issue has a send");
        status["counts"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
            .collect()
    }

    fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.root().join("data/gazette.db")).unwrap()
    }

    /// Every ledger row, in subscriber order.
    fn ledger(&self) -> Vec<Delivery> {
        let db = self.db();
        let mut stmt = db
            .prepare(
                "SELECT s.email, d.state, d.last_code, d.last_reply, d.message_id, s.status
                 FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id ORDER BY s.id",
            )
            .unwrap();
        stmt.query_map([], |r| {
            Ok(Delivery {
                email: r.get(0)?,
                state: r.get(1)?,
                code: r.get(2)?,
                reply: r.get(3)?,
                message_id: r.get(4)?,
                status: r.get(5)?,
            })
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    /// Subscriber ids by address.
    fn subscriber_ids(&self) -> HashMap<String, u64> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT email, id FROM subscribers").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }
}

/// A gazette process started in the background; killed if the test ends first.
struct Running {
    child: Option<Child>,
    started: Instant,
}

impl Running {
    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Polls `ready` until it holds; fails if gazette ends first or `limit` passes.
    fn wait_for(&mut self, ready: impl Fn() -> bool, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !ready() {
            let child = self.child.as_mut().unwrap();
            if let Some(status) = child.try_wait().unwrap() {
                let mut err = String::new();
                let _ = std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err);
                panic!("gazette ended early ({status}): {err}");
            }
            assert!(Instant::now() < deadline, "not ready within {limit:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn signal(&self, name: &str) {
        let ok = Process::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name} failed");
    }

    /// Waits for the process to end (at most `limit`).
    fn finish(mut self, limit: Duration) -> Run {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + limit;
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "gazette did not end within {limit:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            seconds: self.started.elapsed().as_secs_f64(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

// ---------------------------------------------------------------------------
// Servers.

/// A server process on 127.0.0.1:`port`, killed when dropped. `dir` holds
/// its log and the messages it dumps.
struct Server {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    fn dumps(&self) -> PathBuf {
        self.dir.path().join("dumps")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// How many files are in the dump directory now (complete or not).
    fn dump_count(&self) -> usize {
        std::fs::read_dir(self.dumps()).map_or(0, |d| d.count())
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
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

/// Starts Postfix's smtp-sink with `options` (such as `["-r", "RCPT"]`) on a
/// free port; with `dump`, every message lands in `Server::dumps`.
fn smtp_sink(options: &[&str], dump: bool) -> Server {
    require("/usr/sbin/smtp-sink", "postfix");
    let mut tries = Vec::new();
    for _ in 0..10 {
        let dir = server_dir();
        let port = free_port();
        let mut cmd = Process::new("/usr/sbin/smtp-sink");
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
            .arg("64")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("cannot start /usr/sbin/smtp-sink (Debian package `postfix`)");
        let mut server = Server { child, port, dir };
        if accepting(&mut server) {
            return server;
        }
        tries.push(server.log());
    }
    panic!("smtp-sink did not start: {tries:?}");
}

/// Waits until the server accepts connections; false if it exited (its port
/// was taken meanwhile).
fn accepting(server: &mut Server) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if server.child.try_wait().unwrap().is_some() {
            return false;
        }
        if TcpStream::connect(("127.0.0.1", server.port)).is_ok() {
            std::thread::sleep(Duration::from_millis(50));
            return server.child.try_wait().unwrap().is_none();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// How a relay's connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    StartTls,
    Implicit,
}

/// A CA and a leaf certificate for 127.0.0.1 and localhost signed by it
/// (rustls refuses a self-signed certificate that is also a CA).
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        require("/usr/bin/openssl", "openssl");
        let dir = tempfile::tempdir().unwrap();
        // Each command is split on whitespace.
        let openssl = |command: &str| {
            let out = Process::new("/usr/bin/openssl")
                .current_dir(dir.path())
                .args(command.split_whitespace())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "openssl {command}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        openssl(&format!(
            "req -x509 -days 2 -subj /CN=gazette-test-CA {key} -keyout ca.key -out ca.pem \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
        ));
        openssl(&format!(
            "req -new -subj /CN=localhost {key} -keyout leaf.key -out leaf.csr"
        ));
        std::fs::write(
            dir.path().join("leaf.ext"),
            "subjectAltName = IP:127.0.0.1, DNS:localhost\n\
             basicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature, keyEncipherment\n\
             extendedKeyUsage = serverAuth\n",
        )
        .unwrap();
        openssl(
            "x509 -req -days 2 -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
             -extfile leaf.ext -out leaf.pem",
        );
        Pki { dir }
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

/// Starts `tests/tools/smtp_server.py` (aiosmtpd) with the leaf certificate of
/// `pki`, requiring STARTTLS (or TLS from the start, as on port 465, when
/// `mode` is `Tls::Implicit`) and AUTH as USER/PASSWORD.
fn aiosmtpd(pki: &Pki, mode: Tls) -> Server {
    require_aiosmtpd();
    let dir = server_dir();
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let mut child = Process::new("/usr/bin/python3")
        .arg(repo().join("tests/tools/smtp_server.py"))
        .arg("--dir")
        .arg(dir.path().join("dumps"))
        .arg("--cert")
        .arg(pki.dir.path().join("leaf.pem"))
        .arg("--key")
        .arg(pki.dir.path().join("leaf.key"))
        .args(["--user", USER, "--password", PASSWORD])
        .args((mode == Tls::Implicit).then_some("--implicit-tls"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
    let port = line.strip_prefix("PORT ").and_then(|p| p.parse().ok());
    let mut server = Server {
        child,
        port: port.unwrap_or(0),
        dir,
    };
    assert!(
        port.is_some(),
        "smtp_server.py did not print its port: {line:?} {}",
        server.log()
    );
    assert!(accepting(&mut server), "{}", server.log());
    server
}

// ---------------------------------------------------------------------------
// Messages as servers received them.

/// One message a server received.
#[derive(Debug)]
struct Received {
    file: PathBuf,
    /// Envelope recipients.
    rcpts: Vec<String>,
    /// Header fields, unfolded (smtp-sink's own X- fields first).
    headers: Vec<(String, String)>,
    /// Whether the whole message arrived (its closing MIME boundary did).
    complete: bool,
    /// From smtp_server.py: STARTTLS was used, and the AUTH user.
    tls: bool,
    auth_user: Option<String>,
}

impl Received {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The one value of header `name`.
    fn one(&self, name: &str) -> &str {
        let values = self.all(name);
        assert_eq!(values.len(), 1, "{name} in {}", self.file.display());
        values[0]
    }

    fn message_id(&self) -> &str {
        angle(self.one("Message-ID"))
    }

    /// The address of the To header.
    fn to(&self) -> String {
        angle(self.one("To")).to_ascii_lowercase()
    }

    fn rcpt(&self) -> &str {
        assert_eq!(self.rcpts.len(), 1, "{}", self.file.display());
        &self.rcpts[0]
    }
}

/// What is inside `<...>`, or all of `s`.
fn angle(s: &str) -> &str {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s.trim(),
    }
}

/// The header fields of a message, unfolded; CRLF or LF line ends.
fn header_fields(raw: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in raw.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.to_string(), value.trim().to_string()));
        }
    }
    out
}

/// Whether a multipart message ends with its closing boundary.
fn complete(raw: &str, headers: &[(String, String)]) -> bool {
    let boundary = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
        .and_then(|(_, v)| v.split("boundary=\"").nth(1))
        .and_then(|s| s.split('"').next());
    boundary.is_some_and(|b| raw.trim_end().ends_with(&format!("--{b}--")))
}

/// The messages smtp-sink dumped (`X-Rcpt-Args: <address>` per recipient).
fn sink_received(server: &Server) -> Vec<Received> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(server.dumps()).unwrap() {
        let file = entry.unwrap().path();
        let raw = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        let headers = header_fields(&raw);
        let rcpts = headers
            .iter()
            .filter(|(n, _)| n == "X-Rcpt-Args")
            .map(|(_, v)| angle(v).to_ascii_lowercase())
            .collect();
        out.push(Received {
            complete: complete(&raw, &headers),
            file,
            rcpts,
            headers,
            tls: false,
            auth_user: None,
        });
    }
    out
}

/// The messages smtp_server.py wrote (`N.eml` beside `N.json`).
fn aiosmtpd_received(server: &Server) -> Vec<Received> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(server.dumps()).unwrap() {
        let file = entry.unwrap().path();
        if file.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file.with_extension("json")).unwrap())
                .unwrap();
        let headers = header_fields(&raw);
        out.push(Received {
            complete: complete(&raw, &headers),
            rcpts: meta["rcpt_tos"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_ascii_lowercase())
                .collect(),
            tls: meta["tls"] == true,
            auth_user: meta["auth_user"].as_str().map(str::to_string),
            file,
            headers,
        });
    }
    out.sort_by_key(|r| r.file.clone());
    out
}

/// Checks that every one of `emails` got the list message at least once, to
/// its own address, and nobody else got anything; that copies beyond the
/// first number at most `extra` in all; and that every copy carries the
/// Message-ID the ledger recorded for its recipient. Returns the number of
/// extra copies.
fn assert_everyone_once(
    newsletter: &Newsletter,
    received: &[Received],
    emails: &[String],
    extra: usize,
) -> usize {
    let ledger: HashMap<String, Delivery> = newsletter
        .ledger()
        .into_iter()
        .map(|d| (d.email.clone(), d))
        .collect();
    let mut copies: HashMap<&str, Vec<&Received>> = HashMap::new();
    for r in received.iter().filter(|r| r.complete) {
        assert_eq!(
            r.to(),
            r.rcpt(),
            "To and envelope differ: {}",
            r.file.display()
        );
        assert_eq!(r.one("Subject"), SUBJECT);
        copies.entry(r.rcpt()).or_default().push(r);
    }
    let missing: Vec<&String> = emails
        .iter()
        .filter(|e| !copies.contains_key(e.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} got nothing: {missing:?}",
        missing.len()
    );
    assert_eq!(copies.len(), emails.len(), "messages to strangers");
    let mut extras = 0;
    for (email, list) in &copies {
        let recorded = ledger[*email].message_id.as_deref();
        for r in list {
            assert_eq!(
                Some(r.message_id()),
                recorded,
                "{email}: a copy's Message-ID is not the one in the ledger"
            );
        }
        extras += list.len() - 1;
    }
    assert!(
        extras <= extra,
        "{extras} duplicate copies, more than {extra}"
    );
    extras
}

fn assert_code(run: &Run, code: i32) {
    assert_eq!(run.code, Some(code), "{run:#?}");
}

// ---------------------------------------------------------------------------
// aiosmtpd: STARTTLS and AUTH required.

/// The config for aiosmtpd at `port`, trusting `ca` when given.
fn aiosmtpd_config(port: u16, mode: Tls, ca: Option<&Path>) -> String {
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

const SMTP_TOP: &str = "transport = \"smtp\"\nretry_delays = []\nrelay_rest = 0.2\n";

#[test]
fn aiosmtpd_with_starttls_and_auth_gets_one_message_per_subscriber_addressed_to_them() {
    let _machine = shared();
    let pki = Pki::new();
    let server = aiosmtpd(&pki, Tls::StartTls);
    let n = Newsletter::new(&aiosmtpd_config(
        server.port,
        Tls::StartTls,
        Some(&pki.ca()),
    ));
    let emails = n.subscribe(20);
    let run = n.send_with_password(PASSWORD, &["--json"]);
    assert_code(&run, 0);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(report["sent"], 20, "{report}");

    let received = aiosmtpd_received(&server);
    assert_eq!(received.len(), 20);
    assert_eq!(assert_everyone_once(&n, &received, &emails, 0), 0);
    for r in &received {
        assert!(r.tls, "{} came without STARTTLS", r.file.display());
        assert_eq!(r.auth_user.as_deref(), Some(USER));
    }

    // Each List-Unsubscribe URL is the recipient's own: its token verifies to
    // their subscriber id, and the strict parser finds it in both parts.
    let config = Config::load(n.root()).unwrap();
    let secret = Secret::new(SECRET.as_bytes(), "test").unwrap();
    let ids = n.subscriber_ids();
    require("/usr/bin/python3", "python3");
    let out = Process::new("/usr/bin/python3")
        .arg(repo().join("tests/tools/check_message.py"))
        .arg("--require-body-unsubscribe")
        .args(received.iter().map(|r| &r.file))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (r, line) in received.iter().zip(stdout.lines()) {
        let report: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(report["file"], r.file.display().to_string());
        let url = report["unsubscribe_url"].as_str().unwrap();
        assert_eq!(angle(r.one("List-Unsubscribe")), url);
        let token = url
            .strip_prefix(&format!("{}/unsubscribe/", config.base_url))
            .unwrap();
        assert_eq!(
            secret.verify_unsubscribe(&config.list_id, token),
            Some(ids[r.rcpt()]),
            "{}: the unsubscribe URL is not {}'s",
            r.file.display(),
            r.rcpt()
        );
    }
    let counts = n.counts();
    assert_eq!((counts["sent"], counts["pending"]), (20, 0), "{counts:?}");
}

#[test]
fn aiosmtpd_refusing_the_password_stops_the_send_with_nothing_failed() {
    let _machine = shared();
    let pki = Pki::new();
    let server = aiosmtpd(&pki, Tls::StartTls);
    let n = Newsletter::new(&aiosmtpd_config(
        server.port,
        Tls::StartTls,
        Some(&pki.ca()),
    ));
    n.subscribe(6);
    let run = n.send_with_password("not the password", &[]);
    assert_code(&run, 2);
    assert!(
        run.stderr.contains("the relay refused the login") && run.stderr.contains("535"),
        "{}",
        run.stderr
    );
    assert_eq!(aiosmtpd_received(&server).len(), 0);
    let counts = n.counts();
    assert_eq!(counts["failed"], 0, "{counts:?}");
    assert_eq!(counts["pending"] + counts["sending"], 6, "{counts:?}");
    assert_eq!(counts["sent"] + counts["deferred"], 0, "{counts:?}");
    assert!(n.ledger().iter().all(|d| d.status == "active"));

    // The right password then sends to everyone.
    assert_code(&n.send_with_password(PASSWORD, &[]), 0);
    assert_eq!(aiosmtpd_received(&server).len(), 6);
}

#[test]
fn aiosmtpd_certificate_from_an_unknown_ca_is_refused_at_once() {
    let _machine = shared();
    let pki = Pki::new();
    for mode in [Tls::StartTls, Tls::Implicit] {
        let server = aiosmtpd(&pki, mode);
        // With the default retry delays, a refusal taken for a passing fault
        // would keep the run going for minutes.
        let config = aiosmtpd_config(server.port, mode, None);
        let n = Newsletter::new(&config.replace("retry_delays = []\n", ""));
        n.subscribe(6);
        let run = n.send_with_password(PASSWORD, &[]);
        assert_code(&run, 2);
        assert!(run.seconds < 10.0, "{mode:?}: took {:.1} s", run.seconds);
        let err = run.stderr.to_ascii_lowercase();
        assert!(
            err.contains("tls") && err.contains("certificate") && err.contains("unknownissuer"),
            "{mode:?}: the error should name the certificate problem: {}",
            run.stderr
        );
        assert_eq!(aiosmtpd_received(&server).len(), 0);
        let counts = n.counts();
        assert_eq!(
            (counts["sent"], counts["failed"], counts["deferred"]),
            (0, 0, 0)
        );
        assert_eq!(counts["pending"] + counts["sending"], 6, "{counts:?}");

        // Trusting the CA, the same relay takes every message.
        n.configure(&aiosmtpd_config(server.port, mode, Some(&pki.ca())));
        assert_code(&n.send_with_password(PASSWORD, &[]), 0);
        let received = aiosmtpd_received(&server);
        assert_eq!(received.len(), 6, "{mode:?}");
        assert!(received.iter().all(|r| r.tls && r.complete));
    }
}

#[test]
fn aiosmtpd_test_send_reaches_only_the_test_addresses_and_records_nothing() {
    let _machine = shared();
    let pki = Pki::new();
    let server = aiosmtpd(&pki, Tls::StartTls);
    let n = Newsletter::new(&aiosmtpd_config(
        server.port,
        Tls::StartTls,
        Some(&pki.ca()),
    ));
    n.subscribe(3);
    let run = n.send_with_password(
        PASSWORD,
        &[
            "--test",
            "Ann Editor <ann@proofs.example>,bob@proofs.example",
        ],
    );
    assert_code(&run, 0);
    let received = aiosmtpd_received(&server);
    let mut to: Vec<(String, String)> = received
        .iter()
        .map(|r| (r.rcpt().to_string(), r.to()))
        .collect();
    to.sort();
    assert_eq!(
        to,
        [
            ("ann@proofs.example".into(), "ann@proofs.example".into()),
            ("bob@proofs.example".into(), "bob@proofs.example".into())
        ]
    );
    for r in &received {
        assert_eq!(r.one("Subject"), format!("[TEST] {SUBJECT}"));
        assert!(r.complete && r.tls);
    }
    assert_ne!(received[0].message_id(), received[1].message_id());
    assert!(n.status().is_none(), "a test send began the issue's send");
    assert!(n.ledger().is_empty());
}

// ---------------------------------------------------------------------------
// smtp-sink: faults.

#[test]
fn smtp_sink_soft_rejects_are_deferred_and_a_later_run_sends_them() {
    let _machine = shared();
    let n = Newsletter::new("retry_delays = [0.2]");
    let emails = n.subscribe(8);
    let soft = smtp_sink(&["-r", "RCPT"], true);
    let run = n.send(&["--transport", &soft.url(), "--json"]);
    assert_code(&run, 75);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(
        (report["deferred"].as_u64(), report["sent"].as_u64()),
        (Some(8), Some(0))
    );
    for d in n.ledger() {
        assert_eq!(d.state, "deferred", "{d:?}");
        assert_eq!(d.code, Some(450), "{d:?}");
        assert!(d.reply.as_deref().unwrap().contains("4.3.0"), "{d:?}");
        assert_eq!(d.status, "active");
    }
    assert_eq!(sink_received(&soft).len(), 0);
    drop(soft);

    let sink = smtp_sink(&[], true);
    let run = n.send(&["--transport", &sink.url()]);
    assert_code(&run, 0);
    assert_everyone_once(&n, &sink_received(&sink), &emails, 0);
    let status = n.status().unwrap();
    assert_eq!(status["state"], "complete");
    assert_eq!(status["counts"]["sent"], 8);
}

#[test]
fn smtp_sink_hard_rejects_fail_and_only_unknown_users_bounce() {
    let _machine = shared();
    // smtp-sink's own hard reply is `500 5.3.0 Error: command failed`: a
    // failure, but not a sign that the address does not exist.
    for (options, reply, bounced) in [
        (vec!["-f", "RCPT"], "500 5.3.0", false),
        (
            vec![
                "-f",
                "RCPT",
                "-B",
                "550 5.1.1 Recipient address rejected: User unknown",
            ],
            "550 5.1.1",
            true,
        ),
        (
            vec!["-f", "RCPT", "-B", "550 No such mailbox"],
            "550 No such",
            true,
        ),
        (
            vec!["-f", "RCPT", "-B", "550 5.7.1 Rejected by policy"],
            "550 5.7.1",
            false,
        ),
    ] {
        let n = Newsletter::new("retry_delays = [0.2]");
        n.subscribe(4);
        let sink = smtp_sink(&options, true);
        let run = n.send(&["--transport", &sink.url()]);
        assert_code(&run, 1);
        assert_eq!(sink_received(&sink).len(), 0);
        let (code, text) = reply.split_once(' ').unwrap();
        for d in n.ledger() {
            assert_eq!(d.state, "failed", "{options:?}: {d:?}");
            assert_eq!(d.code, Some(code.parse().unwrap()), "{d:?}");
            assert!(d.reply.as_deref().unwrap().contains(text), "{d:?}");
            let status = if bounced { "bounced" } else { "active" };
            assert_eq!(d.status, status, "{options:?}: {d:?}");
        }
        let counts = n.counts();
        assert_eq!((counts["failed"], counts["deferred"]), (4, 0), "{counts:?}");
        // A failed recipient is not retried: the next run has nothing to do.
        assert_code(&n.send(&["--transport", &sink.url()]), 0);
        assert_eq!(n.counts()["failed"], 4);
    }
}

#[test]
fn smtp_sink_without_smtputf8_fails_a_non_ascii_address_at_once() {
    let _machine = shared();
    // smtp-sink does not offer SMTPUTF8, so no retry can deliver to
    // josé@example.org through it: failed (553, as RFC 6531 has such a relay
    // answer), not deferred run after run, and not bounced.
    let n = Newsletter::new("retry_delays = [0.2]");
    n.gazette()
        .args(["subscribers", "add", "josé@example.org"])
        .assert()
        .success();
    let emails = n.subscribe(2);
    let sink = smtp_sink(&[], true);
    let run = n.send(&["--transport", &sink.url()]);
    assert_code(&run, 1);
    let ledger = n.ledger();
    let jose = ledger
        .iter()
        .find(|d| d.email == "josé@example.org")
        .unwrap();
    assert_eq!(
        (jose.state.as_str(), jose.code),
        ("failed", Some(553)),
        "{jose:?}"
    );
    assert!(
        jose.reply.as_deref().unwrap().contains("SMTPUTF8"),
        "{jose:?}"
    );
    assert_eq!(jose.status, "active");
    let received = sink_received(&sink);
    assert_eq!(received.len(), 2);
    assert!(
        received
            .iter()
            .all(|r| emails.contains(&r.rcpt().to_string()))
    );
}

#[test]
fn smtp_sink_disconnects_are_survived_by_reconnecting() {
    let _machine = shared();
    let n = Newsletter::new("retry_delays = []\nrelay_rest = 0.2");
    let emails = n.subscribe(6);

    // A silent disconnect after RCPT, then a 421 and disconnect: each run
    // defers everyone (nothing failed, nobody bounced)...
    for (options, code) in [(["-q", "RCPT"], None), (["-Q", "RCPT"], Some(421))] {
        let sink = smtp_sink(&options, true);
        let run = n.send(&["--transport", &sink.url()]);
        assert_code(&run, 75);
        for d in n.ledger() {
            assert_eq!(
                (d.state.as_str(), d.status.as_str()),
                ("deferred", "active"),
                "{d:?}"
            );
            assert_eq!(d.code, code, "{d:?}");
        }
        assert_eq!(sink_received(&sink).len(), 0);
    }
    // ...and the next run, against a healthy server, sends to each exactly once.
    let sink = smtp_sink(&[], true);
    assert_code(&n.send(&["--transport", &sink.url()]), 0);
    assert_everyone_once(&n, &sink_received(&sink), &emails, 0);
    assert_eq!(n.status().unwrap()["state"], "complete");
}

#[test]
fn smtp_sink_closing_idle_connections_is_survived_within_the_run() {
    let _machine = shared();
    // smtp-sink drops a connection idle for over a second; sending one message
    // every 1.4 s over one connection meets a closed connection each time, and
    // must reconnect rather than defer (no in-run retries are configured).
    let n = Newsletter::new("retry_delays = []");
    let emails = n.subscribe(3);
    let sink = smtp_sink(&["-t", "1"], true);
    let run = n.send(&[
        "--transport",
        &sink.url(),
        "--connections",
        "1",
        "--rate",
        "0.7",
    ]);
    assert_code(&run, 0);
    assert_everyone_once(&n, &sink_received(&sink), &emails, 0);
    assert!(
        sink.log().contains("timeout"),
        "smtp-sink closed nothing: {}",
        sink.log()
    );
}

#[test]
fn smtp_sink_reply_slower_than_the_command_timeout_is_deferred_not_waited_for() {
    let _machine = shared();
    let sink = smtp_sink(&["-W", "DATA:5"], true);
    let relay = format!(
        "[[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n\
         connect_timeout = 1\ncommand_timeout = 1\n",
        sink.port
    );
    let n = Newsletter::new(&format!("{SMTP_TOP}{relay}"));
    n.subscribe(8);
    let run = n.send(&[]);
    assert_code(&run, 75);
    // Eight recipients over four connections, a second each: two rounds.
    assert!(run.seconds < 6.0, "took {:.1} s", run.seconds);
    for d in n.ledger() {
        assert_eq!(d.state, "deferred", "{d:?}");
        assert!(d.reply.as_deref().unwrap().contains("no reply"), "{d:?}");
    }
    assert_eq!(
        sink_received(&sink).iter().filter(|r| r.complete).count(),
        0
    );
}

// ---------------------------------------------------------------------------
// smtp-sink: crashes, signals and the rate.

#[test]
fn kill_9_in_the_middle_of_10000_then_resume_sends_everyone_with_few_duplicates() {
    let _machine = shared();
    let n = Newsletter::new("");
    let emails = n.subscribe(10_000);
    let sink = smtp_sink(&[], true);
    let kill_after = rand::random_range(320..7_000);
    eprintln!("kill -9 after {kill_after} messages");
    let mut running = n.spawn_send(&["--transport", &sink.url()]);
    running.wait_for(|| sink.dump_count() >= kill_after, Duration::from_secs(60));
    running.signal("KILL");
    let killed = running.finish(Duration::from_secs(10));
    assert_eq!(
        killed.code, None,
        "gazette ended before the kill: {killed:?}"
    );
    let before = n.counts();
    assert!(
        before["sent"] >= 300 && before["sent"] < 10_000,
        "{before:?}"
    );

    let run = n.send(&["--transport", &sink.url(), "--json"]);
    assert_code(&run, 0);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(report["sent"].as_u64(), Some(10_000 - before["sent"]));
    let status = n.status().unwrap();
    assert_eq!(status["state"], "complete");
    assert_eq!(status["counts"]["sent"], 10_000);
    let received = sink_received(&sink);
    let extras = assert_everyone_once(&n, &received, &emails, 4);
    eprintln!(
        "killed at {} sent in the ledger; {} copies, {extras} duplicates",
        before["sent"],
        received.len()
    );
}

#[test]
fn sigterm_stops_with_143_and_a_second_run_completes() {
    let _machine = shared();
    let n = Newsletter::new("");
    let emails = n.subscribe(100);
    let sink = smtp_sink(&[], true);
    let mut running = n.spawn_send(&["--transport", &sink.url(), "--rate", "20"]);
    running.wait_for(|| sink.dump_count() >= 10, Duration::from_secs(30));
    running.signal("TERM");
    let signalled = Instant::now();
    let stopped = running.finish(Duration::from_secs(40));
    assert_eq!(stopped.code, Some(143), "{stopped:#?}");
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "took {:?} to stop",
        signalled.elapsed()
    );
    assert!(
        stopped.stderr.contains("stopped by SIGTERM")
            && stopped
                .stderr
                .contains(&format!("Run `gazette send {DRAFT}` again to resume")),
        "{}",
        stopped.stderr
    );
    let counts = n.counts();
    assert!(counts["sent"] >= 10 && counts["sent"] < 100, "{counts:?}");
    assert_eq!(
        counts["sending"], 0,
        "in-flight messages were not recorded: {counts:?}"
    );

    assert_code(&n.send(&["--transport", &sink.url()]), 0);
    assert_everyone_once(&n, &sink_received(&sink), &emails, 4);
    assert_eq!(n.status().unwrap()["counts"]["sent"], 100);
}

#[test]
fn sigterm_while_the_relay_rests_stops_at_once() {
    let _machine = shared();
    // 421 and disconnect: the relay rests for relay_rest (60 s by default)
    // with recipients queued for its connections. A stop must not wait that out.
    let n = Newsletter::new("retry_delays = [1]");
    n.subscribe(20);
    let sink = smtp_sink(&["-Q", "RCPT"], false);
    let mut running = n.spawn_send(&["--transport", &sink.url()]);
    running.wait_for(
        || n.ledger().iter().any(|d| d.state == "deferred"),
        Duration::from_secs(30),
    );
    running.signal("TERM");
    let signalled = Instant::now();
    let stopped = running.finish(Duration::from_secs(40));
    let took = signalled.elapsed();
    assert_eq!(stopped.code, Some(143), "{stopped:#?}");
    assert!(
        stopped.stderr.contains("stopped by SIGTERM"),
        "{}",
        stopped.stderr
    );
    assert!(took < Duration::from_secs(3), "took {took:?} to stop");
    let counts = n.counts();
    assert_eq!((counts["sent"], counts["failed"]), (0, 0), "{counts:?}");
    assert_eq!(counts["sending"], 0, "{counts:?}");
    assert_eq!(counts["pending"] + counts["deferred"], 20, "{counts:?}");
}

#[test]
fn rate_50_sends_500_messages_in_10_seconds() {
    // Alone among these tests, so that its timing is its own.
    let _machine = MACHINE.write().unwrap_or_else(|e| e.into_inner());
    let sink = smtp_sink(&[], false);
    let relay = format!(
        "[[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nrate = 50\n",
        sink.port
    );
    let n = Newsletter::new(&format!("{SMTP_TOP}{relay}"));
    n.subscribe(500);
    let run = n.send(&["--json"]);
    assert_code(&run, 0);
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(report["sent"], 500);
    eprintln!("500 messages at 50/s: {:.2} s", run.seconds);
    assert!(
        (9.5..=10.5).contains(&run.seconds),
        "500 messages at 50/s took {:.2} s, not 10 s within 5%",
        run.seconds
    );
}

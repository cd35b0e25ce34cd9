//! Integration tests: `gazette serve` and `gazette archive`.
//!
//! Each test copies the example newsletter (config and draft) into a
//! temporary directory, starts `gazette serve --listen 127.0.0.1:0` there,
//! reads the URL it prints first, and talks HTTP/1.1 to it over a plain
//! `TcpStream`. Unsubscribe tokens come from real messages (`gazette render
//! --format eml --to ADDRESS`); confirmation emails are caught by Postfix's
//! smtp-sink or the outbox and read with Python's email package in strict
//! mode; the feed is parsed with Python's xml.etree; a browser test drives
//! Debian's Chromium with playwright-core (`tests/tools/browser/`). Every
//! process a test starts is killed when the test ends; a missing tool fails
//! the test, naming its package.

use crate::support::Sink;
use assert_cmd::Command;
use gazette::message::token::Secret;
use gazette::store::{Status, Store, Subscriber};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command as Process, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "an integration-test secret of 32+ bytes";
const DRAFT: &str = "drafts/2026-11-29-41.toml";
const BASE_URL: &str = "https://platformnotes.example";
const LIST_ID: &str = "platform-notes.platformnotes.example";
const CONSENT: &str = "Send me Platform Notes by email.";
const FORM: &str = "application/x-www-form-urlencoded";
/// Lets every sign-up come from its own address (`X-Forwarded-For`).
const BEHIND_PROXY: &str = "[serve]\ntrusted_proxy_header = \"X-Forwarded-For\"\n";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails, naming the package, when a tool is missing.
fn require(path: &Path, package: &str) {
    assert!(
        path.exists(),
        "{} is missing: install {package} (./test.sh does, through tests/tools/install.sh)",
        path.display()
    );
}

fn python3() -> &'static str {
    require(
        Path::new("/usr/bin/python3"),
        "the Debian package `python3`",
    );
    "/usr/bin/python3"
}

/// Polls `ready` until it holds, for at most `limit`.
fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// A newsletter directory, and gazette run in it.

struct Site {
    tmp: tempfile::TempDir,
}

impl Site {
    /// The example newsletter with `settings` (TOML) over its config; its
    /// transport and DKIM settings are dropped first (the outbox is the default).
    fn new(settings: &str) -> Site {
        let site = Site {
            tmp: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir_all(site.root().join("config")).unwrap();
        std::fs::create_dir_all(site.root().join("drafts")).unwrap();
        std::fs::copy(repo().join(DRAFT), site.root().join(DRAFT)).unwrap();
        let example = std::fs::read_to_string(repo().join("config/gazette.toml")).unwrap();
        let mut config: toml::Table = example.parse().unwrap();
        for key in ["transport", "smtp", "dkim"] {
            config.remove(key);
        }
        config.extend(settings.parse::<toml::Table>().unwrap());
        let text = toml::to_string(&config).unwrap();
        std::fs::write(site.root().join("config/gazette.toml"), text).unwrap();
        site
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// `gazette -C ROOT` with the secret, and nothing from the environment
    /// that would change where mail goes or what time it is.
    fn process(&self) -> Process {
        let mut cmd = Process::new(assert_cmd::cargo::cargo_bin("gazette"));
        cmd.arg("-C").arg(self.root()).env("GAZETTE_SECRET", SECRET);
        crate::support::hygiene(&mut cmd);
        cmd
    }

    fn gazette(&self) -> Command {
        let mut cmd = Command::from_std(self.process());
        cmd.timeout(Duration::from_secs(120));
        cmd
    }

    fn add(&self, email: &str) {
        self.gazette()
            .args(["subscribers", "add", email])
            .assert()
            .success();
    }

    fn store(&self) -> Store {
        Store::open(&self.root().join("data/gazette.db")).unwrap()
    }

    fn subscriber(&self, email: &str) -> Option<Subscriber> {
        self.store().get_by_email(email).unwrap()
    }

    fn status(&self, email: &str) -> Option<Status> {
        self.subscriber(email).map(|s| s.status)
    }

    /// The path of the unsubscribe URL in the message `to` would get.
    fn unsubscribe_path(&self, to: &str) -> String {
        let out = self
            .gazette()
            .args(["render", DRAFT, "--format", "eml", "--to", to])
            .assert()
            .success();
        let eml = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let header = unfolded_header(&eml, "List-Unsubscribe").expect("a List-Unsubscribe header");
        let url = header
            .split(['<', '>'])
            .find(|u| u.starts_with("https://"))
            .unwrap();
        url.strip_prefix(BASE_URL).unwrap().to_string()
    }

    /// Adds a copy of the example draft as issue `issue`, dated `date`.
    fn add_draft(&self, issue: u32, date: &str) {
        let text = std::fs::read_to_string(repo().join(DRAFT)).unwrap();
        let text: String = text
            .lines()
            .filter(|l| !l.starts_with("send_at"))
            .map(|l| match l {
                "issue = 41" => format!("issue = {issue}\n"),
                "date = 2026-11-29" => format!("date = {date}\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        let path = self.root().join(format!("drafts/{date}-{issue}.toml"));
        std::fs::write(path, text).unwrap();
    }

    fn serve(&self) -> Server {
        let log = self.root().join(format!("serve-{}.log", rand_suffix()));
        let mut child = self
            .process()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let mut server = Server {
            child,
            _stdout: stdout,
            addr: String::new(),
            log,
        };
        let Some(addr) = first
            .trim()
            .strip_prefix("http://")
            .and_then(|r| r.strip_suffix('/'))
        else {
            panic!("serve printed {first:?}; its log: {}", server.log());
        };
        assert!(addr.starts_with("127.0.0.1:"), "{addr}");
        server.addr = addr.to_string();
        server
    }

    /// Files in the outbox, as text.
    fn outbox(&self) -> Vec<String> {
        let dir = self.root().join("data/outbox/new");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// The value of header `name` with its continuation lines joined.
fn unfolded_header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

// ---------------------------------------------------------------------------
// The server and a small HTTP client.

struct Server {
    child: Child,
    /// Kept open so that the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    addr: String,
    log: PathBuf,
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Server {
    fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    fn post(&self, path: &str, content_type: &str, body: &str) -> Response {
        self.request(
            "POST",
            path,
            &[("Content-Type", content_type)],
            body.as_bytes(),
        )
    }

    /// A sign-up from `ip` (as the proxy header says).
    fn sign_up(&self, email: &str, ip: &str) -> Response {
        let body = format!("email={}&name=", form_encode(email));
        self.request(
            "POST",
            "/subscribe",
            &[("Content-Type", FORM), ("X-Forwarded-For", ip)],
            body.as_bytes(),
        )
    }

    /// One request on its own connection.
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).unwrap();
        // A server may answer (413) before reading a large body.
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        parse_response(&raw)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = String::from_utf8_lossy(&data[..end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The token part of a `/unsubscribe/TOKEN` or `/confirm/TOKEN` path.
fn token_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap()
}

/// An email read by Python's email package with the strict policy.
#[derive(Debug, serde::Deserialize)]
struct Parsed {
    from: String,
    to: String,
    subject: String,
    content_type: String,
    text: String,
    html: String,
}

fn parse_email(path: &Path) -> Parsed {
    const SCRIPT: &str = r#"
import email, json, sys
from email import policy
with open(sys.argv[1], 'rb') as f:
    msg = email.message_from_binary_file(f, policy=policy.strict)
print(json.dumps({
    'from': str(msg['From']), 'to': str(msg['To']), 'subject': str(msg['Subject']),
    'content_type': msg.get_content_type(),
    'text': msg.get_body(('plain',)).get_content(),
    'html': msg.get_body(('html',)).get_content(),
}))
"#;
    let out = Process::new(python3())
        .args(["-c", SCRIPT])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The confirmation path (`/confirm/TOKEN`) in a message's text.
fn confirm_path(text: &str) -> String {
    let at = text
        .find(&format!("{BASE_URL}/confirm/"))
        .expect("a confirm link");
    let url: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ":/.-_".contains(*c))
        .collect();
    url.strip_prefix(BASE_URL).unwrap().to_string()
}

// ---------------------------------------------------------------------------
// Unsubscribing.

#[test]
fn one_click_post_unsubscribes_exactly_that_subscriber_and_get_does_not() {
    let site = Site::new("");
    for who in ["ada", "bob", "cy"] {
        site.add(&format!("{who}@example.org"));
    }
    let bob = site.unsubscribe_path("bob@example.org");
    let cy = site.unsubscribe_path("cy@example.org");
    let server = site.serve();

    // A GET, as a link scanner makes: a page with a button, nothing changed.
    for _ in 0..2 {
        let page = server.get(&bob);
        assert_eq!(page.status, 200, "{page:?}");
        assert!(
            page.body.contains("<form method=\"post\">"),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains("<button type=\"submit\">Unsubscribe</button>")
        );
        // It names the newsletter and the address, partly masked.
        assert!(
            page.body.contains("<strong>b••@example.org</strong>"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("bob@example.org"),
            "the address is masked"
        );
        assert_eq!(site.status("bob@example.org"), Some(Status::Active));
    }

    // RFC 8058's one-click POST, form-encoded.
    let done = server.post(&bob, FORM, "List-Unsubscribe=One-Click");
    assert_eq!(done.status, 200, "{done:?}");
    assert!(done.body.contains("You are unsubscribed"), "{}", done.body);
    for absent in ["location", "set-cookie"] {
        assert_eq!(done.header(absent), None, "{absent}: {done:?}");
    }
    assert_eq!(done.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(done.header("cache-control"), Some("no-store"));
    assert_eq!(site.status("bob@example.org"), Some(Status::Unsubscribed));
    assert_eq!(site.status("ada@example.org"), Some(Status::Active));
    assert_eq!(site.status("cy@example.org"), Some(Status::Active));
    let when = site.subscriber("bob@example.org").unwrap().unsubscribed;

    // Idempotent: the same answer, and the first unsubscription stands.
    let again = server.post(&bob, FORM, "List-Unsubscribe=One-Click");
    assert_eq!((again.status, &again.body), (200, &done.body));
    assert_eq!(
        site.subscriber("bob@example.org").unwrap().unsubscribed,
        when
    );

    // The same as multipart/form-data, which RFC 8058 prefers.
    let boundary = "----gazette-test-boundary";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n\
         One-Click\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let done = server.post(&cy, &content_type, &multipart);
    assert_eq!(done.status, 200, "{done:?}");
    assert_eq!(site.status("cy@example.org"), Some(Status::Unsubscribed));
    assert_eq!(site.status("ada@example.org"), Some(Status::Active));

    // One log line per request, the token redacted.
    let log = server.log();
    assert!(
        log.contains("gazette: GET /unsubscribe/[token] 200 "),
        "{log}"
    );
    assert!(
        log.contains("gazette: POST /unsubscribe/[token] 200 "),
        "{log}"
    );
    for token in [token_of(&bob), token_of(&cy)] {
        assert!(!log.contains(token), "{log}");
    }
}

#[test]
fn forged_truncated_and_foreign_tokens_get_400_and_change_nothing() {
    let site = Site::new("");
    site.add("ada@example.org");
    let genuine = site.unsubscribe_path("ada@example.org");
    let token = token_of(&genuine).to_string();
    let id = site.subscriber("ada@example.org").unwrap().id as u64;
    let secret = Secret::new(SECRET.as_bytes(), "test").unwrap();
    let other_secret = Secret::new(b"another secret, also 32 bytes or more", "test").unwrap();
    let mut last = token.clone().into_bytes();
    *last.last_mut().unwrap() = if last[35] == b'A' { b'B' } else { b'A' };
    let forged = [
        String::from_utf8(last).unwrap(),
        token[..35].to_string(),
        format!("{token}A"),
        "A".repeat(36),
        secret.unsubscribe_token("another-list.example.org", id),
        other_secret.unsubscribe_token(LIST_ID, id),
        secret.confirm_token(LIST_ID, id, i64::MAX),
        "%3Cscript%3E".to_string(),
    ];
    let server = site.serve();
    let first = server.get(&format!("/unsubscribe/{}", forged[0]));
    assert_eq!(first.status, 400, "{first:?}");
    assert!(
        first.body.contains("This link does not work"),
        "{}",
        first.body
    );
    for bad in &forged {
        let path = format!("/unsubscribe/{bad}");
        for answer in [
            server.get(&path),
            server.post(&path, FORM, "List-Unsubscribe=One-Click"),
        ] {
            assert_eq!(answer.status, 400, "{bad}: {answer:?}");
            // The same plain page for every bad token: it names nobody.
            assert_eq!(answer.body, first.body, "{bad}");
        }
        // (A genuine confirmation token is not a bad one at /confirm.)
        if bad != &forged[6] {
            let confirm = server.post(&format!("/confirm/{bad}"), FORM, "");
            assert_eq!((confirm.status, &confirm.body), (400, &first.body), "{bad}");
        }
    }
    assert!(!first.body.contains("ada"));
    assert_eq!(site.status("ada@example.org"), Some(Status::Active));
    // And the genuine one still works.
    assert_eq!(
        server
            .post(&genuine, FORM, "List-Unsubscribe=One-Click")
            .status,
        200
    );
    assert_eq!(site.status("ada@example.org"), Some(Status::Unsubscribed));
}

#[test]
fn a_test_send_token_gets_the_same_answer_and_changes_nothing() {
    let site = Site::new("");
    site.add("ada@example.org");
    site.add("bob@example.org");
    // Not a subscriber: a test send, whose token names subscriber 0.
    let test_send = site.unsubscribe_path("Someone Else <someone@elsewhere.example>");
    let zero = Secret::new(SECRET.as_bytes(), "t")
        .unwrap()
        .unsubscribe_token(LIST_ID, 0);
    assert_eq!(token_of(&test_send), zero);
    let bob = site.unsubscribe_path("bob@example.org");
    let server = site.serve();

    assert_eq!(server.get(&test_send).status, 200);
    let answer = server.post(&test_send, FORM, "List-Unsubscribe=One-Click");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(site.status("ada@example.org"), Some(Status::Active));
    assert_eq!(site.status("bob@example.org"), Some(Status::Active));
    let real = server.post(&bob, FORM, "List-Unsubscribe=One-Click");
    assert_eq!(answer.body, real.body);
}

#[test]
fn a_browser_unsubscribes_with_the_pages_button() {
    let browser_dir = repo().join("tests/tools/browser");
    require(
        Path::new("/usr/bin/chromium"),
        "the Debian package `chromium`",
    );
    require(Path::new("/usr/bin/node"), "the Debian package `nodejs`");
    require(
        &browser_dir.join("node_modules/playwright-core/package.json"),
        "the npm package `playwright-core` (npm ci in tests/tools/browser)",
    );
    let site = Site::new("");
    site.add("ada@example.org");
    site.add("bob@example.org");
    let ada = site.unsubscribe_path("ada@example.org");
    let server = site.serve();
    let shots = repo().join("target/browser");
    for n in [1, 2] {
        let _ = std::fs::remove_file(shots.join(format!("unsubscribe-{n}.png")));
    }

    let url = format!("http://{}{ada}", server.addr);
    let run = Script::run(
        Process::new("/usr/bin/node")
            .arg(browser_dir.join("unsubscribe.mjs"))
            .arg(&url)
            .arg(&shots),
        Duration::from_secs(90),
    );
    let report: serde_json::Value = serde_json::from_str(run.stdout.trim())
        .unwrap_or_else(|_| panic!("unsubscribe.mjs printed {run:?}"));
    assert_eq!(report["ok"], true, "{report:#}\n{}", run.stderr);
    assert_eq!(report["pages"][1]["heading"], "You are unsubscribed");

    assert_eq!(site.status("ada@example.org"), Some(Status::Unsubscribed));
    assert_eq!(site.status("bob@example.org"), Some(Status::Active));
    for n in [1, 2] {
        let png = std::fs::read(shots.join(format!("unsubscribe-{n}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);
    }
}

/// A child process in its own process group, killed with the group (a
/// browser included) if it outlives its limit or the test.
#[derive(Debug)]
struct Script {
    stdout: String,
    stderr: String,
}

struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let pgid = self.0.id() as i32;
        // `-s KILL --` matters: procps-ng 4.0's kill misreads `-KILL -PGID`
        // and signals some other group, or every process.
        let _ = Process::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pgid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.wait();
    }
}

impl Script {
    fn run(cmd: &mut Process, limit: Duration) -> Script {
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let (out, err) = (dir.path().join("out"), dir.path().join("err"));
        let child = cmd
            .process_group(0)
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let mut group = Group(child);
        let start = Instant::now();
        while group.0.try_wait().unwrap().is_none() {
            assert!(start.elapsed() < limit, "{cmd:?} ran over {limit:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(group);
        Script {
            stdout: std::fs::read_to_string(out).unwrap(),
            stderr: std::fs::read_to_string(err).unwrap(),
        }
    }
}

// ---------------------------------------------------------------------------
// Signing up.

#[test]
fn double_opt_in_round_trip_with_the_email_caught_by_smtp_sink() {
    let sink_dir = tempfile::tempdir().unwrap();
    let sink = Sink::start(sink_dir.path());
    let site = Site::new(&format!(
        "transport = \"smtp\"\n{BEHIND_PROXY}\n[[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
        sink.port
    ));
    let server = site.serve();

    let form = server.get("/subscribe");
    assert_eq!(form.status, 200);
    assert!(form.body.contains(CONSENT), "{}", form.body);
    assert!(form.body.contains("name=\"email\""));
    assert_eq!(server.get("/").body, form.body);

    let answer = server.request(
        "POST",
        "/subscribe",
        &[
            ("Content-Type", FORM),
            ("X-Forwarded-For", "192.0.2.1, 198.51.100.23"),
        ],
        b"email=New.Reader%40Example.ORG&name=New+Reader",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("Check your inbox"));
    let pending = site.subscriber("new.reader@example.org").unwrap();
    assert_eq!(pending.email, "New.Reader@example.org");
    assert_eq!(pending.status, Status::Pending);
    assert_eq!(pending.source.to_string(), "form");
    assert_eq!(pending.name.as_deref(), Some("New Reader"));
    assert!(
        pending
            .consent
            .text
            .as_deref()
            .unwrap()
            .starts_with(CONSENT)
    );
    // The right-most address: the one the proxy added.
    assert_eq!(pending.consent.ip.as_deref(), Some("198.51.100.23"));

    // The confirmation, as smtp-sink received it.
    let dumps = sink_dir.path().join("sink");
    // smtp-sink creates the file first and fills it as the message arrives:
    // wait until it holds the whole message (its closing MIME boundary).
    wait_for("the confirmation email", Duration::from_secs(20), || {
        std::fs::read_dir(&dumps).unwrap().flatten().any(|e| {
            std::fs::read_to_string(e.path())
                .is_ok_and(|t| t.contains("X-Rcpt-Args:") && t.trim_end().ends_with("--"))
        })
    });
    let file = std::fs::read_dir(&dumps)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(sink.recipients(), ["New.Reader@example.org"]);
    let mail = parse_email(&file);
    assert_eq!(mail.from, "Platform Notes <editor@platformnotes.example>");
    assert_eq!(mail.to, "New Reader <New.Reader@example.org>");
    assert_eq!(mail.subject, "Confirm your subscription to Platform Notes");
    assert_eq!(mail.content_type, "multipart/alternative");
    let path = confirm_path(&mail.text);
    assert!(mail.html.contains(&format!("{BASE_URL}{path}")));

    // GET shows a button and changes nothing; POST confirms.
    let page = server.get(&path);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body
            .contains("<form method=\"post\"><button type=\"submit\">Confirm subscription")
    );
    assert_eq!(site.status("new.reader@example.org"), Some(Status::Pending));
    let done = server.post(&path, FORM, "");
    assert_eq!(done.status, 200, "{done:?}");
    assert!(done.body.contains("You are subscribed"));
    let active = site.subscriber("new.reader@example.org").unwrap();
    assert_eq!(active.status, Status::Active);
    assert!(active.confirmed.is_some());
    assert_eq!(active.consent.how.as_deref(), Some("form"));
    assert_eq!(active.consent.ip.as_deref(), Some("198.51.100.23"));
    // Again (a double click, a second tab): the same page, nothing changes.
    assert_eq!(server.post(&path, FORM, "").body, done.body);
    assert_eq!(server.get(&path).body, done.body);
    assert_eq!(site.subscriber("new.reader@example.org").unwrap(), active);

    // An expired link, though genuine, does not work.
    let secret = Secret::new(SECRET.as_bytes(), "t").unwrap();
    let expired = secret.confirm_token(LIST_ID, active.id as u64, 1_700_000_000);
    assert_eq!(
        server.post(&format!("/confirm/{expired}"), FORM, "").status,
        400
    );
    let log = server.log();
    assert!(log.contains("gazette: POST /confirm/[token] 200 "), "{log}");
    assert!(!log.contains(token_of(&path)), "{log}");
}

#[test]
fn sign_ups_answer_alike_whatever_the_state_and_forgotten_addresses_stay_out() {
    let site = Site::new(BEHIND_PROXY);
    site.add("active@example.org");
    site.add("left@example.org");
    site.gazette()
        .args(["subscribers", "remove", "left@example.org"])
        .assert()
        .success();
    site.add("gone@example.org");
    site.gazette()
        .args(["subscribers", "forget", "gone@example.org"])
        .assert()
        .success();
    let server = site.serve();
    assert_eq!(
        server.sign_up("pending@example.org", "192.0.2.10").status,
        200
    );
    assert_eq!(site.status("pending@example.org"), Some(Status::Pending));

    let addresses = [
        "new@example.org",
        "pending@example.org",
        "active@example.org",
        "ACTIVE@example.org",
        "left@example.org",
        "gone@example.org",
        "Gone@Example.org",
    ];
    let answers: Vec<Response> = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| server.sign_up(a, &format!("192.0.2.{}", 20 + i)))
        .collect();
    for (a, r) in addresses.iter().zip(&answers) {
        assert_eq!(r.status, 200, "{a}: {r:?}");
        assert_eq!(r.body, answers[0].body, "{a}");
        assert_eq!(
            r.header("content-length"),
            answers[0].header("content-length")
        );
    }

    assert_eq!(site.status("new@example.org"), Some(Status::Pending));
    assert_eq!(site.status("pending@example.org"), Some(Status::Pending));
    assert_eq!(site.status("active@example.org"), Some(Status::Active));
    // Someone who left stays so until they confirm.
    assert_eq!(site.status("left@example.org"), Some(Status::Unsubscribed));
    assert_eq!(site.subscriber("gone@example.org"), None);
    assert!(site.store().is_suppressed("gone@example.org").unwrap());

    // Confirmations went to new, pending (twice) and left; none to active or gone.
    let expected = [
        "left@example.org",
        "new@example.org",
        "pending@example.org",
        "pending@example.org",
    ];
    wait_for(
        "four confirmations in the outbox",
        Duration::from_secs(20),
        || site.outbox().len() >= expected.len(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut to: Vec<String> = site
        .outbox()
        .iter()
        .map(|m| unfolded_header(m, "Delivered-To").unwrap())
        .collect();
    to.sort();
    assert_eq!(to, expected);
}

#[test]
fn bad_sign_ups_are_refused_with_every_value_escaped() {
    let site = Site::new(BEHIND_PROXY);
    let server = site.serve();
    let evil = "\"><script>alert(1)</script>";
    let answer = server.request(
        "POST",
        "/subscribe",
        &[("Content-Type", FORM)],
        format!("email={}&name={}", form_encode(evil), form_encode(evil)).as_bytes(),
    );
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("does not look like an email address"));
    assert!(!answer.body.contains("<script>"), "{}", answer.body);
    assert!(
        answer
            .body
            .contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"")
    );

    let not_a_form = server.post("/subscribe", "text/plain", "email=a@example.org");
    assert_eq!(not_a_form.status, 400, "{not_a_form:?}");
    // Bodies are limited to 16 KiB.
    let big = format!("email=a%40example.org&name={}", "x".repeat(20 * 1024));
    assert_eq!(server.post("/subscribe", FORM, &big).status, 413);
    assert_eq!(site.store().counts().unwrap().total(), 0);
    assert_eq!(server.get("/nothing-here").status, 404);
}

#[test]
fn rate_limits_answer_429_per_ip_and_per_address() {
    let site = Site::new(BEHIND_PROXY);
    let server = site.serve();
    // At most 5 sign-ups an hour from one IP...
    for i in 0..5 {
        let answer = server.sign_up(&format!("reader{i}@example.org"), "203.0.113.5");
        assert_eq!(answer.status, 200, "{i}: {answer:?}");
    }
    let refused = server.sign_up("reader5@example.org", "203.0.113.5");
    assert_eq!(refused.status, 429, "{refused:?}");
    assert!(refused.body.contains("Too many requests"));
    assert_eq!(refused.header("retry-after"), Some("3600"));
    assert_eq!(site.subscriber("reader5@example.org"), None);
    assert_eq!(
        server.sign_up("reader5@example.org", "203.0.113.6").status,
        200
    );

    // ...and 3 a day for one address, from wherever.
    for i in 0..3 {
        let answer = server.sign_up("popular@example.org", &format!("198.51.100.{i}"));
        assert_eq!(answer.status, 200, "{i}: {answer:?}");
    }
    let refused_too = server.sign_up("popular@example.org", "198.51.100.9");
    assert_eq!(refused_too.status, 429);
    assert_eq!(refused_too.body, refused.body);

    // Without a trusted proxy header, the header is ignored: every request
    // comes from 127.0.0.1.
    let direct = Site::new("");
    let server = direct.serve();
    for i in 0..5 {
        let answer = server.sign_up(&format!("d{i}@example.org"), &format!("192.0.2.{i}"));
        assert_eq!(answer.status, 200, "{i}: {answer:?}");
    }
    assert_eq!(server.sign_up("d5@example.org", "192.0.2.99").status, 429);
    let d0 = direct.subscriber("d0@example.org").unwrap();
    assert_eq!(d0.consent.ip.as_deref(), Some("127.0.0.1"));
}

// ---------------------------------------------------------------------------
// The archive and its feed.

/// The feed as xml.etree reads it, checking Atom's required elements.
fn parse_feed(xml: &str) -> serde_json::Value {
    const SCRIPT: &str = r#"
import json, sys, datetime
import xml.etree.ElementTree as ET
A = '{http://www.w3.org/2005/Atom}'
root = ET.fromstring(sys.stdin.buffer.read())
def when(text):
    return datetime.datetime.fromisoformat(text.replace('Z', '+00:00')).isoformat()
print(json.dumps({
    'tag': root.tag,
    'id': root.findtext(A + 'id'),
    'title': root.findtext(A + 'title'),
    'updated': when(root.findtext(A + 'updated')),
    'author': root.findtext(A + 'author/' + A + 'name'),
    'self': [l.get('href') for l in root.findall(A + 'link') if l.get('rel') == 'self'],
    'entries': [{
        'id': e.findtext(A + 'id'),
        'title': e.findtext(A + 'title'),
        'updated': when(e.findtext(A + 'updated')),
        'link': e.find(A + 'link').get('href'),
    } for e in root.findall(A + 'entry')],
}))
"#;
    let mut child = Process::new(python3())
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_archive_and_the_feed_list_only_sent_issues() {
    let site = Site::new("");
    site.add_draft(42, "2026-12-06");
    site.add_draft(43, "2026-12-13");
    site.add("ada@example.org");
    site.gazette()
        .args(["send", DRAFT, "--yes"])
        .assert()
        .success();
    // Issue 43's send has begun but not finished: it is published too.
    let subject_43 = "Platform Notes #43 - 13th December 2026";
    site.store()
        .begin_send(43, subject_43, 1_796_000_000, false)
        .unwrap();
    let server = site.serve();

    let index = server.get("/archive");
    assert_eq!(index.status, 200);
    let (at_43, at_41) = (
        index
            .body
            .find("href=\"/archive/43\"")
            .expect("issue 43 listed"),
        index
            .body
            .find("href=\"/archive/41\"")
            .expect("issue 41 listed"),
    );
    assert!(at_43 < at_41, "newest first");
    assert!(!index.body.contains("/archive/42"), "{}", index.body);
    assert_eq!(server.get("/archive/").body, index.body);

    let page = server.get("/archive/41");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("On-call handovers"));
    assert!(page.body.contains("href=\"/subscribe\""));
    for personal in [
        "gazette:unsubscribe-url",
        "/unsubscribe/",
        "You are receiving",
    ] {
        assert!(!page.body.contains(personal), "{personal}");
    }
    for missing in ["/archive/42", "/archive/999", "/archive/abc"] {
        assert_eq!(server.get(missing).status, 404, "{missing}");
    }

    let feed = server.get("/feed.xml");
    assert_eq!(feed.status, 200);
    assert_eq!(
        feed.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    let parsed = parse_feed(&feed.body);
    assert_eq!(parsed["tag"], "{http://www.w3.org/2005/Atom}feed");
    assert_eq!(parsed["id"], format!("{BASE_URL}/feed.xml"));
    assert_eq!(parsed["title"], "Platform Notes");
    assert_eq!(parsed["self"][0], format!("{BASE_URL}/feed.xml"));
    let entries = parsed["entries"].as_array().unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            format!("{BASE_URL}/archive/43"),
            format!("{BASE_URL}/archive/41")
        ]
    );
    assert_eq!(entries[0]["title"], subject_43);
    assert_eq!(
        entries[1]["title"],
        "Platform Notes #41 - 29th November 2026"
    );
    assert_eq!(entries[0]["link"], format!("{BASE_URL}/archive/43"));
    assert_eq!(parsed["updated"], entries[0]["updated"]);

    // The static archive: the same bytes at the paths they are served from.
    let out = site.root().join("public");
    site.gazette()
        .args(["archive", "--out"])
        .arg(&out)
        .assert()
        .success();
    let read = |rel: &str| std::fs::read_to_string(out.join(rel)).unwrap();
    assert_eq!(read("archive/index.html"), index.body);
    assert_eq!(read("archive/41/index.html"), page.body);
    assert_eq!(
        read("archive/43/index.html"),
        server.get("/archive/43").body
    );
    assert_eq!(read("feed.xml"), feed.body);
    assert!(!out.join("archive/42").exists());
}

#[test]
fn a_bad_serve_table_is_pointed_at() {
    let site = Site::new("[serve]\ntrusted_proxy_header = \"X Forwarded For\"\n");
    let out = site
        .gazette()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("config/gazette.toml:"), "{stderr}");
    assert!(
        stderr.contains("`X Forwarded For` is not an HTTP header name"),
        "{stderr}"
    );
}

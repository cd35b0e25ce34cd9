//! The one newsletter builder: a newsletter directory in a temporary
//! directory, and gazette run on it.

use super::http::Served;
use super::process::{Run, Running, hygiene};
use super::{Config, DRAFT, NOW, SECRET, Source, Status, Store, Subscriber, draft, repo};
use assert_cmd::Command;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

/// A newsletter directory, `newsletter/` inside a temporary directory. Gazette
/// runs from the temporary directory with `-C newsletter`, so that a relative
/// path can only be found through `-C`.
pub struct Newsletter {
    tmp: tempfile::TempDir,
    now: String,
    secret: bool,
}

/// One row of the ledger, with the subscriber's status.
#[derive(Debug)]
pub struct Delivery {
    pub email: String,
    pub state: String,
    pub code: Option<i64>,
    pub reply: Option<String>,
    pub message_id: Option<String>,
    pub status: String,
}

impl Newsletter {
    fn empty() -> Newsletter {
        let n = Newsletter {
            tmp: tempfile::tempdir().unwrap(),
            now: NOW.to_string(),
            secret: true,
        };
        std::fs::create_dir_all(n.root().join("config")).unwrap();
        n
    }

    /// Nothing at all: the newsletter directory does not exist yet (for `init`).
    pub fn uninitialised() -> Newsletter {
        Newsletter {
            tmp: tempfile::tempdir().unwrap(),
            now: NOW.to_string(),
            secret: true,
        }
    }

    /// The repository's example config and issue #41, as a fresh clone has
    /// them (no data/).
    pub fn example() -> Newsletter {
        Newsletter::copy_of(&repo(), &["config/gazette.toml", DRAFT])
    }

    /// The example with `settings` over its config (see [`Newsletter::configure`]).
    pub fn new(settings: &str) -> Newsletter {
        let n = Newsletter::example();
        n.configure(settings);
        n
    }

    /// The fixture whose draft holds the hard content (`tests/fixtures/newsletter/`).
    pub fn fixture() -> Newsletter {
        Newsletter::copy_of(
            &repo().join("tests/fixtures/newsletter"),
            &["config/gazette.toml", "drafts/2026-12-04-7.toml"],
        )
    }

    /// Only `config/gazette.toml`, holding `config`.
    pub fn with_config(config: &str) -> Newsletter {
        let n = Newsletter::empty();
        n.write("config/gazette.toml", config);
        n
    }

    fn copy_of(from: &Path, files: &[&str]) -> Newsletter {
        let n = Newsletter::empty();
        std::fs::create_dir_all(n.root().join("drafts")).unwrap();
        for file in files {
            std::fs::copy(from.join(file), n.root().join(file)).unwrap();
        }
        n
    }

    /// Commands run at `now` (RFC 3339) rather than [`NOW`].
    pub fn at(mut self, now: &str) -> Newsletter {
        self.now = now.to_string();
        self
    }

    /// Commands run without `GAZETTE_SECRET`.
    pub fn without_secret(mut self) -> Newsletter {
        self.secret = false;
        self
    }

    /// Writes the example config with `settings` (TOML: top-level keys and
    /// `[[smtp]]` tables) over it. The example's own transport and DKIM
    /// settings are dropped first, so that a send goes where the test says
    /// (the outbox is the default).
    pub fn configure(&self, settings: &str) {
        let example = std::fs::read_to_string(repo().join("config/gazette.toml")).unwrap();
        let mut config: toml::Table = example.parse().unwrap();
        for key in ["transport", "smtp", "dkim"] {
            config.remove(key);
        }
        config.extend(settings.parse::<toml::Table>().unwrap());
        self.write("config/gazette.toml", &toml::to_string(&config).unwrap());
    }

    /// The newsletter directory.
    pub fn root(&self) -> PathBuf {
        self.tmp.path().join("newsletter")
    }

    /// The temporary directory around it, which commands run from.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Adds a copy of the example draft as issue `issue`, dated `date`, its
    /// `send_at` set to `send_at` or left out.
    pub fn add_draft(&self, issue: u32, date: &str, send_at: Option<&str>) {
        let text = std::fs::read_to_string(repo().join(DRAFT)).unwrap();
        let text: String = text
            .lines()
            .filter_map(|l| match l {
                "issue = 41" => Some(format!("issue = {issue}\n")),
                "date = 2026-11-29" => Some(format!("date = {date}\n")),
                _ if l.starts_with("send_at") => send_at.map(|s| format!("send_at = {s}\n")),
                _ => Some(format!("{l}\n")),
            })
            .collect();
        self.write(&format!("drafts/{date}-{issue}.toml"), &text);
    }

    // -----------------------------------------------------------------------
    // Running gazette.

    /// `gazette -C ROOT` as a plain process under [`hygiene`], at this
    /// newsletter's "now", with [`SECRET`] (unless `without_secret`).
    pub fn process(&self) -> Process {
        let mut cmd = Process::new(assert_cmd::cargo::cargo_bin("gazette"));
        cmd.current_dir(self.dir()).arg("-C").arg(self.root());
        hygiene(&mut cmd).env("GAZETTE_NOW", &self.now);
        if self.secret {
            cmd.env("GAZETTE_SECRET", SECRET);
        } else {
            cmd.env_remove("GAZETTE_SECRET");
        }
        cmd
    }

    /// The same, to run to its end (at most two minutes).
    pub fn gazette(&self) -> Command {
        let mut cmd = Command::from_std(self.process());
        cmd.timeout(Duration::from_secs(120));
        cmd
    }

    /// Runs a command that must succeed and returns its stdout.
    pub fn stdout(&self, args: &[&str]) -> String {
        let out = self.gazette().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    }

    /// Runs a command that must exit with `code` and returns its stderr.
    pub fn stderr(&self, args: &[&str], code: i32) -> String {
        let out = self.gazette().args(args).assert().code(code);
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    }

    /// `gazette ARGS...` with `env` set, timed.
    pub fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
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

    /// `gazette send DRAFT --yes ARGS...`, timed.
    pub fn send(&self, args: &[&str]) -> Run {
        self.run(&[&["send", DRAFT, "--yes"], args].concat(), &[])
    }

    /// `gazette send DRAFT --yes ARGS...` with GAZETTE_SMTP_PASSWORD set.
    pub fn send_with_password(&self, password: &str, args: &[&str]) -> Run {
        self.run(
            &[&["send", DRAFT, "--yes"], args].concat(),
            &[("GAZETTE_SMTP_PASSWORD", password)],
        )
    }

    /// `gazette send DRAFT --yes ARGS...` in the background, to be signalled.
    pub fn spawn_send(&self, args: &[&str]) -> Running {
        let child = self
            .process()
            .args(["send", DRAFT, "--yes"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Running::new(child)
    }

    /// `gazette serve --listen 127.0.0.1:0`, once it has printed its URL.
    pub fn serve(&self) -> Served {
        Served::start(
            self.process().args(["serve", "--listen", "127.0.0.1:0"]),
            &self.root(),
        )
    }

    /// `gazette preview DRAFT --port 0`, once it has printed its URL.
    pub fn preview(&self, draft: &str) -> Served {
        Served::start(
            self.process().args(["preview", draft, "--port", "0"]),
            &self.root(),
        )
    }

    // -----------------------------------------------------------------------
    // Subscribers.

    /// `gazette subscribers ARGS...`.
    pub fn subscribers(&self, args: &[&str]) -> Command {
        let mut cmd = self.gazette();
        cmd.arg("subscribers").args(args);
        cmd
    }

    /// `gazette subscribers add EMAIL`, which must succeed.
    pub fn add(&self, email: &str) {
        self.subscribers(&["add", email]).assert().success();
    }

    /// Imports `emails` from a CSV file of one bare column.
    pub fn subscribe_all(&self, emails: &[String]) {
        let csv = self.dir().join("readers.csv");
        std::fs::write(&csv, emails.join("\n") + "\n").unwrap();
        self.gazette()
            .args(["subscribers", "import"])
            .arg(&csv)
            .assert()
            .success();
    }

    /// Imports `n` subscribers, `reader1@example.org` and on; returns their addresses.
    pub fn subscribe(&self, n: usize) -> Vec<String> {
        let emails: Vec<String> = (1..=n).map(|i| format!("reader{i}@example.org")).collect();
        self.subscribe_all(&emails);
        emails
    }

    /// `gazette subscribers import FILE EXTRA...`: the exit code and standard error.
    pub fn import(&self, file: &Path, extra: &[&str]) -> (i32, String) {
        let mut args = vec!["import", file.to_str().unwrap()];
        args.extend(extra);
        let out = self.subscribers(&args).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        (out.status.code().unwrap(), stderr)
    }

    // -----------------------------------------------------------------------
    // What gazette wrote.

    pub fn db_path(&self) -> PathBuf {
        self.path("data/gazette.db")
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db_path()).unwrap()
    }

    pub fn store(&self) -> Store {
        Store::open(&self.db_path()).unwrap()
    }

    pub fn subscriber(&self, email: &str) -> Option<Subscriber> {
        self.store().get_by_email(email).unwrap()
    }

    pub fn subscriber_status(&self, email: &str) -> Option<Status> {
        self.subscriber(email).map(|s| s.status)
    }

    /// Subscriber ids by address.
    pub fn subscriber_ids(&self) -> HashMap<String, i64> {
        let db = self.db();
        let mut stmt = db.prepare("SELECT email, id FROM subscribers").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// `gazette status DRAFT --json`: the issue's entry, or `None` before its send.
    pub fn status(&self) -> Option<serde_json::Value> {
        let run = self.run(&["status", DRAFT, "--json"], &[]);
        assert_eq!(run.code, Some(0), "{run:?}");
        let value: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
        value.as_array().unwrap().first().cloned()
    }

    /// The issue's counts per state from `gazette status`.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let status = self.status().expect("the issue has a send");
        status["counts"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_u64()?)))
            .collect()
    }

    /// Every ledger row, in subscriber order.
    pub fn ledger(&self) -> Vec<Delivery> {
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

    /// Files in the outbox, as text.
    pub fn outbox(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.path("data/outbox/new")) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }

    /// The path of the unsubscribe URL in the message `to` would get.
    pub fn unsubscribe_path(&self, to: &str) -> String {
        let eml = self.stdout(&["render", DRAFT, "--format", "eml", "--to", to]);
        let header =
            super::unfolded_header(&eml, "List-Unsubscribe").expect("a List-Unsubscribe header");
        let url = header
            .split(['<', '>'])
            .find(|u| u.starts_with("https://"))
            .unwrap();
        url.strip_prefix(super::BASE_URL).unwrap().to_string()
    }

    /// Every URL of a draft, through the library.
    pub fn links(&self, rel: &str) -> Vec<String> {
        let config = Config::load(&self.root()).unwrap();
        let source = Source::new(rel, self.read(rel));
        let (draft, _) = draft::parse(&source, &config).unwrap();
        draft.links().iter().map(|l| l.url.clone()).collect()
    }
}

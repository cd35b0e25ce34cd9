//! Processes: the one environment policy for gazette, a finished run, a run in
//! the background, and a script run in its own process group.

use super::NOW;
use std::process::{Child, Command as Process};
use std::time::{Duration, Instant};

/// The one environment policy for running the binary: nothing from the
/// environment that would change where mail goes, and "now" fixed at [`NOW`]
/// (a test may set `GAZETTE_NOW` again after this).
pub fn hygiene(cmd: &mut Process) -> &mut Process {
    for var in [
        "GAZETTE_TRANSPORT",
        "GAZETTE_SMTP_PASSWORD",
        "GAZETTE_DNS_SERVER",
        "GAZETTE_IMAP_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GAZETTE_NOW", NOW)
}

/// One finished gazette command.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub seconds: f64,
}

impl Run {
    /// Fails, showing the whole run, unless it exited with `code`.
    pub fn assert_code(&self, code: i32) {
        assert_eq!(self.code, Some(code), "{self:#?}");
    }
}

/// A gazette process started in the background; killed if the test ends first.
pub struct Running {
    child: Option<Child>,
    started: Instant,
}

impl Running {
    pub fn new(child: Child) -> Running {
        Running {
            child: Some(child),
            started: Instant::now(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Polls `ready` until it holds; fails if gazette ends first or `limit` passes.
    pub fn wait_for(&mut self, ready: impl Fn() -> bool, limit: Duration) {
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

    /// Sends signal `name` (such as `TERM`) to the process itself.
    pub fn signal(&self, name: &str) {
        let ok = Process::new("kill")
            .args(["-s", name, &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -s {name} failed");
    }

    /// Waits for the process to end (at most `limit`).
    pub fn finish(mut self, limit: Duration) -> Run {
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

/// A finished child process that ran in its own process group, killed with the
/// group (a browser included) if it outlived its limit or the test.
#[derive(Debug)]
pub struct Script {
    pub stdout: String,
    pub stderr: String,
}

pub(super) struct Group(pub(super) Child);

impl Drop for Group {
    fn drop(&mut self) {
        let pgid = self.0.id() as i32;
        // `-s KILL --` matters: procps-ng 4.0's kill misreads `-KILL -PGID`
        // and signals some other group, or every process.
        let _ = Process::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pgid}")])
            .stderr(std::process::Stdio::null())
            .status();
        let _ = self.0.wait();
    }
}

impl Script {
    pub fn run(cmd: &mut Process, limit: Duration) -> Script {
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

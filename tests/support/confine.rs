//! Running gazette confined: through a wrapper such as `prlimit` (a
//! descriptor limit) or `setpriv` (another user, so that root cannot write
//! what it should not), for the tests of serve's limits and of read-only data.

use super::http::Served;
use super::newsletter::Newsletter;
use std::path::Path;
use std::process::Command as Process;

impl Newsletter {
    /// `gazette serve --listen 127.0.0.1:0` run through `wrapper` (such as
    /// `["prlimit", "--nofile=1024:1024", "--"]`), once it has printed its URL.
    pub fn serve_through(&self, wrapper: &[&str]) -> Served {
        let mut inner = self.process();
        inner.args(["serve", "--listen", "127.0.0.1:0"]);
        Served::start(&mut wrapped(&inner, wrapper), &self.root())
    }

    /// Makes `data/` and the database unwritable, and returns the wrapper
    /// that runs gazette so that it really cannot write them: as root, whom
    /// modes do not stop, `setpriv` runs it as `nobody` (the directories up to
    /// the database are opened to others for reading); otherwise none is
    /// needed. [`Newsletter::writable_again`] undoes the modes.
    pub fn read_only_data(&self) -> Vec<&'static str> {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        mode(self.dir(), 0o755);
        mode(&self.root(), 0o755);
        mode(&self.db_path(), 0o444);
        mode(&self.path("data"), 0o555);
        if super::is_root() {
            vec![
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--",
            ]
        } else {
            vec!["env"]
        }
    }

    /// Makes `data/` and the database writable again.
    pub fn writable_again(&self) {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        mode(&self.path("data"), 0o755);
        mode(&self.db_path(), 0o600);
    }

    /// `gazette ARGS...` run through `wrapper` (as [`Newsletter::serve_through`]).
    pub fn process_through(&self, wrapper: &[&str], args: &[&str]) -> Process {
        let mut inner = self.process();
        inner.args(args);
        wrapped(&inner, wrapper)
    }
}

/// `inner` as the arguments of `wrapper`, with its directory and environment.
fn wrapped(inner: &Process, wrapper: &[&str]) -> Process {
    let mut cmd = Process::new(wrapper[0]);
    cmd.args(&wrapper[1..])
        .arg(inner.get_program())
        .args(inner.get_args());
    if let Some(dir) = inner.get_current_dir() {
        cmd.current_dir(dir);
    }
    for (key, value) in inner.get_envs() {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    cmd
}

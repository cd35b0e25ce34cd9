//! Dovecot (Debian's `dovecot-imapd`) as the tests' IMAP server: started in
//! its own process group on two free 127.0.0.1 ports, `imaps` (TLS from the
//! start) and `imap` (STARTTLS; Dovecot's `ssl = required` refuses a login
//! without TLS from anywhere else), with a throwaway config, base_dir and
//! Maildir in a temporary directory, a passwd-file with one user, and the
//! leaf certificate of a [`Pki`]. Killed with its group when dropped.
//!
//! As root, Dovecot's login processes run as `dovenull` and the mail process
//! as `nobody` (Dovecot refuses root for both; the package creates
//! `dovenull`); as another user, everything runs as that user.
//! Messages are put in and flags read back with Python's imaplib, a client
//! no one here wrote.

use super::pki::Pki;
use super::process::Group;
use super::{free_port, is_root, python, require};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

const DOVECOT: &str = "/usr/sbin/dovecot";

/// The one mailbox user and their password.
pub const USER: &str = "bounces";
pub const PASSWORD: &str = "imap pass, 7 horses";

pub struct Dovecot {
    group: Group,
    /// `imaps` (TLS from the start).
    pub imaps: u16,
    /// `imap` (STARTTLS).
    pub imap: u16,
    dir: tempfile::TempDir,
}

impl Dovecot {
    /// Dovecot serving `pki`'s leaf certificate.
    pub fn start(pki: &Pki) -> Dovecot {
        require(DOVECOT, "the Debian package `dovecot-imapd`");
        require(
            "/usr/lib/dovecot/imap",
            "the Debian package `dovecot-imapd`",
        );
        let mut tries = Vec::new();
        for _ in 0..5 {
            let dir = tempfile::Builder::new()
                .prefix("gazette-imap")
                .tempdir()
                .unwrap();
            // Dovecot's unprivileged processes must reach their sockets.
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let (imaps, imap) = (free_port(), free_port());
            let conf = config(dir.path(), pki, imaps, imap);
            std::fs::write(dir.path().join("dovecot.conf"), conf).unwrap();
            let log = std::fs::File::create(dir.path().join("stderr")).unwrap();
            use std::os::unix::process::CommandExt;
            let child = Process::new(DOVECOT)
                .arg("-F")
                .arg("-c")
                .arg(dir.path().join("dovecot.conf"))
                .process_group(0)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("cannot start /usr/sbin/dovecot (Debian package `dovecot-imapd`)");
            let mut server = Dovecot {
                group: Group(child),
                imaps,
                imap,
                dir,
            };
            if server.accepting() {
                return server;
            }
            tries.push(server.log());
        }
        panic!("dovecot did not start: {tries:#?}");
    }

    fn accepting(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.group.0.try_wait().unwrap().is_some() {
                return false;
            }
            let up = |port| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if up(self.imaps) && up(self.imap) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        false
    }

    /// Dovecot's own log and what it wrote to stderr.
    pub fn log(&self) -> String {
        let read = |name| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        format!("{}{}", read("stderr"), read("log"))
    }

    /// `imaps://bounces@127.0.0.1:PORT/MAILBOX` or `imap://...` (STARTTLS).
    pub fn url(&self, implicit_tls: bool, mailbox: &str) -> String {
        match implicit_tls {
            true => format!("imaps://{USER}@127.0.0.1:{}/{mailbox}", self.imaps),
            false => format!("imap://{USER}@127.0.0.1:{}/{mailbox}", self.imap),
        }
    }

    /// Appends each message to INBOX (`\Seen` already when its flag says so).
    pub fn append(&self, messages: &[(&[u8], bool)]) {
        let files = tempfile::tempdir().unwrap();
        let mut args: Vec<PathBuf> = vec![self.imaps.to_string().into()];
        for (i, (raw, seen)) in messages.iter().enumerate() {
            let path = files
                .path()
                .join(format!("{i}-{}", if *seen { "seen" } else { "new" }));
            std::fs::write(&path, raw).unwrap();
            args.push(path);
        }
        let args: Vec<&Path> = args.iter().map(PathBuf::as_path).collect();
        python(&client_script(APPEND), &args, b"");
    }

    /// Puts each message in INBOX as a local delivery does, a file written
    /// into the Maildir Dovecot serves (any bytes at all, which APPEND would
    /// refuse: NULs, an empty message); returns their UIDs, in order.
    pub fn deliver(&self, messages: &[&[u8]]) -> Vec<u32> {
        let files = tempfile::tempdir().unwrap();
        let maildir = self.dir.path().join("mail").join(USER);
        let port = self.imaps.to_string();
        let mut args: Vec<PathBuf> = vec![port.into(), maildir];
        for (i, raw) in messages.iter().enumerate() {
            let path = files.path().join(format!("{i:04}"));
            std::fs::write(&path, raw).unwrap();
            args.push(path);
        }
        let args: Vec<&Path> = args.iter().map(PathBuf::as_path).collect();
        let out = python(&client_script(DELIVER), &args, b"");
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|uid| uid.parse().unwrap())
            .collect()
    }

    /// Every message in INBOX: its UID and whether it is `\Seen`, by UID.
    pub fn flags(&self) -> Vec<(u32, bool)> {
        let port = self.imaps.to_string();
        let out = python(&client_script(FLAGS), &[Path::new(&port)], b"");
        let mut flags: Vec<(u32, bool)> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|line| {
                let (uid, flags) = line.split_once(' ').unwrap();
                (uid.parse().unwrap(), flags.contains("\\Seen"))
            })
            .collect();
        flags.sort();
        flags
    }
}

/// A Python script that logs in over `imaps` on the port in argv[1]
/// (imaplib; the certificate is the tests' own) and then does `body`.
fn client_script(body: &str) -> String {
    format!(
        "import imaplib, ssl, sys\n\
         ctx = ssl._create_unverified_context()\n\
         m = imaplib.IMAP4_SSL('127.0.0.1', int(sys.argv[1]), ssl_context=ctx)\n\
         m.login({USER:?}, {PASSWORD:?})\n\
         {body}\n\
         m.logout()\n"
    )
}

const APPEND: &str = "for path in sys.argv[2:]:\n    \
    flags = '(\\\\Seen)' if path.endswith('seen') else None\n    \
    typ, data = m.append('INBOX', flags, None, open(path, 'rb').read())\n    \
    assert typ == 'OK', data";

/// Selecting INBOX makes Dovecot create the Maildir; each file is moved
/// into `new/` (owned as Dovecot's mail process runs), and a NOOP makes
/// Dovecot give it the next UID.
const DELIVER: &str = "import os, shutil\n\
    m.select('INBOX')\n\
    st = os.stat(os.path.join(sys.argv[2], 'cur'))\n\
    for i, path in enumerate(sys.argv[3:]):\n    \
    tmp = os.path.join(sys.argv[2], 'tmp', 'gazette-test-%d' % i)\n    \
    shutil.copyfile(path, tmp)\n    \
    os.chown(tmp, st.st_uid, st.st_gid)\n    \
    os.rename(tmp, os.path.join(sys.argv[2], 'new', '%010d.M%d.test' % (1796000000 + i, i)))\n    \
    m.noop()\n    \
    typ, data = m.uid('SEARCH', 'ALL')\n    \
    print(max(int(u) for u in data[0].split()))";

const FLAGS: &str = "m.select('INBOX', readonly=True)\n\
    typ, data = m.uid('FETCH', '1:*', '(UID FLAGS)')\n\
    assert typ == 'OK', data\n\
    import re\n\
    for item in data:\n    \
    if item is None: continue\n    \
    text = item.decode()\n    \
    print(re.search(r'UID (\\d+)', text).group(1), re.search(r'FLAGS \\(([^)]*)\\)', text).group(1))";

/// Dovecot's config: everything under `dir`, nothing of the system's.
fn config(dir: &Path, pki: &Pki, imaps: u16, imap: u16) -> String {
    let d = dir.display();
    for sub in ["mail", "home"] {
        std::fs::create_dir(dir.join(sub)).unwrap();
    }
    std::fs::copy(pki.leaf(), dir.join("leaf.pem")).unwrap();
    std::fs::copy(pki.leaf_key(), dir.join("leaf.key")).unwrap();
    std::fs::write(dir.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n")).unwrap();
    let (internal, login, uid, gid) = if is_root() {
        for sub in ["mail", "home"] {
            std::os::unix::fs::chown(dir.join(sub), Some(65534), Some(65534)).unwrap();
        }
        let root = "root".to_string();
        (
            root,
            "dovenull".to_string(),
            "65534".to_string(),
            "65534".to_string(),
        )
    } else {
        let out = |arg| {
            let o = Process::new("id").arg(arg).output().unwrap();
            String::from_utf8(o.stdout).unwrap().trim().to_string()
        };
        let name = out("-un");
        (name.clone(), name, out("-u"), out("-g"))
    };
    // As root, the internal processes' group is root's; else the user's own.
    let group = if is_root() {
        "root".to_string()
    } else {
        let o = Process::new("id").arg("-gn").output().unwrap();
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    };
    format!(
        "base_dir = {d}/run\n\
         state_dir = {d}/state\n\
         log_path = {d}/log\n\
         protocols = imap\n\
         listen = 127.0.0.1\n\
         default_internal_user = {internal}\n\
         default_internal_group = {group}\n\
         default_login_user = {login}\n\
         first_valid_uid = 0\n\
         ssl = required\n\
         ssl_cert = <{d}/leaf.pem\n\
         ssl_key = <{d}/leaf.key\n\
         auth_mechanisms = plain login\n\
         passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {d}/passwd\n}}\n\
         userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={d}/home/%u\n}}\n\
         mail_location = maildir:{d}/mail/%u\n\
         service imap-login {{\n  chroot =\n  \
           inet_listener imap {{\n    address = 127.0.0.1\n    port = {imap}\n  }}\n  \
           inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps}\n    ssl = yes\n  }}\n}}\n\
         service anvil {{\n  chroot =\n}}\n"
    )
}

//! A CA and a leaf certificate for 127.0.0.1 and localhost signed by it
//! (rustls refuses a self-signed certificate that is also a CA), made with
//! openssl in a temporary directory; or a leaf that is wrong in one way: for
//! another name, or expired (made under faketime a month back).

use super::require;
use std::path::PathBuf;
use std::process::Command as Process;

pub struct Pki {
    dir: tempfile::TempDir,
}

/// What is wrong with the leaf certificate, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// For 127.0.0.1 and localhost, valid for two days from now.
    Good,
    /// For `relay.other.example` only.
    OtherName,
    /// Valid for two days, a month ago.
    Expired,
}

impl Pki {
    pub fn new() -> Pki {
        Pki::with(Leaf::Good)
    }

    pub fn with(leaf: Leaf) -> Pki {
        require("/usr/bin/openssl", "the Debian package `openssl`");
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
            format!(
                "subjectAltName = {}\n",
                match leaf {
                    Leaf::OtherName => "DNS:relay.other.example",
                    _ => "IP:127.0.0.1, DNS:localhost",
                }
            ) + "basicConstraints = critical, CA:FALSE\n\
             keyUsage = critical, digitalSignature, keyEncipherment\n\
             extendedKeyUsage = serverAuth\n",
        )
        .unwrap();
        let sign = "x509 -req -days 2 -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                    -extfile leaf.ext -out leaf.pem";
        if leaf == Leaf::Expired {
            require("/usr/bin/faketime", "the Debian package `faketime`");
            let out = Process::new("/usr/bin/faketime")
                .current_dir(dir.path())
                .args(["-f", "-30d", "/usr/bin/openssl"])
                .args(sign.split_whitespace())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            openssl(sign);
        }
        Pki { dir }
    }

    /// The CA's certificate, for `ca_file`.
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// The server's certificate and its key.
    pub fn leaf(&self) -> PathBuf {
        self.dir.path().join("leaf.pem")
    }

    pub fn leaf_key(&self) -> PathBuf {
        self.dir.path().join("leaf.key")
    }
}

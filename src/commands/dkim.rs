//! `gazette dkim keygen`: a new signing key and the DNS record to publish.

use crate::cli::KeygenArgs;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::message::dkim;
use crate::newsletter::Newsletter;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

pub fn keygen(n: &Newsletter, args: KeygenArgs) -> Result<ExitStatus> {
    let (root, config) = (&n.root, &n.config);
    let selector = args.selector.trim();
    if selector.is_empty()
        || !selector
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(Error::Input(format!(
            "the selector `{selector}` must be letters, digits, `-` or `.`"
        )));
    }
    let domain = args
        .domain
        .unwrap_or_else(|| config.domain().to_string())
        .to_lowercase();
    let path = args.output.unwrap_or_else(|| {
        config
            .data_dir()
            .join("dkim")
            .join(format!("{selector}.pem"))
    });
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(Error::io(format!("cannot create {}", dir.display())))?;
    }
    let (pem, record) = dkim::generate(args.algorithm)?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::Input(format!(
                "{} exists already; gazette never overwrites a key",
                path.display()
            )),
            _ => Error::io(format!("cannot create {}", path.display()))(e),
        })?;
    file.write_all(pem.as_bytes())
        .map_err(Error::io(format!("cannot write {}", path.display())))?;
    eprintln!(
        "gazette: wrote the private key to {} (mode 0600); keep it secret",
        path.display()
    );
    outln!(
        "{}",
        crate::dns::zone_line(&format!("{selector}._domainkey.{domain}"), &record)
    )?;
    let shown = path
        .strip_prefix(root)
        .unwrap_or(&path)
        .display()
        .to_string();
    eprintln!("gazette: publish the record above, then add to config/gazette.toml:");
    eprintln!("[[dkim]]\nselector = \"{selector}\"\nkey_file = \"{shown}\"");
    Ok(ExitStatus::Ok)
}

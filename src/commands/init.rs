//! `gazette init`: a new newsletter directory, ready for `new`, `check` and a test send.

use crate::cli::InitArgs;
use crate::config::skeleton::{Initial, skeleton};
use crate::config::{CONFIG_PATH, Config};
use crate::diag::Source;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use base64::Engine;
use rand::RngCore;
use std::fs::{self, OpenOptions};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

/// The file `secret_file` names in the written config.
const SECRET: &str = "data/secret";

pub fn run(root: &Path, args: InitArgs) -> Result<ExitStatus> {
    let dir = match &args.directory {
        Some(d) => root.join(d),
        None => root.to_path_buf(),
    };
    let config_path = dir.join(CONFIG_PATH);
    if config_path.exists() {
        return Err(Error::Input(format!(
            "{} exists already; gazette init never overwrites a config",
            config_path.display()
        )));
    }
    let mut initial = Initial {
        name: args.name,
        from: args.from,
        base_url: args.base_url,
        postal_address: args.postal_address,
        timezone: args.timezone,
    };
    if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        ask(&mut initial)?;
    }
    let text = skeleton(&initial);
    // Every value is checked before anything is written, naming the option.
    let source = Source::new(CONFIG_PATH, text.clone());
    if let Err(diags) = Config::parse(&dir, &source) {
        let problems: Vec<String> = (diags.iter())
            .map(|d| format!("{}: {}", option_at(&source, d.span.start), d.message))
            .collect();
        return Err(Error::Input(problems.join("; ")));
    }

    for sub in ["config", "drafts", "data"] {
        let path = dir.join(sub);
        fs::create_dir_all(&path)
            .map_err(Error::io(format!("cannot create {}", path.display())))?;
    }
    restrict(&dir.join("data"), 0o700)?;
    let secret_made = write_secret(&dir.join(SECRET))?;
    write_new(&config_path, &text)?;
    ignore_data(&dir.join(".gitignore"))?;

    let shown = dir.strip_prefix(".").unwrap_or(&dir);
    let c = if shown.as_os_str().is_empty() {
        "gazette ".to_owned()
    } else {
        format!("gazette -C {} ", shown.display())
    };
    let secret = if secret_made {
        "the token secret, made now (mode 0600): keep it private and keep it"
    } else {
        "the token secret, kept as it was"
    };
    let place = if shown.as_os_str().is_empty() {
        Path::new(".")
    } else {
        shown
    };
    outln!("made a newsletter in {}:", place.display())?;
    outln!("  config/gazette.toml  the settings; `gazette check` names the stand-ins left")?;
    outln!("  drafts/              one file per issue")?;
    outln!("  data/secret          {secret}")?;
    outln!("  .gitignore           keeps data/ out of version control")?;
    outln!("next:")?;
    outln!("  {c}new                     write the first draft")?;
    outln!("  {c}check                   see what is left to fill in")?;
    outln!("  {c}send DRAFT --test ADDR  a test email, into data/outbox/new/")?;
    Ok(ExitStatus::Ok)
}

/// Asks on the terminal for each value not given; an empty answer keeps the stand-in.
fn ask(initial: &mut Initial) -> Result<()> {
    let system_zone = jiff::tz::TimeZone::system().iana_name().map(str::to_owned);
    let questions: [(&str, &mut Option<String>, Option<String>); 5] = [
        ("The newsletter's name", &mut initial.name, None),
        ("From, as \"Name <address>\"", &mut initial.from, None),
        ("The public site's URL", &mut initial.base_url, None),
        (
            "The postal address for the footer",
            &mut initial.postal_address,
            None,
        ),
        ("The time zone", &mut initial.timezone, system_zone),
    ];
    let stdin = std::io::stdin();
    for (question, value, default) in questions {
        if value.is_some() {
            continue;
        }
        match &default {
            Some(d) => eprint!("{question} [{d}]: "),
            None => eprint!("{question} (empty: a stand-in): "),
        }
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(Error::io("cannot read the answer"))?;
        let answer = line.trim();
        *value = if answer.is_empty() {
            default
        } else {
            Some(answer.to_owned())
        };
    }
    Ok(())
}

/// The `--option` whose value the config line at `offset` holds.
fn option_at(source: &Source, offset: usize) -> String {
    let (line, _) = source.line_col(offset);
    let text = source.text.lines().nth(line - 1).unwrap_or("");
    let key = text.split('=').next().unwrap_or("").trim();
    format!("--{}", key.replace('_', "-"))
}

/// Makes the secret unless one is there already: every link sent depends on it.
fn write_secret(path: &Path) -> Result<bool> {
    if path.exists() {
        return Ok(false);
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let text = base64::engine::general_purpose::STANDARD.encode(bytes) + "\n";
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file =
        (options.open(path)).map_err(Error::io(format!("cannot create {}", path.display())))?;
    file.write_all(text.as_bytes())
        .map_err(Error::io(format!("cannot write {}", path.display())))?;
    Ok(true)
}

fn write_new(path: &Path, text: &str) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(Error::io(format!("cannot create {}", path.display())))?;
    file.write_all(text.as_bytes())
        .map_err(Error::io(format!("cannot write {}", path.display())))
}

/// Adds `data/` to `.gitignore`, unless a line says so already.
fn ignore_data(path: &Path) -> Result<()> {
    let existing = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()))(e)),
    };
    if existing
        .lines()
        .any(|l| matches!(l.trim(), "data/" | "/data/" | "data" | "/data"))
    {
        return Ok(());
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# the subscriber list, the ledger and the token secret\n/data/\n");
    fs::write(path, text).map_err(Error::io(format!("cannot write {}", path.display())))
}

fn restrict(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
            .map_err(Error::io(format!("cannot restrict {}", path.display())))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

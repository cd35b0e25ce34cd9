//! `gazette init`, `completions` and `man`: starting a newsletter, and fitting a shell.

use super::NOW;
use crate::support::Newsletter;
use std::os::unix::fs::PermissionsExt;

fn uninitialised() -> Newsletter {
    Newsletter::uninitialised().at(NOW).without_secret()
}

fn mode(nl: &Newsletter, rel: &str) -> u32 {
    std::fs::metadata(nl.path(rel))
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn init_then_new_add_check_render_and_both_sends_need_no_other_step() {
    let nl = uninitialised();
    let out = nl.stdout(&["init"]);
    let root = nl.root().display().to_string();
    assert!(out.contains(&format!("gazette -C {root} new ")), "{out}");
    assert!(
        out.contains(&format!("gazette -C {root} send DRAFT --test ADDR")),
        "{out}"
    );
    assert_eq!(mode(&nl, "data"), 0o700);
    assert_eq!(mode(&nl, "data/secret"), 0o600);
    assert!(
        nl.read("data/secret").trim().len() >= 43,
        "32 bytes, base64"
    );
    assert!(nl.read(".gitignore").lines().any(|l| l == "/data/"));
    assert!(nl.path("drafts").is_dir());

    assert_eq!(nl.stdout(&["new"]), "drafts/2026-11-29-1.toml\n");
    // A link collected for it (without fetching: no network in tests).
    assert_eq!(
        nl.stdout(&[
            "add",
            "--no-fetch",
            "--text",
            "A *good* read.",
            "https://ops.example.org/post"
        ]),
        "added https://ops.example.org/post to drafts/2026-11-29-1.toml (news)\n"
    );
    // The stand-ins of the config and of the skeleton are all reported, each
    // located, and are warnings: check passes, --deny-warnings does not.
    let err = nl.stderr(&["check"], 0);
    for (place, what) in [
        ("config/gazette.toml:5:8:", "`name` is still a stand-in"),
        ("config/gazette.toml:9:8:", "`from` is still a stand-in"),
        (
            "config/gazette.toml:16:12:",
            "`base_url` is still a stand-in",
        ),
        (
            "config/gazette.toml:19:18:",
            "`postal_address` is still a stand-in",
        ),
        (
            "drafts/2026-11-29-1.toml:19:9:",
            "`Sponsor name` is the skeleton's stand-in",
        ),
        (
            "drafts/2026-11-29-1.toml:21:7:",
            "`https://example.com/sponsor` is a stand-in link",
        ),
    ] {
        assert!(
            err.contains(&format!("warning: {place} {what}")),
            "{place} {what}\n{err}"
        );
    }
    assert!(
        err.ends_with("checked 1 draft: 0 errors, 12 warnings\n"),
        "{err}"
    );
    nl.stderr(&["check", "--deny-warnings"], 1);

    let text = nl.stdout(&["render", "drafts/2026-11-29-1.toml", "--format", "text"]);
    assert!(text.contains("My Newsletter"), "{text}");
    nl.stdout(&[
        "send",
        "drafts/2026-11-29-1.toml",
        "--test",
        "editor@news.example.org",
    ]);
    let outbox = nl.outbox();
    assert_eq!(outbox.len(), 1);
    assert!(
        outbox[0].contains("To: editor@news.example.org"),
        "{}",
        outbox[0]
    );
    // And the list send, to the outbox too.
    nl.stdout(&["subscribers", "add", "reader@news.example.org"]);
    nl.stdout(&["send", "drafts/2026-11-29-1.toml", "--yes"]);
    let outbox = nl.outbox();
    assert_eq!(outbox.len(), 2);
    assert!(
        outbox
            .iter()
            .any(|m| m.contains("To: reader@news.example.org"))
    );
}

#[test]
fn values_given_are_written_and_leave_no_stand_in_in_the_config() {
    let nl = uninitialised();
    nl.stdout(&[
        "init",
        "--name",
        "Ops \"Weekly\"",
        "--from",
        "Ops Weekly <ed@ops.example.org>",
        "--base-url",
        "https://ops.example.org",
        "--postal-address",
        "1 Quay Street, Bristol",
        "--timezone",
        "Europe/Paris",
    ]);
    let config = nl.read("config/gazette.toml");
    assert!(
        config.contains("name = 'Ops \"Weekly\"'\n")
            || config.contains("name = \"Ops \\\"Weekly\\\"\"\n"),
        "{config}"
    );
    assert!(config.contains("timezone = \"Europe/Paris\"\n"), "{config}");
    nl.stdout(&["new"]);
    let err = nl.stderr(&["check"], 0);
    assert!(!err.contains("config/gazette.toml"), "{err}");
}

#[test]
fn init_refuses_a_config_and_a_bad_value_and_writes_nothing() {
    let nl = Newsletter::example().at(NOW).without_secret();
    let before = nl.read("config/gazette.toml");
    let err = nl.stderr(&["init"], 2);
    assert!(
        err.contains("config/gazette.toml exists already; gazette init never overwrites a config"),
        "{err}"
    );
    assert_eq!(nl.read("config/gazette.toml"), before);
    assert!(!nl.path("data").exists());

    let nl = uninitialised();
    let err = nl.stderr(
        &[
            "init",
            "--from",
            "not an address",
            "--timezone",
            "Mars/Olympus",
        ],
        2,
    );
    assert!(err.starts_with("gazette: error: --from: "), "{err}");
    assert!(err.contains("--timezone: "), "{err}");
    assert!(!nl.root().exists(), "nothing written");
}

#[test]
fn init_keeps_an_existing_secret_and_gitignore() {
    let nl = uninitialised();
    std::fs::create_dir_all(nl.path("data")).unwrap();
    nl.write(
        "data/secret",
        "the secret every sent link depends on, kept\n",
    );
    nl.write(".gitignore", "target/");
    let out = nl.stdout(&["init"]);
    assert!(out.contains("kept as it was"), "{out}");
    assert_eq!(
        nl.read("data/secret"),
        "the secret every sent link depends on, kept\n"
    );
    assert_eq!(
        nl.read(".gitignore"),
        "target/\n# the subscriber list, the ledger and the token secret\n/data/\n"
    );
}

#[test]
fn on_a_terminal_init_asks_for_what_was_not_given() {
    // script(1) runs gazette on a pseudo-terminal fed with our answers.
    let nl = uninitialised();
    let gazette = assert_cmd::cargo::cargo_bin("gazette");
    let command = format!(
        "{} -C {} init --timezone UTC",
        gazette.display(),
        nl.root().display()
    );
    let mut script = std::process::Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    crate::support::hygiene(&mut script);
    let out = assert_cmd::Command::from_std(script)
        .write_stdin("Ada's Weekly\nAda <ada@ada.example.org>\n\n1 Road, Town\n")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let shown = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        shown.contains("The newsletter's name (empty: a stand-in): "),
        "{shown}"
    );
    assert!(
        !shown.contains("The time zone"),
        "given as an option: {shown}"
    );
    let config = nl.read("config/gazette.toml");
    assert!(config.contains("name = \"Ada's Weekly\"\n"), "{config}");
    assert!(
        config.contains("from = \"Ada <ada@ada.example.org>\"\n"),
        "{config}"
    );
    assert!(
        config.contains("base_url = \"https://example.com\"\n"),
        "{config}"
    );
    assert!(
        config.contains("postal_address = \"1 Road, Town\"\n"),
        "{config}"
    );
}

#[test]
fn completions_are_valid_shell_and_name_every_command() {
    let nl = uninitialised();
    let bash = nl.stdout(&["completions", "bash"]);
    for command in ["init", "send", "subscribers", "completions", "man"] {
        assert!(bash.contains(command), "{command}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gazette.bash");
    std::fs::write(&file, &bash).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .status()
        .unwrap();
    assert!(syntax.success(), "bash -n rejects the script");
    assert!(
        nl.stdout(&["completions", "zsh"])
            .starts_with("#compdef gazette")
    );
    assert!(
        nl.stdout(&["completions", "fish"])
            .contains("complete -c gazette")
    );
    let err = nl.stderr(&["completions", "tcsh"], 2);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
}

#[test]
fn man_writes_a_page_per_command() {
    let nl = uninitialised();
    let out = nl.stdout(&["man", "man1"]);
    let dir = nl.dir().join("newsletter/man1");
    assert_eq!(out, format!("wrote the man pages into {}\n", dir.display()));
    let page = std::fs::read_to_string(dir.join("gazette.1")).unwrap();
    assert!(page.contains(".TH gazette 1"), "{page}");
    let send = std::fs::read_to_string(dir.join("gazette-send.1")).unwrap();
    assert!(send.contains("\\-\\-retry\\-failed"), "{send}");
    assert!(dir.join("gazette-subscribers-import.1").exists());
}

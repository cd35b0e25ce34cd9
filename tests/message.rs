//! Integration tests: each subscriber's message, checked by tools no one here
//! wrote: Python's email package (strict), dkimpy and SpamAssassin (the
//! caniemail data in compose/caniemail.rs). `test.sh` installs them; a missing
//! tool fails the test, naming the package.

use crate::support::messages::{RECIPIENTS, generate_messages, roots, stable};
use crate::support::{
    Directory, Factory, Kind, Newsletter, Recipient, SECRET, Secret, python3, render, repo,
    require, tool,
};
use std::process::Command as Process;

/// "Now" for every command.
const NOW: &str = "2026-11-29T08:00:00Z";

#[test]
fn strict_parse_dkim_and_links_pass_for_every_recipient() {
    python3();
    let status = Process::new(python3())
        .args(["-c", "import dkim, nacl"])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "dkimpy is missing: install the Debian package `python3-dkim` (./test.sh does)"
    );
    let dir = tempfile::tempdir().unwrap();
    for root in roots() {
        let (n, messages) = generate_messages(&root, dir.path());
        assert!(messages.len() >= RECIPIENTS.len());
        for (file, id, links, _) in &messages {
            let links_file = file.with_extension("links");
            std::fs::write(&links_file, links.join("\n")).unwrap();
            let mut cmd = Process::new(python3());
            cmd.arg(tool("check_message.py"))
                .arg("--links")
                .arg(&links_file)
                .arg("--tamper");
            cmd.args([
                "--max-header-line",
                "78",
                "--max-body-line",
                "78",
                "--max-html-bytes",
                "92160",
                "--require-body-unsubscribe",
            ]);
            for (name, record) in &n.records {
                let record_file = dir.path().join(format!("{name}.txt"));
                std::fs::write(&record_file, record).unwrap();
                cmd.arg("--dkim-key")
                    .arg(format!("{name}={}", record_file.display()));
            }
            let output = cmd.arg(file).output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{}: {stdout}\n{}",
                file.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            let report: serde_json::Value =
                serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
            assert_eq!(report["ok"], true);
            assert_eq!(
                report["dkim"].as_array().map(Vec::len),
                Some(2),
                "two signatures: {report}"
            );

            // The unsubscribe token verifies for this recipient only.
            let url = report["unsubscribe_url"].as_str().unwrap();
            let token = url.rsplit_once("/unsubscribe/").unwrap().1;
            let secret = Secret::new(SECRET.as_bytes(), "test").unwrap();
            assert_eq!(
                secret.verify_unsubscribe(&n.config.list_id, token),
                Some(*id)
            );
            let mut forged = token.to_string().into_bytes();
            forged[5] = if forged[5] == b'x' { b'y' } else { b'x' };
            assert_eq!(
                secret.verify_unsubscribe(&n.config.list_id, std::str::from_utf8(&forged).unwrap()),
                None
            );
        }
    }
}

#[test]
fn spamassassin_scores_each_message_below_one() {
    require("/usr/bin/spamassassin", "the Debian package `spamassassin`");
    let dir = tempfile::tempdir().unwrap();
    for root in roots() {
        let (_, messages) = generate_messages(&root, dir.path());
        for (file, ..) in messages.iter().step_by(RECIPIENTS.len()) {
            let output = Process::new(tool("spam_score.sh"))
                .arg(file)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{}: {text} {}",
                file.display(),
                String::from_utf8_lossy(&output.stderr)
            );
            let score: f64 = text
                .trim()
                .parse()
                .unwrap_or_else(|_| panic!("not a score: {text}"));
            assert!(score < 1.0, "{} scores {score}", file.display());
        }
    }
}

#[test]
fn render_eml_writes_a_test_send_for_a_non_subscriber() {
    let out = Newsletter::example()
        .at(NOW)
        .gazette()
        .args([
            "render",
            "drafts/2026-11-29-41.toml",
            "--format",
            "eml",
            "--to",
            "Zoë Reader <zoe@example.org>",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let eml = String::from_utf8(out.stdout).unwrap();
    assert!(eml.contains("\r\nSubject: [TEST] Platform Notes #41 - 29th November 2026\r\n"));
    assert!(!eml.to_ascii_lowercase().contains("\nbcc:"));
    assert!(
        !eml.replace("\r\n", "").contains('\n'),
        "bare LF in the message"
    );
    insta::assert_snapshot!("example_test_send_eml", stable(&eml));
}

#[test]
fn list_messages_need_a_secret_and_say_how_to_make_one() {
    // A copy, so that a data/secret made by ./example.sh in the checkout does not count.
    let out = Newsletter::example()
        .without_secret()
        .gazette()
        .args([
            "render",
            "drafts/2026-11-29-41.toml",
            "--format",
            "eml",
            "--to",
            "a@example.org",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("gazette: error: no secret for unsubscribe tokens: "),
        "{err}"
    );
    assert!(
        err.contains("head -c 32 /dev/urandom | base64 >"),
        "says how to make one: {err}"
    );
}

#[test]
fn message_ids_are_deterministic_per_subscriber_and_fresh_for_tests() {
    let newsletter = Directory::open(&repo()).unwrap();
    let draft = newsletter
        .load_ok(&repo().join("drafts/2026-11-29-41.toml"))
        .unwrap()
        .draft;
    let config = newsletter.config;
    let rendered = render::render(&draft, &config);
    let make = |kind| {
        Factory::new(
            &config,
            &rendered,
            41,
            0,
            kind,
            Secret::new(SECRET.as_bytes(), "t").unwrap(),
            vec![],
        )
    };
    let r = Recipient {
        id: Some(9),
        email: "a@example.org",
        name: None,
    };
    let (list, test) = (make(Kind::List), make(Kind::Test));
    assert_eq!(list.message_id(&r), make(Kind::List).message_id(&r));
    assert!(list.message_id(&r).ends_with("@platformnotes.example"));
    assert_ne!(test.message_id(&r), test.message_id(&r));
    // The substitution path gives the same bytes as composing in full would:
    // checked by building twice and by the strict parser above; here, that the
    // recipient's values are in place.
    let mut bytes = Vec::new();
    let id = list.build(&r, &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains(&format!("Message-ID: <{id}>")));
    assert!(text.contains(&list.unsubscribe_url(&r)));
    assert!(!text.contains("Placeholder"));
}

#[test]
fn dkim_keygen_writes_a_private_key_and_prints_the_record() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pem");
    let out = Newsletter::example()
        .at(NOW)
        .gazette()
        .args(["dkim", "keygen", "--selector", "s2026", "-o"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("s2026._domainkey.platformnotes.example. IN TXT ( \"v=DKIM1; k=rsa; p="),
        "{stdout}"
    );
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let again = Newsletter::example()
        .at(NOW)
        .gazette()
        .args(["dkim", "keygen", "--selector", "s2026", "-o"])
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "never overwrites a key");
}

#[test]
fn render_eml_for_a_subscriber_is_exactly_their_list_message() {
    let nl = Newsletter::example().at(NOW);
    let run = |args: &[&str]| {
        let out = nl.gazette().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&[
        "subscribers",
        "add",
        "grace@example.org",
        "--name",
        "Grace Hopper",
    ]);
    run(&["subscribers", "add", "alan@example.org"]);
    run(&["send", "drafts/2026-11-29-41.toml", "--yes"]);
    let header = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .map(str::to_string)
            .unwrap_or_default()
    };
    let sent: Vec<String> = std::fs::read_dir(nl.path("data/outbox/new"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    let grace = sent
        .iter()
        .find(|m| m.contains("Delivered-To: grace@example.org"))
        .unwrap();
    let rendered = String::from_utf8(run(&[
        "render",
        "drafts/2026-11-29-41.toml",
        "--format",
        "eml",
        "--to",
        "grace@example.org",
    ]))
    .unwrap();
    for name in ["Message-ID", "List-Unsubscribe", "To", "Subject"] {
        assert_eq!(header(&rendered, name), header(grace, name), "{name}");
    }
    assert_eq!(
        header(&rendered, "To"),
        "\"Grace Hopper\" <grace@example.org>"
    );
    assert!(!header(&rendered, "Subject").starts_with("[TEST]"));
    // Another subscriber's message differs in exactly those personal parts.
    let alan = sent
        .iter()
        .find(|m| m.contains("Delivered-To: alan@example.org"))
        .unwrap();
    assert_ne!(header(alan, "Message-ID"), header(grace, "Message-ID"));
    assert_ne!(
        header(alan, "List-Unsubscribe"),
        header(grace, "List-Unsubscribe")
    );
}

#[test]
fn keys_of_both_algorithms_are_read_by_openssl() {
    crate::support::require("/usr/bin/openssl", "openssl");
    let nl = Newsletter::example().at(NOW);
    for (algorithm, kind) in [("rsa", "2048 BIT"), ("ed25519", "ED25519 PRIVATE-KEY")] {
        let key = nl.dir().join(format!("{algorithm}.pem"));
        nl.gazette()
            .args([
                "dkim",
                "keygen",
                "--selector",
                algorithm,
                "--algorithm",
                algorithm,
                "-o",
            ])
            .arg(&key)
            .assert()
            .success();
        // OpenSSL 3.0 refuses Ed25519 keys in PKCS#8 v2; gazette writes v1.
        let out = Process::new("openssl")
            .args(["pkey", "-noout", "-text", "-in"])
            .arg(&key)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{algorithm}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.to_uppercase().contains(kind), "{text}");
    }
}

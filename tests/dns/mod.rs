//! `gazette dns`: the records to publish, and `--check` against an
//! authoritative server on 127.0.0.1 ([`DnsServer`]) holding right, missing
//! and wrong records.

use crate::support::{DnsServer, Newsletter, free_port, repo};

/// The example with the fixture keys as its `[[dkim]]` selectors (RSA
/// `s2026`, Ed25519 `ed2026`), and `settings` over its config.
fn newsletter(settings: &str) -> Newsletter {
    let n = Newsletter::new(&format!(
        "{settings}\n[[dkim]]\nselector = \"s2026\"\nkey_file = \"data/dkim/s2026.pem\"\n\
         [[dkim]]\nselector = \"ed2026\"\nkey_file = \"data/dkim/ed2026.pem\"\n"
    ));
    std::fs::create_dir_all(n.path("data/dkim")).unwrap();
    for (file, key) in [("s2026", "rsa"), ("ed2026", "ed25519")] {
        let pem = std::fs::read_to_string(repo().join(format!("tests/fixtures/dkim/{key}.pem")));
        n.write(&format!("data/dkim/{file}.pem"), &pem.unwrap());
    }
    n
}

/// `gazette dns` for `n`: the zone it says to publish.
fn zone(n: &Newsletter) -> String {
    n.stdout(&["dns"])
}

/// `gazette dns --check` against `server`: (exit code, stdout).
fn check(n: &Newsletter, server: &str) -> (i32, String) {
    let run = n.run(&["dns", "--check"], &[("GAZETTE_DNS_SERVER", server)]);
    (run.code.expect("exited"), run.stdout)
}

/// The line of `--check`'s output about `what` at `name` (`SPF platformnotes.example`).
fn line<'a>(out: &'a str, what_name: &str) -> &'a str {
    out.lines()
        .find(|l| l[8..].starts_with(&format!("{what_name}:")))
        .unwrap_or_else(|| panic!("no line for {what_name}:\n{out}"))
}

#[test]
fn dns_prints_the_records_for_the_outbox_and_for_a_relay() {
    let n = newsletter("");
    insta::assert_snapshot!("dns_outbox", zone(&n));
    let n = newsletter(
        "transport = \"smtp\"\nenvelope_from = \"bounces@mail.platformnotes.example\"\n\
         [[smtp]]\nhost = \"smtp.relay.example\"\n",
    );
    insta::assert_snapshot!("dns_relay", zone(&n));
}

#[test]
fn check_passes_when_the_dns_holds_what_dns_prints() {
    let n = newsletter("");
    // Other TXT records at the SPF name, as domains have (site verifications):
    // the answer then passes 512 bytes, so it comes again over TCP.
    let padding: String = (0..6)
        .map(|i| {
            format!(
                "platformnotes.example. IN TXT \"verification-{i}={}\"\n",
                "x".repeat(90)
            )
        })
        .collect();
    let server = DnsServer::start(&(zone(&n) + &padding));
    let (code, out) = check(&n, &server.addr());
    assert_eq!(code, 0, "{out}\n{}", server.log());
    assert_eq!(out.lines().count(), 7, "{out}");
    assert!(out.lines().all(|l| l.starts_with("ok ")), "{out}");
    assert!(line(&out, "DKIM s2026._domainkey.platformnotes.example").contains("matches"));
    assert!(
        server
            .log()
            .contains("QUERY platformnotes.example. TXT tcp"),
        "the long answer was not asked again over TCP: {}",
        server.log()
    );
}

#[test]
fn check_names_each_missing_record() {
    let n = newsletter("");
    // Only the RSA key is published: the Ed25519 one, SPF and DMARC are missing.
    let published: String = zone(&n)
        .lines()
        .filter(|l| l.starts_with("s2026._domainkey."))
        .map(|l| format!("{l}\n"))
        .collect();
    let server = DnsServer::start(&published);
    let (code, out) = check(&n, &server.addr());
    assert_eq!(code, 1, "{out}");
    assert!(
        line(&out, "SPF platformnotes.example").starts_with("missing"),
        "{out}"
    );
    assert!(line(&out, "DKIM ed2026._domainkey.platformnotes.example").starts_with("missing"));
    assert!(line(&out, "DMARC _dmarc.platformnotes.example").starts_with("missing"));
    assert!(line(&out, "DKIM s2026._domainkey.platformnotes.example").starts_with("ok"));
    assert!(line(&out, "SPF alignment platformnotes.example").starts_with("ok"));
}

#[test]
fn check_names_each_wrong_record() {
    let n = newsletter("");
    let other = std::fs::read_to_string(repo().join("tests/fixtures/dkim/other.pem")).unwrap();
    let stranger = newsletter("");
    stranger.write("data/dkim/s2026.pem", &other);
    let wrong_key = zone(&stranger)
        .lines()
        .find(|l| l.starts_with("s2026._domainkey."))
        .unwrap()
        .to_string();
    let right_ed25519 = zone(&n)
        .lines()
        .find(|l| l.starts_with("ed2026._domainkey."))
        .unwrap()
        .to_string();
    let server = DnsServer::start(&format!(
        "platformnotes.example. IN TXT \"v=spf1 mx ?all\"\n{wrong_key}\n{right_ed25519}\n\
         _dmarc.platformnotes.example. IN TXT \"v=DMARC1; rua=mailto:dmarc@platformnotes.example\"\n"
    ));
    let (code, out) = check(&n, &server.addr());
    assert_eq!(code, 1, "{out}");
    let spf = line(&out, "SPF platformnotes.example");
    assert!(
        spf.starts_with("wrong") && spf.contains("-all or ~all"),
        "{out}"
    );
    let dkim = line(&out, "DKIM s2026._domainkey.platformnotes.example");
    assert!(
        dkim.starts_with("wrong") && dkim.contains("not the public key"),
        "{out}"
    );
    assert!(line(&out, "DKIM ed2026._domainkey.platformnotes.example").starts_with("ok"));
    let dmarc = line(&out, "DMARC _dmarc.platformnotes.example");
    assert!(
        dmarc.starts_with("wrong") && dmarc.contains("no policy"),
        "{out}"
    );
}

#[test]
fn check_finds_two_spf_records_and_an_unaligned_envelope_domain() {
    let n = newsletter("envelope_from = \"bounces@relay.example\"");
    let server = DnsServer::start(&format!(
        "{}relay.example. IN TXT \"v=spf1 mx -all\"\nrelay.example. IN TXT \"v=spf1 a -all\"\n",
        zone(&n)
            .lines()
            .filter(|l| !l.starts_with("relay.example."))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
    ));
    let (code, out) = check(&n, &server.addr());
    assert_eq!(code, 1, "{out}");
    let spf = line(&out, "SPF relay.example");
    assert!(
        spf.starts_with("wrong") && spf.contains("2 SPF records"),
        "{out}"
    );
    let aligned = line(&out, "SPF alignment relay.example");
    assert!(
        aligned.starts_with("wrong") && aligned.contains("envelope_from"),
        "{out}"
    );
    assert!(
        line(&out, "DMARC _dmarc.platformnotes.example").starts_with("ok"),
        "{out}"
    );
}

#[test]
fn check_exits_75_when_no_dns_server_answers() {
    let n = newsletter("");
    let run = n.run(
        &["dns", "--check"],
        &[("GAZETTE_DNS_SERVER", &format!("127.0.0.1:{}", free_port()))],
    );
    assert_eq!(run.code, Some(75), "{run:#?}");
    assert!(
        run.stdout
            .lines()
            .filter(|l| !l.contains("alignment"))
            .all(|l| l.starts_with("unknown")),
        "{run:#?}"
    );
    assert!(run.stderr.contains("try again later"), "{run:#?}");
    assert!(run.seconds < 30.0, "{run:#?}");
}

#[test]
fn without_a_dkim_key_dns_says_to_make_one_and_check_names_it_missing() {
    let n = Newsletter::example();
    let zone = zone(&n);
    assert!(
        zone.contains("; DKIM: no [[dkim]] key is configured"),
        "{zone}"
    );
    assert!(!zone.contains("_domainkey"), "{zone}");
    let server = DnsServer::start(&zone);
    let (code, out) = check(&n, &server.addr());
    assert_eq!(code, 1, "{out}");
    let dkim = line(&out, "DKIM [[dkim]]");
    assert!(
        dkim.starts_with("missing") && dkim.contains("dkim keygen"),
        "{out}"
    );
    assert!(
        line(&out, "SPF platformnotes.example").starts_with("ok"),
        "{out}"
    );
    assert!(
        line(&out, "DMARC _dmarc.platformnotes.example").starts_with("ok"),
        "{out}"
    );
}

#[test]
fn dmarc_reports_go_to_the_configured_address() {
    let n = newsletter("[dns]\ndmarc_rua = \"reports@dmarc.example.net\"");
    let zone = zone(&n);
    assert!(
        zone.contains("\"v=DMARC1; p=none; rua=mailto:reports@dmarc.example.net\""),
        "{zone}"
    );
    assert!(!zone.contains("dmarc@platformnotes.example"), "{zone}");
    let n = newsletter("[dns]\ndmarc_rua = \"not an address\"");
    let err = n.stderr(&["dns"], 2);
    assert!(
        err.contains("gazette.toml:") && err.contains("dmarc_rua"),
        "{err}"
    );
}

#[test]
fn bad_config_or_server_exits_2() {
    let n = newsletter("");
    std::fs::remove_file(n.path("data/dkim/ed2026.pem")).unwrap();
    let err = n.stderr(&["dns"], 2);
    assert!(
        err.contains("cannot read the DKIM key") && err.contains("ed2026.pem"),
        "{err}"
    );
    let n = newsletter("");
    let run = n.run(&["dns", "--check"], &[("GAZETTE_DNS_SERVER", "localhost")]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr.contains("GAZETTE_DNS_SERVER") || run.stderr.contains("IP:PORT"),
        "{run:#?}"
    );
}

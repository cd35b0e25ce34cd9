//! Status codes and replies found in text, and the diagnostic as kept.

use crate::bounce::MAX_DIAGNOSTIC;
use crate::bounce::read::classify::{Reply, diagnostic, from_basic, reply, status};

fn found(text: &str) -> (Option<u16>, Option<String>) {
    let Reply { code, enhanced, .. } = reply(text);
    (code, enhanced)
}

#[test]
fn replies_are_found_where_servers_write_them() {
    let cases: [(&str, Option<u16>, Option<&str>); 10] = [
        ("550 5.1.1 <a@b>: User unknown", Some(550), Some("5.1.1")),
        ("550-5.1.1 The email account", Some(550), Some("5.1.1")),
        ("Remote host said: 552 sorry, mailbox full", Some(552), None),
        (
            "Sorry, no mailbox here by that name. (#5.1.1)",
            None,
            Some("5.1.1"),
        ),
        (
            "554: delivery error: dd This user doesn't have",
            Some(554),
            None,
        ),
        (
            "Remote Server returned '550 5.1.10 RESOLVER.ADR'",
            Some(550),
            Some("5.1.10"),
        ),
        (
            "host [192.0.2.45] said 5.1.2.3 at 12:45:03 port 587",
            None,
            None,
        ),
        (
            "mx.example.com[203.0.113.9]:25: Connection timed out",
            None,
            None,
        ),
        ("after 4500 seconds, id 5501a, 550x", None, None),
        (
            "450 4.2.0 greylisted; retry in 5.5 minutes",
            Some(450),
            Some("4.2.0"),
        ),
    ];
    for (text, code, enhanced) in cases {
        assert_eq!(found(text), (code, enhanced.map(String::from)), "{text}");
    }
}

#[test]
fn the_enhanced_code_right_after_the_basic_one_wins() {
    let text = "see RFC 3463 section 2.1.1 then 550 5.7.1 blocked";
    assert_eq!(found(text), (Some(550), Some("5.7.1".into())));
    let at = reply("Error:    550 5.1.10 x").at;
    assert_eq!(at, Some(10));
}

#[test]
fn status_fields_take_the_code_alone() {
    assert_eq!(status("5.1.1").as_deref(), Some("5.1.1"));
    assert_eq!(
        status("5.0.0 (permanent failure)").as_deref(),
        Some("5.0.0")
    );
    assert_eq!(status("#4.4.7").as_deref(), Some("4.4.7"));
    for bad in ["", "failed", "3.1.1", "5.1", "5.1.1.1", "5.1111.1", "550"] {
        assert_eq!(status(bad), None, "{bad:?}");
    }
}

#[test]
fn basic_codes_map_to_enhanced_ones() {
    let map = [
        (550, "5.1.1"),
        (551, "5.1.6"),
        (552, "5.2.2"),
        (553, "5.1.3"),
    ];
    for (code, want) in map {
        assert_eq!(from_basic(code).as_deref(), Some(want));
    }
    assert_eq!(from_basic(554).as_deref(), Some("5.0.0"));
    assert_eq!(from_basic(421).as_deref(), Some("4.0.0"));
    assert_eq!(from_basic(250), None);
}

#[test]
fn diagnostics_are_unfolded_and_cut_on_a_char_boundary() {
    assert_eq!(
        diagnostic("smtp; 550 5.1.1 <a@b>:\r\n    User  unknown\t here").as_deref(),
        Some("550 5.1.1 <a@b>: User unknown here")
    );
    assert_eq!(
        diagnostic("X-Postfix; host said: x").as_deref(),
        Some("host said: x")
    );
    assert_eq!(
        diagnostic("no type here; kept").as_deref(),
        Some("no type here; kept")
    );
    assert_eq!(diagnostic(" \r\n "), None);
    let long = "é".repeat(MAX_DIAGNOSTIC * 3);
    let cut = diagnostic(&long).unwrap();
    assert_eq!(cut.chars().count(), MAX_DIAGNOSTIC);
    assert!(cut.chars().all(|c| c == 'é'));
}

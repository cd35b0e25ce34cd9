//! One-click unsubscribing, and tokens that must not work.

use crate::support::http::{FORM, token_of};
use crate::support::{
    BASE_URL, DRAFT, LIST_ID, Newsletter, SECRET, Secret, Status, unfolded_header,
};

#[test]
fn one_click_post_unsubscribes_exactly_that_subscriber_and_get_does_not() {
    let site = Newsletter::new("");
    for who in ["ada", "bob", "cy"] {
        site.add(&format!("{who}@example.org"));
    }
    let bob = site.unsubscribe_path("bob@example.org");
    let cy = site.unsubscribe_path("cy@example.org");
    let server = site.serve();

    // A GET, as a link scanner makes: a page with a button, nothing changed.
    for _ in 0..2 {
        let page = server.get(&bob);
        assert_eq!(page.status, 200, "{page:?}");
        assert!(
            page.body.contains("<form method=\"post\">"),
            "{}",
            page.body
        );
        assert!(
            page.body
                .contains("<button type=\"submit\">Unsubscribe</button>")
        );
        // It names the newsletter and the address, partly masked.
        assert!(
            page.body.contains("<strong>b••@example.org</strong>"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("bob@example.org"),
            "the address is masked"
        );
        assert_eq!(
            site.subscriber_status("bob@example.org"),
            Some(Status::Active)
        );
    }

    // RFC 8058's one-click POST, form-encoded.
    let done = server.post(&bob, FORM, "List-Unsubscribe=One-Click");
    assert_eq!(done.status, 200, "{done:?}");
    assert!(done.body.contains("You are unsubscribed"), "{}", done.body);
    for absent in ["location", "set-cookie"] {
        assert_eq!(done.header(absent), None, "{absent}: {done:?}");
    }
    assert_eq!(done.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(done.header("cache-control"), Some("no-store"));
    assert_eq!(
        site.subscriber_status("bob@example.org"),
        Some(Status::Unsubscribed)
    );
    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Active)
    );
    assert_eq!(
        site.subscriber_status("cy@example.org"),
        Some(Status::Active)
    );
    let when = site.subscriber("bob@example.org").unwrap().unsubscribed;

    // Idempotent: the same answer, and the first unsubscription stands.
    let again = server.post(&bob, FORM, "List-Unsubscribe=One-Click");
    assert_eq!((again.status, &again.body), (200, &done.body));
    assert_eq!(
        site.subscriber("bob@example.org").unwrap().unsubscribed,
        when
    );

    // The same as multipart/form-data, which RFC 8058 prefers.
    let boundary = "----gazette-test-boundary";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n\
         One-Click\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let done = server.post(&cy, &content_type, &multipart);
    assert_eq!(done.status, 200, "{done:?}");
    assert_eq!(
        site.subscriber_status("cy@example.org"),
        Some(Status::Unsubscribed)
    );
    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Active)
    );

    // One log line per request, the token redacted.
    let log = server.log();
    assert!(
        log.contains("gazette: GET /unsubscribe/[token] 200 "),
        "{log}"
    );
    assert!(
        log.contains("gazette: POST /unsubscribe/[token] 200 "),
        "{log}"
    );
    for token in [token_of(&bob), token_of(&cy)] {
        assert!(!log.contains(token), "{log}");
    }
}

#[test]
fn forged_truncated_and_foreign_tokens_get_400_and_change_nothing() {
    let site = Newsletter::new("");
    site.add("ada@example.org");
    let genuine = site.unsubscribe_path("ada@example.org");
    let token = token_of(&genuine).to_string();
    let id = site.subscriber("ada@example.org").unwrap().id;
    let secret = Secret::new(SECRET.as_bytes(), "test").unwrap();
    let other_secret = Secret::new(b"another secret, also 32 bytes or more", "test").unwrap();
    let mut last = token.clone().into_bytes();
    *last.last_mut().unwrap() = if last[35] == b'A' { b'B' } else { b'A' };
    let forged = [
        String::from_utf8(last).unwrap(),
        token[..35].to_string(),
        format!("{token}A"),
        "A".repeat(36),
        secret.unsubscribe_token("another-list.example.org", id),
        other_secret.unsubscribe_token(LIST_ID, id),
        secret.confirm_token(LIST_ID, id, i64::MAX),
        "%3Cscript%3E".to_string(),
    ];
    let server = site.serve();
    let first = server.get(&format!("/unsubscribe/{}", forged[0]));
    assert_eq!(first.status, 400, "{first:?}");
    assert!(
        first.body.contains("This link does not work"),
        "{}",
        first.body
    );
    for bad in &forged {
        let path = format!("/unsubscribe/{bad}");
        for answer in [
            server.get(&path),
            server.post(&path, FORM, "List-Unsubscribe=One-Click"),
        ] {
            assert_eq!(answer.status, 400, "{bad}: {answer:?}");
            // The same plain page for every bad token: it names nobody.
            assert_eq!(answer.body, first.body, "{bad}");
        }
        // (A genuine confirmation token is not a bad one at /confirm.)
        if bad != &forged[6] {
            let confirm = server.post(&format!("/confirm/{bad}"), FORM, "");
            assert_eq!((confirm.status, &confirm.body), (400, &first.body), "{bad}");
        }
    }
    assert!(!first.body.contains("ada"));
    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Active)
    );
    // And the genuine one still works.
    assert_eq!(
        server
            .post(&genuine, FORM, "List-Unsubscribe=One-Click")
            .status,
        200
    );
    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Unsubscribed)
    );
}

#[test]
fn a_test_send_link_says_it_was_a_test_and_changes_nothing() {
    let site = Newsletter::new("");
    site.add("ada@example.org");
    site.add("bob@example.org");
    // A test send, even to a subscriber: its token names subscriber 0.
    let sent = site.run(&["send", DRAFT, "--test", "ada@example.org"], &[]);
    assert_eq!(sent.code, Some(0), "{sent:?}");
    let outbox = site.outbox();
    assert_eq!(outbox.len(), 1);
    let header = unfolded_header(&outbox[0], "List-Unsubscribe").unwrap();
    let url = header
        .split(['<', '>'])
        .find(|u| u.starts_with("https://"))
        .unwrap();
    let test_send = url.strip_prefix(BASE_URL).unwrap().to_string();
    let zero = Secret::new(SECRET.as_bytes(), "t")
        .unwrap()
        .unsubscribe_token(LIST_ID, 0);
    assert_eq!(token_of(&test_send), zero);
    let bob = site.unsubscribe_path("bob@example.org");
    let server = site.serve();

    let page = server.get(&test_send);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("test send"), "{}", page.body);
    assert!(page.body.contains("changes nothing"), "{}", page.body);
    assert!(!page.body.contains("<form"), "no button: {}", page.body);
    let answer = server.post(&test_send, FORM, "List-Unsubscribe=One-Click");
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("test send"), "{}", answer.body);
    assert!(
        !answer.body.contains("You are unsubscribed"),
        "{}",
        answer.body
    );
    for who in ["ada@example.org", "bob@example.org"] {
        assert_eq!(site.subscriber_status(who), Some(Status::Active), "{who}");
    }
    // A real subscriber's link still unsubscribes.
    let real = server.post(&bob, FORM, "List-Unsubscribe=One-Click");
    assert!(real.body.contains("You are unsubscribed"));
    assert_ne!(answer.body, real.body);
}

#[test]
fn a_token_in_a_path_of_another_spelling_never_reaches_the_log() {
    let site = Newsletter::new("");
    site.add("ada@example.org");
    let path = site.unsubscribe_path("ada@example.org");
    let token = token_of(&path).to_string();
    let server = site.serve();
    let spellings = [
        format!("/Unsubscribe/{token}"),
        format!("/UNSUBSCRIBE/{token}"),
        format!("/unsubscribe%2F{token}"),
        format!("/Confirm/{token}"),
        format!("/archive/{token}"),
        format!("//unsubscribe/{token}"),
        format!("/{token}"),
    ];
    for path in &spellings {
        let answer = server.get(path);
        assert_eq!(answer.status, 404, "{path}: {answer:?}");
    }
    let log = server.log();
    assert_eq!(log.matches(" 404 ").count(), spellings.len(), "{log}");
    assert!(!log.contains(&token), "{log}");
    assert!(!log.contains(&token[..20]), "{log}");
    assert!(
        log.contains("gazette: GET /Unsubscribe/[token] 404 "),
        "{log}"
    );
    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Active)
    );
}

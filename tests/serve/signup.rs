//! Signing up: double opt-in, answers that give nothing away, bad input and
//! rate limits.

use super::{BEHIND_PROXY, CONSENT};
use crate::support::http::{FORM, form_encode, token_of};
use crate::support::mail::{confirm_path, parse_email};
use crate::support::{
    BASE_URL, LIST_ID, Newsletter, Response, SECRET, Secret, SmtpServer, Status, unfolded_header,
    wait_for,
};
use std::time::Duration;

#[test]
fn double_opt_in_round_trip_with_the_email_caught_by_smtp_sink() {
    let sink = SmtpServer::sink(&[]);
    let site = Newsletter::new(&format!(
        "transport = \"smtp\"\n{BEHIND_PROXY}\n[[smtp]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
        sink.port
    ));
    let server = site.serve();

    let form = server.get("/subscribe");
    assert_eq!(form.status, 200);
    assert!(form.body.contains(CONSENT), "{}", form.body);
    assert!(form.body.contains("name=\"email\""));
    assert_eq!(server.get("/").body, form.body);

    let answer = server.request(
        "POST",
        "/subscribe",
        &[
            ("Content-Type", FORM),
            ("X-Forwarded-For", "192.0.2.1, 198.51.100.23"),
        ],
        b"email=New.Reader%40Example.ORG&name=New+Reader",
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert!(answer.body.contains("Check your inbox"));
    let pending = site.subscriber("new.reader@example.org").unwrap();
    assert_eq!(pending.email, "New.Reader@example.org");
    assert_eq!(pending.status, Status::Pending);
    assert_eq!(pending.source.to_string(), "form");
    assert_eq!(pending.name.as_deref(), Some("New Reader"));
    assert!(
        pending
            .consent
            .text
            .as_deref()
            .unwrap()
            .starts_with(CONSENT)
    );
    // The right-most address: the one the proxy added.
    assert_eq!(pending.consent.ip.as_deref(), Some("198.51.100.23"));

    // The confirmation, as smtp-sink received it.
    let dumps = sink.dumps();
    // smtp-sink creates the file first and fills it as the message arrives:
    // wait until it holds the whole message (its closing MIME boundary).
    wait_for("the confirmation email", Duration::from_secs(20), || {
        std::fs::read_dir(&dumps).unwrap().flatten().any(|e| {
            std::fs::read_to_string(e.path())
                .is_ok_and(|t| t.contains("X-Rcpt-Args:") && t.trim_end().ends_with("--"))
        })
    });
    let file = std::fs::read_dir(&dumps)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(sink.recipients(), ["New.Reader@example.org"]);
    let mail = parse_email(&file);
    assert_eq!(mail.from, "Platform Notes <editor@platformnotes.example>");
    assert_eq!(mail.to, "New Reader <New.Reader@example.org>");
    assert_eq!(mail.subject, "Confirm your subscription to Platform Notes");
    assert_eq!(mail.content_type, "multipart/alternative");
    let path = confirm_path(&mail.text);
    assert!(mail.html.contains(&format!("{BASE_URL}{path}")));

    // GET shows a button and changes nothing; POST confirms.
    let page = server.get(&path);
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body
            .contains("<form method=\"post\"><button type=\"submit\">Confirm subscription")
    );
    assert_eq!(
        site.subscriber_status("new.reader@example.org"),
        Some(Status::Pending)
    );
    let done = server.post(&path, FORM, "");
    assert_eq!(done.status, 200, "{done:?}");
    assert!(done.body.contains("You are subscribed"));
    let active = site.subscriber("new.reader@example.org").unwrap();
    assert_eq!(active.status, Status::Active);
    assert!(active.confirmed.is_some());
    assert_eq!(active.consent.how.as_deref(), Some("form"));
    assert_eq!(active.consent.ip.as_deref(), Some("198.51.100.23"));
    // Again (a double click, a second tab): the same page, nothing changes.
    assert_eq!(server.post(&path, FORM, "").body, done.body);
    assert_eq!(server.get(&path).body, done.body);
    assert_eq!(site.subscriber("new.reader@example.org").unwrap(), active);

    // An expired link, though genuine, does not work.
    let secret = Secret::new(SECRET.as_bytes(), "t").unwrap();
    let expired = secret.confirm_token(LIST_ID, active.id, 1_700_000_000);
    assert_eq!(
        server.post(&format!("/confirm/{expired}"), FORM, "").status,
        400
    );
    let log = server.log();
    assert!(log.contains("gazette: POST /confirm/[token] 200 "), "{log}");
    assert!(!log.contains(token_of(&path)), "{log}");
}

#[test]
fn sign_ups_answer_alike_whatever_the_state_and_forgotten_addresses_stay_out() {
    let site = Newsletter::new(BEHIND_PROXY);
    site.add("active@example.org");
    site.add("left@example.org");
    site.gazette()
        .args(["subscribers", "remove", "left@example.org"])
        .assert()
        .success();
    site.add("gone@example.org");
    site.gazette()
        .args(["subscribers", "forget", "gone@example.org"])
        .assert()
        .success();
    let server = site.serve();
    assert_eq!(
        server.sign_up("pending@example.org", "192.0.2.10").status,
        200
    );
    assert_eq!(
        site.subscriber_status("pending@example.org"),
        Some(Status::Pending)
    );

    let addresses = [
        "new@example.org",
        "pending@example.org",
        "active@example.org",
        "ACTIVE@example.org",
        "left@example.org",
        "gone@example.org",
        "Gone@Example.org",
    ];
    let answers: Vec<Response> = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| server.sign_up(a, &format!("192.0.2.{}", 20 + i)))
        .collect();
    for (a, r) in addresses.iter().zip(&answers) {
        assert_eq!(r.status, 200, "{a}: {r:?}");
        assert_eq!(r.body, answers[0].body, "{a}");
        assert_eq!(
            r.header("content-length"),
            answers[0].header("content-length")
        );
    }

    assert_eq!(
        site.subscriber_status("new@example.org"),
        Some(Status::Pending)
    );
    assert_eq!(
        site.subscriber_status("pending@example.org"),
        Some(Status::Pending)
    );
    assert_eq!(
        site.subscriber_status("active@example.org"),
        Some(Status::Active)
    );
    // Someone who left stays so until they confirm.
    assert_eq!(
        site.subscriber_status("left@example.org"),
        Some(Status::Unsubscribed)
    );
    assert_eq!(site.subscriber("gone@example.org"), None);
    assert!(site.store().is_suppressed("gone@example.org").unwrap());

    // Confirmations went to new, pending (twice) and left; none to active or gone.
    let expected = [
        "left@example.org",
        "new@example.org",
        "pending@example.org",
        "pending@example.org",
    ];
    wait_for(
        "four confirmations in the outbox",
        Duration::from_secs(20),
        || site.outbox().len() >= expected.len(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut to: Vec<String> = site
        .outbox()
        .iter()
        .map(|m| unfolded_header(m, "Delivered-To").unwrap())
        .collect();
    to.sort();
    assert_eq!(to, expected);
}

#[test]
fn bad_sign_ups_are_refused_with_every_value_escaped() {
    let site = Newsletter::new(BEHIND_PROXY);
    let server = site.serve();
    let evil = "\"><script>alert(1)</script>";
    let answer = server.request(
        "POST",
        "/subscribe",
        &[("Content-Type", FORM)],
        format!("email={}&name={}", form_encode(evil), form_encode(evil)).as_bytes(),
    );
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("does not look like an email address"));
    assert!(!answer.body.contains("<script>"), "{}", answer.body);
    assert!(
        answer
            .body
            .contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"")
    );

    let not_a_form = server.post("/subscribe", "text/plain", "email=a@example.org");
    assert_eq!(not_a_form.status, 400, "{not_a_form:?}");
    // Bodies are limited to 16 KiB.
    let big = format!("email=a%40example.org&name={}", "x".repeat(20 * 1024));
    assert_eq!(server.post("/subscribe", FORM, &big).status, 413);
    assert_eq!(site.store().counts().unwrap().total(), 0);
    assert_eq!(server.get("/nothing-here").status, 404);
}

#[test]
fn rate_limits_answer_429_per_ip_and_per_address() {
    let site = Newsletter::new(BEHIND_PROXY);
    let server = site.serve();
    // At most 5 sign-ups an hour from one IP...
    for i in 0..5 {
        let answer = server.sign_up(&format!("reader{i}@example.org"), "203.0.113.5");
        assert_eq!(answer.status, 200, "{i}: {answer:?}");
    }
    let refused = server.sign_up("reader5@example.org", "203.0.113.5");
    assert_eq!(refused.status, 429, "{refused:?}");
    assert!(refused.body.contains("Too many requests"));
    assert_eq!(refused.header("retry-after"), Some("3600"));
    assert_eq!(site.subscriber("reader5@example.org"), None);
    assert_eq!(
        server.sign_up("reader5@example.org", "203.0.113.6").status,
        200
    );

    // ...and 3 a day for one address, from wherever.
    for i in 0..3 {
        let answer = server.sign_up("popular@example.org", &format!("198.51.100.{i}"));
        assert_eq!(answer.status, 200, "{i}: {answer:?}");
    }
    let refused_too = server.sign_up("popular@example.org", "198.51.100.9");
    assert_eq!(refused_too.status, 429);
    assert_eq!(refused_too.body, refused.body);

    // Without a trusted proxy header, the header is ignored: every request
    // comes from 127.0.0.1.
    let direct = Newsletter::new("");
    let server = direct.serve();
    for i in 0..5 {
        let answer = server.sign_up(&format!("d{i}@example.org"), &format!("192.0.2.{i}"));
        assert_eq!(answer.status, 200, "{i}: {answer:?}");
    }
    assert_eq!(server.sign_up("d5@example.org", "192.0.2.99").status, 429);
    let d0 = direct.subscriber("d0@example.org").unwrap();
    assert_eq!(d0.consent.ip.as_deref(), Some("127.0.0.1"));
}

#[test]
fn a_name_that_looks_like_an_encoded_word_is_shown_as_written() {
    let site = Newsletter::new(BEHIND_PROXY);
    let server = site.serve();
    // "Admin Team", if a mail client decoded it.
    let name = "=?utf-8?b?QWRtaW4gVGVhbQ==?=";
    let body = format!("email=eve%40example.org&name={}", form_encode(name));
    let answer = server.post("/subscribe", FORM, &body);
    assert_eq!(answer.status, 200, "{answer:?}");
    wait_for("the confirmation", Duration::from_secs(20), || {
        site.outbox().len() == 1
    });
    std::thread::sleep(Duration::from_millis(200));
    let file = site.dir().join("confirmation.eml");
    std::fs::write(&file, &site.outbox()[0]).unwrap();
    let to = unfolded_header(&site.outbox()[0], "To").unwrap();
    assert!(!to.contains(name), "written as given: {to}");
    // Python's email package (strict) decodes it back to the literal text.
    let mail = parse_email(&file);
    assert_eq!(mail.to, format!("{name} <eve@example.org>"));
}

#[test]
fn names_over_200_characters_are_refused_and_nothing_is_stored() {
    let site = Newsletter::new(BEHIND_PROXY);
    let server = site.serve();
    let long = "n".repeat(201);
    let body = format!("email=long%40example.org&name={long}");
    let answer = server.post("/subscribe", FORM, &body);
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(
        answer.body.contains("at most 200 characters"),
        "{}",
        answer.body
    );
    assert_eq!(site.store().counts().unwrap().total(), 0);
    std::thread::sleep(Duration::from_millis(300));
    assert!(site.outbox().is_empty());
    // 200 in any script is fine.
    let ok = "é".repeat(200);
    let body = format!("email=ok%40example.org&name={}", form_encode(&ok));
    assert_eq!(server.post("/subscribe", FORM, &body).status, 200);
    let stored = site.subscriber("ok@example.org").unwrap();
    assert_eq!(stored.name.as_deref(), Some(ok.as_str()));
}

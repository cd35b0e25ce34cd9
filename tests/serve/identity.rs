//! Links already sent keep working whatever the config says later: a new
//! `name` or a `list_id` set afterwards changes the list's identity, but every
//! token made under an earlier one is still honoured, and a resumed send keeps
//! its Message-IDs.

use crate::support::http::FORM;
use crate::support::mail::confirm_path;
use crate::support::{
    BASE_URL, DRAFT, LIST_ID, Newsletter, SECRET, Secret, Status, free_port, unfolded_header,
    wait_for,
};
use std::time::Duration;

/// The one-click path in the outbox's message to `to`.
fn sent_link(site: &Newsletter, to: &str) -> String {
    let message = site
        .outbox()
        .into_iter()
        .find(|m| unfolded_header(m, "To").is_some_and(|t| t.contains(to)))
        .unwrap_or_else(|| panic!("no message to {to}"));
    let header = unfolded_header(&message, "List-Unsubscribe").unwrap();
    let url = header
        .split(['<', '>'])
        .find(|u| u.starts_with("https://"))
        .unwrap();
    url.strip_prefix(BASE_URL).unwrap().to_string()
}

#[test]
fn links_sent_before_a_new_name_or_list_id_still_unsubscribe() {
    let site = Newsletter::new("");
    for who in ["ada", "bob", "cy"] {
        site.add(&format!("{who}@example.org"));
    }
    let sent = site.send(&[]);
    assert_eq!(sent.code, Some(0), "{sent:?}");
    let links: Vec<String> = ["ada", "bob", "cy"]
        .iter()
        .map(|w| sent_link(&site, &format!("{w}@example.org")))
        .collect();

    // A sign-up whose confirmation link was mailed under the old identity.
    let server = site.serve();
    assert_eq!(server.sign_up("dee@example.org", "127.0.0.1").status, 200);
    wait_for("the confirmation", Duration::from_secs(20), || {
        site.outbox().iter().any(|m| m.contains("/confirm/"))
    });
    let confirmation = site
        .outbox()
        .into_iter()
        .find(|m| m.contains("/confirm/"))
        .unwrap();
    let confirm = confirm_path(&confirmation.replace("=\r\n", ""));
    drop(server);

    // The newsletter is renamed: its derived list_id changes.
    site.configure("name = \"Platform Notes Weekly\"");
    let server = site.serve();
    assert_eq!(server.get(&links[0]).status, 200, "{}", server.log());
    let done = server.post(&links[0], FORM, "List-Unsubscribe=One-Click");
    assert_eq!(done.status, 200, "{done:?}");
    assert!(done.body.contains("You are unsubscribed"));
    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Unsubscribed)
    );
    let confirmed = server.post(&confirm, FORM, "");
    assert_eq!(confirmed.status, 200, "{confirmed:?}");
    assert_eq!(
        site.subscriber_status("dee@example.org"),
        Some(Status::Active)
    );
    drop(server);

    // Then an explicit list_id is set: still the same links work.
    site.configure("name = \"Platform Notes Weekly\"\nlist_id = \"weekly.platformnotes.example\"");
    let server = site.serve();
    for link in &links[1..] {
        let done = server.post(link, FORM, "List-Unsubscribe=One-Click");
        assert_eq!(done.status, 200, "{done:?}");
    }
    for who in ["bob@example.org", "cy@example.org"] {
        assert_eq!(
            site.subscriber_status(who),
            Some(Status::Unsubscribed),
            "{who}"
        );
    }
    // A token of a list this newsletter never was is still refused.
    let stranger = Secret::new(SECRET.as_bytes(), "t")
        .unwrap()
        .unsubscribe_token("another-list.example.org", 1);
    let path = format!("/unsubscribe/{stranger}");
    assert_eq!(
        server
            .post(&path, FORM, "List-Unsubscribe=One-Click")
            .status,
        400
    );
}

#[test]
fn a_send_resumed_after_a_rename_keeps_its_message_ids() {
    let site = Newsletter::new("");
    site.add("ada@example.org");
    site.add("bob@example.org");
    // Begun with no relay able to take mail: everyone deferred.
    let nobody = format!("smtp://127.0.0.1:{}", free_port());
    let first = site.run(&["send", DRAFT, "--yes", "--transport", &nobody], &[]);
    assert_eq!(first.code, Some(75), "{first:?}");

    site.configure("name = \"Platform Notes Weekly\"");
    let resumed = site.send(&[]);
    assert_eq!(resumed.code, Some(0), "{resumed:?}");
    let secret = Secret::new(SECRET.as_bytes(), "t").unwrap();
    let ids = site.subscriber_ids();
    for who in ["ada@example.org", "bob@example.org"] {
        let id = ids[who];
        let message = site
            .outbox()
            .into_iter()
            .find(|m| unfolded_header(m, "To").is_some_and(|t| t.contains(who)))
            .unwrap();
        let expected = format!(
            "<gz.41.{}@platformnotes.example>",
            secret.message_id_part(LIST_ID, 41, id)
        );
        assert_eq!(
            unfolded_header(&message, "Message-ID").unwrap(),
            expected,
            "{who}"
        );
        // And `render --to` shows exactly the message they were sent.
        let eml = site.stdout(&["render", DRAFT, "--format", "eml", "--to", who]);
        assert_eq!(
            unfolded_header(&eml, "Message-ID").unwrap(),
            expected,
            "{who}"
        );
    }
    let server = site.serve();
    let link = sent_link(&site, "ada@example.org");
    assert_eq!(
        server
            .post(&link, FORM, "List-Unsubscribe=One-Click")
            .status,
        200
    );
    assert_eq!(
        site.subscriber_status("ada@example.org"),
        Some(Status::Unsubscribed)
    );
}

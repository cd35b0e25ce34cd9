//! The sign-up queries against a real (in-memory) store: requests, confirmation, rate limits.

use super::*;

const HOUR: i64 = 3600;

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + seconds).unwrap()
}

fn request(email: &str) -> Request<'_> {
    Request {
        email,
        name: Some(" Ada\n Lovelace "),
        consent_text: "Send me the newsletter.",
        ip: Some("192.0.2.7"),
    }
}

fn id_of(r: Requested) -> i64 {
    match r {
        Requested::Confirm(s) => s.id,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_new_address_is_pending_until_confirmed() {
    let mut store = Store::open_in_memory().unwrap();
    let exp = at(48 * HOUR).as_second();
    let id = id_of(
        store
            .request_signup(&request("ada@example.org"), at(0), exp)
            .unwrap(),
    );
    let s = store.get(id).unwrap().unwrap();
    assert_eq!(
        (s.status, s.source.to_string()),
        (Status::Pending, "form".into())
    );
    assert_eq!(s.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(s.consent.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(store.confirmation(id, exp).unwrap(), Confirmation::Open);
    assert_eq!(
        store.confirmation(id, exp + 1).unwrap(),
        Confirmation::Invalid
    );

    assert_eq!(
        store.confirm_signup(id, exp, at(HOUR)).unwrap(),
        Confirmation::Open
    );
    let s = store.get(id).unwrap().unwrap();
    assert_eq!(s.status, Status::Active);
    assert_eq!(s.confirmed, Some(at(HOUR)));
    assert_eq!(s.consent.at, Some(at(0)));
    assert_eq!(s.consent.text.as_deref(), Some("Send me the newsletter."));
    // Again: still fine, nothing changes.
    assert_eq!(
        store.confirm_signup(id, exp, at(2 * HOUR)).unwrap(),
        Confirmation::Active
    );
    assert_eq!(store.get(id).unwrap().unwrap().confirmed, Some(at(HOUR)));
    assert_eq!(
        store
            .request_signup(&request("ADA@example.org"), at(3 * HOUR), exp)
            .unwrap(),
        Requested::Active
    );
}

#[test]
fn forgotten_addresses_are_never_stored() {
    let mut store = Store::open_in_memory().unwrap();
    store.forget("gone@example.org", at(0)).unwrap();
    assert_eq!(
        store
            .request_signup(&request("gone@example.org"), at(1), 99)
            .unwrap(),
        Requested::Suppressed
    );
    assert_eq!(store.get_by_email("gone@example.org").unwrap(), None);
}

#[test]
fn a_second_request_keeps_the_first_link_working() {
    let mut store = Store::open_in_memory().unwrap();
    let (e1, e2) = (at(48 * HOUR).as_second(), at(49 * HOUR).as_second());
    let id = id_of(
        store
            .request_signup(&request("b@example.org"), at(0), e1)
            .unwrap(),
    );
    let again = id_of(
        store
            .request_signup(&request("b@example.org"), at(HOUR), e2)
            .unwrap(),
    );
    assert_eq!(id, again);
    assert_eq!(store.confirmation(id, e1).unwrap(), Confirmation::Open);
    assert_eq!(store.confirmation(id, e2).unwrap(), Confirmation::Open);
    // A token older than the open request is not honoured.
    assert_eq!(
        store.confirmation(id, e1 - 1).unwrap(),
        Confirmation::Invalid
    );
}

#[test]
fn leaving_after_asking_wins_and_asking_again_brings_back() {
    let mut store = Store::open_in_memory().unwrap();
    let exp = at(48 * HOUR).as_second();
    store
        .add("c@example.org", None, "cli", false, at(0))
        .unwrap();
    store.unsubscribe("c@example.org", at(HOUR)).unwrap();
    let id = id_of(
        store
            .request_signup(&request("c@example.org"), at(2 * HOUR), exp)
            .unwrap(),
    );
    // Asking changes nothing by itself.
    assert_eq!(store.get(id).unwrap().unwrap().status, Status::Unsubscribed);
    assert_eq!(
        store.confirm_signup(id, exp, at(3 * HOUR)).unwrap(),
        Confirmation::Open
    );
    let s = store.get(id).unwrap().unwrap();
    assert_eq!((s.status, s.unsubscribed), (Status::Active, None));

    // Removed after asking: the request's link is void.
    let id2 = id_of(
        store
            .request_signup(&request("d@example.org"), at(4 * HOUR), exp)
            .unwrap(),
    );
    store.unsubscribe("d@example.org", at(5 * HOUR)).unwrap();
    assert_eq!(store.confirmation(id2, exp).unwrap(), Confirmation::Invalid);
    assert_eq!(
        store.confirm_signup(id2, exp, at(6 * HOUR)).unwrap(),
        Confirmation::Invalid
    );
    assert_eq!(
        store.get(id2).unwrap().unwrap().status,
        Status::Unsubscribed
    );
}

#[test]
fn rate_limits_count_within_their_window() {
    let mut store = Store::open_in_memory().unwrap();
    for i in 0..3 {
        assert!(store.rate_take("ip:192.0.2.1", 3, HOUR, 1000 + i).unwrap());
    }
    assert!(!store.rate_take("ip:192.0.2.1", 3, HOUR, 1010).unwrap());
    assert!(store.rate_take("ip:192.0.2.2", 3, HOUR, 1010).unwrap());
    // An hour after the first: one slot is free again, once.
    assert!(
        store
            .rate_take("ip:192.0.2.1", 3, HOUR, 1000 + HOUR)
            .unwrap()
    );
    assert!(
        !store
            .rate_take("ip:192.0.2.1", 3, HOUR, 1000 + HOUR)
            .unwrap()
    );
    assert!(address_bucket("A@example.org") == address_bucket("a@example.org"));
}

//! Recipients who leave a run: readers who unsubscribe while it goes, and
//! those deferred for longer than `max_retry_age`.

use super::*;
/// Readers who unsubscribe while the send runs (another process writes it)
/// get no message built after that, although the batch holding them was read
/// before: each is `skipped` in the ledger, its reason the subscriber's
/// status, counted as skipped. With and without DKIM (which builds the next
/// message ahead).
#[tokio::test]
async fn a_reader_who_unsubscribes_during_the_send_is_skipped_not_sent() {
    for dkim in [false, true] {
        let mut f = Fixture::new(8);
        let path = f.path.clone();
        let stub = Arc::new(Stub::new("one").on_call(move |e| {
            if e.to == "r1@example.org" {
                let mut other = Store::open(&path).unwrap();
                let at = jiff::Timestamp::from_second(NOW).unwrap();
                for leaving in ["r3@example.org", "r6@example.org"] {
                    other.unsubscribe(leaving, at).unwrap();
                }
            }
        }));
        let report = f
            .send(vec![route(&stub, 1)], dkim, &mut Stop::never())
            .await;
        let called = stub.recipients();
        assert!(
            !called
                .iter()
                .any(|r| r == "r3@example.org" || r == "r6@example.org"),
            "dkim {dkim}: {called:?}"
        );
        assert_eq!((report.sent, report.skipped), (6, 2), "dkim {dkim}");
        let mut stmt = (f.store.conn())
            .prepare(
                "SELECT state, attempts, last_reply FROM deliveries WHERE subscriber_id IN (4, 7)",
            )
            .unwrap();
        let rows: Vec<(DeliveryState, u32, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let skipped = (DeliveryState::Skipped, 0, Some("unsubscribed".to_string()));
        assert_eq!(rows, [skipped.clone(), skipped], "dkim {dkim}");
    }
}

/// A recipient deferred run after run fails once `max_retry_age` (5 days by
/// default) has passed since their first attempt, with the last reply and
/// the reason; before that they stay deferred. A relay that cannot be reached
/// at all (every relay resting) gives up on them the same way.
#[tokio::test(start_paused = true)]
async fn a_recipient_deferred_for_longer_than_max_retry_age_fails_with_the_last_reply() {
    let mut f = Fixture::new(3);
    assert_eq!(f.delivery().max_retry_age, Duration::from_secs(5 * 86_400));
    let busy = || Arc::new(Stub::new("busy").answering(vec![deferral(450); 20]));
    let first = f
        .send(vec![route(&busy(), 1)], false, &mut Stop::never())
        .await;
    assert_eq!(first.deferred, 3);

    // Four days on: still deferred.
    let later = f
        .send_at(vec![route(&busy(), 1)], false, &mut Stop::never(), || {
            NOW + 4 * 86_400
        })
        .await;
    assert_eq!((later.deferred, later.failed), (3, 0));
    assert!(f.rows().iter().all(|r| r.state == DeliveryState::Deferred));

    // Five days and a second after the first attempt: the next deferral fails them.
    let late = f
        .send_at(vec![route(&busy(), 1)], false, &mut Stop::never(), || {
            NOW + 5 * 86_400 + 1
        })
        .await;
    assert_eq!((late.deferred, late.failed), (0, 3));
    let problems = f.store.problems(ISSUE).unwrap();
    assert_eq!(problems.len(), 3);
    for p in &problems {
        assert_eq!(
            (p.state, p.code),
            (DeliveryState::Failed, Some(450)),
            "{p:?}"
        );
        assert!(p.reply.starts_with("450 4.3.0 try later"), "{p:?}");
        assert!(
            p.reply.contains("deferred for 5 days (max_retry_age)"),
            "{p:?}"
        );
    }
    // Failed, not bounced: the address may be fine.
    assert_eq!(f.store.active_count().unwrap(), 3);
}

/// When no relay can take mail (refused connections), the recipients left
/// deferred past `max_retry_age` fail too, rather than wait for ever.
#[tokio::test(start_paused = true)]
async fn when_no_relay_can_take_mail_recipients_past_max_retry_age_fail() {
    let mut f = Fixture::new(3);
    let busy = Arc::new(Stub::new("busy").answering(vec![deferral(450); 20]));
    f.send(vec![route(&busy, 1)], false, &mut Stop::never())
        .await;
    let refused = || Outcome::Deferred {
        code: None,
        reply: "cannot connect to relay: Connection refused".into(),
        relay_trouble: true,
    };
    let down = Arc::new(Stub::new("down").answering(vec![refused(); 20]));
    let report = f
        .send_at(vec![route(&down, 1)], false, &mut Stop::never(), || {
            NOW + 6 * 86_400
        })
        .await;
    assert!(report.suspended.is_some(), "{report:?}");
    assert_eq!(down.recipients().len(), 1);
    let rows = f.rows();
    assert!(
        rows.iter().all(|r| r.state == DeliveryState::Failed),
        "{rows:?}"
    );
    assert_eq!((report.failed, report.deferred), (3, 0), "{report:?}");
}

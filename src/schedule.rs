//! Which drafts are due: a pure function of the drafts' `send_at`, what the
//! ledger says of each issue, and the time, so every case is testable exactly.
//!
//! A draft is due when its `send_at` has come and its list send is not
//! complete. A send already begun always resumes; one not begun and more than
//! `max_lateness` late is not started automatically (an editor sends it by
//! hand or moves `send_at`).

use jiff::{SignedDuration, Timestamp};

/// What the ledger says of one issue's list send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledger {
    NotStarted,
    /// Begun; some recipients are still pending, in doubt or deferred.
    Incomplete,
    Complete,
}

/// Where a draft stands, as `gazette schedule` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No `send_at`: sent only by hand.
    Draft,
    /// `send_at` is still ahead.
    Scheduled,
    /// `send_at` has come; the next `send --due` sends it.
    Due,
    /// Begun and not complete.
    Sending,
    Sent,
    /// Not begun and more than `max_lateness` past `send_at`.
    TooLate,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Scheduled => "scheduled",
            State::Due => "due",
            State::Sending => "sending",
            State::Sent => "sent",
            State::TooLate => "too late",
        }
    }
}

/// The state of one draft at `now`.
pub fn state(
    send_at: Option<Timestamp>,
    ledger: Ledger,
    now: Timestamp,
    max_lateness: SignedDuration,
) -> State {
    match (send_at, ledger) {
        (_, Ledger::Complete) => State::Sent,
        (_, Ledger::Incomplete) => State::Sending,
        (None, Ledger::NotStarted) => State::Draft,
        (Some(at), Ledger::NotStarted) if at > now => State::Scheduled,
        (Some(at), Ledger::NotStarted) if now.duration_since(at) > max_lateness => State::TooLate,
        (Some(_), Ledger::NotStarted) => State::Due,
    }
}

/// One draft as the due logic sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub issue: u32,
    pub send_at: Option<Timestamp>,
    pub ledger: Ledger,
}

/// What a `send --due` run should do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Due {
    /// Issues to send or resume, oldest `send_at` first.
    pub send: Vec<u32>,
    /// Issues too late to start automatically.
    pub too_late: Vec<u32>,
}

/// The issues to send at `now`: due ones, and begun ones whose `send_at` has come.
pub fn due(entries: &[Entry], now: Timestamp, max_lateness: SignedDuration) -> Due {
    let mut send: Vec<(Timestamp, u32)> = Vec::new();
    let mut too_late = Vec::new();
    for e in entries {
        let Some(at) = e.send_at.filter(|at| *at <= now) else {
            continue;
        };
        match state(e.send_at, e.ledger, now, max_lateness) {
            State::Due | State::Sending => send.push((at, e.issue)),
            State::TooLate => too_late.push(e.issue),
            _ => {}
        }
    }
    send.sort();
    too_late.sort();
    Due {
        send: send.into_iter().map(|(_, issue)| issue).collect(),
        too_late,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::DateTime;
    use jiff::tz::TimeZone;

    const DAY: SignedDuration = SignedDuration::from_hours(24);

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn entry(issue: u32, at: &str, ledger: Ledger) -> Entry {
        Entry {
            issue,
            send_at: Some(ts(at)),
            ledger,
        }
    }

    #[test]
    fn states_follow_the_clock_and_the_ledger() {
        let now = ts("2026-12-06T12:00:00Z");
        let s = |at: Option<&str>, l| state(at.map(ts), l, now, DAY);
        assert_eq!(s(None, Ledger::NotStarted), State::Draft);
        assert_eq!(
            s(Some("2026-12-06T12:00:01Z"), Ledger::NotStarted),
            State::Scheduled
        );
        assert_eq!(
            s(Some("2026-12-06T12:00:00Z"), Ledger::NotStarted),
            State::Due
        );
        assert_eq!(
            s(Some("2026-12-05T12:00:00Z"), Ledger::NotStarted),
            State::Due,
            "exactly the lateness"
        );
        assert_eq!(
            s(Some("2026-12-05T11:59:59Z"), Ledger::NotStarted),
            State::TooLate
        );
        assert_eq!(
            s(Some("2026-11-01T00:00:00Z"), Ledger::Incomplete),
            State::Sending,
            "a begun send always resumes"
        );
        assert_eq!(
            s(Some("2026-11-01T00:00:00Z"), Ledger::Complete),
            State::Sent
        );
    }

    #[test]
    fn several_due_drafts_go_oldest_first() {
        let now = ts("2026-12-06T12:00:00Z");
        let entries = [
            entry(43, "2026-12-06T11:00:00Z", Ledger::NotStarted),
            entry(42, "2026-12-06T09:00:00Z", Ledger::Incomplete),
            entry(41, "2026-11-29T09:00:00Z", Ledger::Complete),
            entry(44, "2026-12-13T09:00:00Z", Ledger::NotStarted),
            entry(40, "2026-12-01T09:00:00Z", Ledger::NotStarted),
            Entry {
                issue: 45,
                send_at: None,
                ledger: Ledger::NotStarted,
            },
            entry(39, "2026-11-01T09:00:00Z", Ledger::Incomplete),
        ];
        assert_eq!(
            due(&entries, now, DAY),
            Due {
                send: vec![39, 42, 43],
                too_late: vec![40]
            }
        );
        // Nothing due: nothing to do.
        assert_eq!(due(&entries[2..4], now, DAY), Due::default());
    }

    #[test]
    fn a_begun_send_with_send_at_ahead_is_left_alone() {
        let now = ts("2026-12-06T12:00:00Z");
        let entries = [entry(50, "2026-12-20T09:00:00Z", Ledger::Incomplete)];
        assert_eq!(due(&entries, now, DAY), Due::default());
    }

    /// Local times resolved as the draft parser does, on each side of DST.
    fn local(tz: &str, dt: &str) -> Timestamp {
        let dt: DateTime = dt.parse().unwrap();
        TimeZone::get(tz)
            .unwrap()
            .to_ambiguous_timestamp(dt)
            .unambiguous()
            .unwrap()
    }

    #[test]
    fn due_across_dst_in_london() {
        // Clocks go forward at 01:00 UTC on 2026-03-29: 09:00 local is 08:00 UTC after.
        let at = local("Europe/London", "2026-03-29T09:00:00");
        assert_eq!(at, ts("2026-03-29T08:00:00Z"));
        let e = [Entry {
            issue: 1,
            send_at: Some(at),
            ledger: Ledger::NotStarted,
        }];
        assert!(due(&e, ts("2026-03-29T07:59:59Z"), DAY).send.is_empty());
        assert_eq!(due(&e, ts("2026-03-29T08:00:00Z"), DAY).send, [1]);
        // And back on 2026-10-25: 09:00 local is 09:00 UTC.
        assert_eq!(
            local("Europe/London", "2026-10-25T09:00:00"),
            ts("2026-10-25T09:00:00Z")
        );
    }

    #[test]
    fn due_across_dst_in_new_york() {
        // 2026-03-08 springs forward: 09:00 EDT is 13:00 UTC; the day before, EST, 14:00 UTC.
        assert_eq!(
            local("America/New_York", "2026-03-08T09:00:00"),
            ts("2026-03-08T13:00:00Z")
        );
        assert_eq!(
            local("America/New_York", "2026-03-07T09:00:00"),
            ts("2026-03-07T14:00:00Z")
        );
        // 2026-11-01 falls back: 09:00 EST is 14:00 UTC.
        let at = local("America/New_York", "2026-11-01T09:00:00");
        assert_eq!(at, ts("2026-11-01T14:00:00Z"));
        let e = [Entry {
            issue: 7,
            send_at: Some(at),
            ledger: Ledger::NotStarted,
        }];
        assert!(due(&e, ts("2026-11-01T13:59:59Z"), DAY).send.is_empty());
        assert_eq!(due(&e, ts("2026-11-01T14:00:00Z"), DAY).send, [7]);
        // The lateness window is measured in real time across the change.
        assert_eq!(due(&e, ts("2026-11-02T14:00:01Z"), DAY).too_late, [7]);
    }

    #[test]
    fn local_times_in_the_gap_or_fold_are_ambiguous() {
        let london = TimeZone::get("Europe/London").unwrap();
        let gap: DateTime = "2026-03-29T01:30:00".parse().unwrap();
        let fold: DateTime = "2026-10-25T01:30:00".parse().unwrap();
        assert!(london.to_ambiguous_timestamp(gap).is_ambiguous());
        assert!(london.to_ambiguous_timestamp(fold).is_ambiguous());
        let ny = TimeZone::get("America/New_York").unwrap();
        assert!(
            ny.to_ambiguous_timestamp("2026-03-08T02:30:00".parse().unwrap())
                .is_ambiguous()
        );
        assert!(
            ny.to_ambiguous_timestamp("2026-11-01T01:30:00".parse().unwrap())
                .is_ambiguous()
        );
    }
}

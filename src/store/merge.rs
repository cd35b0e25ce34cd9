//! What happens when an address meets the store, or the same file, again.
//!
//! Pure functions, so the rules are tested without a database. Leaving wins:
//! an address that unsubscribed, bounced or complained is never made active or
//! pending again unless the caller says it resubscribed, while news that an
//! active address left is always taken. An active address never goes back to
//! pending, and a name given replaces the one on file.

use super::{Consent, Source, Status, Subscriber};
use crate::id::SubscriberId;
use jiff::Timestamp;

/// A subscriber as a file or a command describes it, before it meets the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// The line of the file it came from (0 when it came from no file).
    pub line: u64,
    /// Kept only when restoring into a store that never held a subscriber.
    pub id: Option<i64>,
    /// Normalised.
    pub email: String,
    pub name: Option<String>,
    pub status: Status,
    pub created: Option<Timestamp>,
    pub confirmed: Option<Timestamp>,
    pub unsubscribed: Option<Timestamp>,
    pub source: Option<Source>,
    pub consent: Consent,
    /// Never to be mailed again (listmonk's `blocklisted`): the address goes
    /// on the suppression list as well, which no resubscription undoes.
    pub blocklisted: bool,
    /// Another list's attributes (JSON text), kept with the subscriber.
    pub attributes: Option<String>,
}

impl Incoming {
    pub fn new(email: String, status: Status) -> Incoming {
        Incoming {
            line: 0,
            id: None,
            email,
            name: None,
            status,
            created: None,
            confirmed: None,
            unsubscribed: None,
            source: None,
            consent: Consent::default(),
            blocklisted: false,
            attributes: None,
        }
    }
}

/// What merging one incoming subscriber into the store did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Added(SubscriberId),
    Updated {
        id: SubscriberId,
        was: Status,
    },
    Unchanged(SubscriberId),
    /// It had left and was not resubscribed: untouched.
    KeptLeft(i64),
    /// It was forgotten: not added.
    Suppressed,
}

/// The result of [`merge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    Same,
    Changed(Box<Subscriber>),
    KeptLeft,
}

/// A new subscriber from an incoming one; `source` applies when it names none.
pub fn new_subscriber(inc: &Incoming, source: &Source, now: Timestamp) -> Subscriber {
    let consent = Consent {
        at: inc.consent.at.or(Some(now)),
        ..inc.consent.clone()
    };
    Subscriber {
        id: inc.id.unwrap_or(0),
        email: inc.email.clone(),
        name: inc.name.clone(),
        status: inc.status,
        created: inc.created.or(inc.consent.at).unwrap_or(now),
        confirmed: match inc.status {
            Status::Active => inc.confirmed.or(consent.at),
            _ => inc.confirmed,
        },
        unsubscribed: match inc.status.has_left() {
            true => inc.unsubscribed.or(Some(now)),
            false => None,
        },
        source: inc.source.clone().unwrap_or_else(|| source.clone()),
        consent,
        attributes: inc.attributes.clone(),
    }
}

/// Merges an incoming subscriber into the one on file.
pub fn merge(old: &Subscriber, inc: &Incoming, resubscribe: bool, now: Timestamp) -> Merged {
    let mut new = old.clone();
    let consent = || Consent {
        at: inc.consent.at.or(Some(now)),
        ..inc.consent.clone()
    };
    match (old.status.has_left(), inc.status.has_left()) {
        (true, true) => {}
        (true, false) if !resubscribe => return Merged::KeptLeft,
        (true, false) => {
            new.status = inc.status;
            new.unsubscribed = None;
            new.consent = consent();
            new.confirmed = match inc.status {
                Status::Active => inc.confirmed.or(new.consent.at),
                _ => None,
            };
        }
        (false, true) => {
            new.status = inc.status;
            new.unsubscribed = inc.unsubscribed.or(Some(now));
        }
        (false, false) => {
            if old.status == Status::Pending && inc.status == Status::Active {
                new.status = Status::Active;
                if new.consent.at.is_none() {
                    new.consent = consent();
                }
                new.confirmed = inc.confirmed.or(inc.consent.at).or(Some(now));
            }
        }
    }
    if inc.name.is_some() {
        new.name = inc.name.clone();
    }
    if inc.attributes.is_some() {
        new.attributes = inc.attributes.clone();
    }
    if new.consent.is_empty() && !inc.consent.is_empty() {
        new.consent = consent();
    }
    if new == *old {
        Merged::Same
    } else {
        Merged::Changed(Box::new(new))
    }
}

/// Folds a later row of the same file into an earlier one for the same address.
pub fn combine(first: &mut Incoming, later: Incoming) {
    first.blocklisted |= later.blocklisted;
    if later.attributes.is_some() {
        first.attributes = later.attributes.clone();
    }
    match (first.status.has_left(), later.status.has_left()) {
        (true, _) => {}
        (false, true) => {
            first.status = later.status;
            first.unsubscribed = later.unsubscribed;
        }
        (false, false) => {
            if later.status == Status::Active {
                first.status = Status::Active;
            }
        }
    }
    if later.name.is_some() {
        first.name = later.name;
    }
    first.id = first.id.or(later.id);
    first.created = match (first.created, later.created) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    first.confirmed = first.confirmed.or(later.confirmed);
    first.source = first.source.take().or(later.source);
    if first.consent.is_empty() {
        first.consent = later.consent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn now() -> Timestamp {
        at("2026-12-06T09:00:00Z")
    }

    fn on_file(status: Status) -> Subscriber {
        let mut inc = Incoming::new("ada@example.com".into(), status);
        inc.consent.how = Some("cli".into());
        let mut s = new_subscriber(&inc, &Source::Cli, at("2026-01-01T00:00:00Z"));
        s.id = 7;
        s
    }

    fn incoming(status: Status) -> Incoming {
        Incoming::new("ada@example.com".into(), status)
    }

    #[test]
    fn new_subscribers_get_their_stamps() {
        let s = new_subscriber(&incoming(Status::Active), &Source::Cli, now());
        assert_eq!(
            (s.created, s.confirmed, s.unsubscribed),
            (now(), Some(now()), None)
        );
        assert_eq!(s.consent.at, Some(now()));
        let s = new_subscriber(&incoming(Status::Bounced), &Source::Cli, now());
        assert_eq!((s.confirmed, s.unsubscribed), (None, Some(now())));
        let mut inc = incoming(Status::Active);
        inc.source = Some(Source::Form);
        let s = new_subscriber(&inc, &Source::Import("x.csv".into()), now());
        assert_eq!(s.source, Source::Form);
    }

    #[test]
    fn those_who_left_stay_left() {
        for left in [Status::Unsubscribed, Status::Bounced, Status::Complained] {
            for back in [Status::Active, Status::Pending] {
                let old = on_file(left);
                let mut inc = incoming(back);
                inc.name = Some("Ada".into());
                assert_eq!(merge(&old, &inc, false, now()), Merged::KeptLeft);
                let Merged::Changed(new) = merge(&old, &inc, true, now()) else {
                    panic!("{left} not resubscribed");
                };
                assert_eq!(new.status, back);
                assert_eq!(new.unsubscribed, None);
                assert_eq!(new.consent.at, Some(now()));
                assert_eq!(new.name.as_deref(), Some("Ada"));
            }
        }
    }

    #[test]
    fn leaving_wins_and_keeps_the_first_time() {
        let old = on_file(Status::Active);
        let Merged::Changed(new) = merge(&old, &incoming(Status::Complained), false, now()) else {
            panic!();
        };
        assert_eq!(
            (new.status, new.unsubscribed),
            (Status::Complained, Some(now()))
        );
        let old = on_file(Status::Unsubscribed);
        assert_eq!(
            merge(&old, &incoming(Status::Bounced), true, now()),
            Merged::Same
        );
    }

    #[test]
    fn active_never_goes_back_to_pending() {
        let old = on_file(Status::Active);
        assert_eq!(
            merge(&old, &incoming(Status::Pending), false, now()),
            Merged::Same
        );
        let old = on_file(Status::Pending);
        let Merged::Changed(new) = merge(&old, &incoming(Status::Active), false, now()) else {
            panic!();
        };
        assert_eq!(new.status, Status::Active);
        assert_eq!(new.confirmed, Some(now()));
        assert_eq!(new.consent, old.consent);
    }

    #[test]
    fn duplicates_in_a_file_combine() {
        let mut first = incoming(Status::Pending);
        first.line = 2;
        first.created = Some(at("2025-05-01T00:00:00Z"));
        let mut later = incoming(Status::Active);
        later.name = Some("Ada".into());
        later.created = Some(at("2024-05-01T00:00:00Z"));
        combine(&mut first, later);
        assert_eq!(first.status, Status::Active);
        assert_eq!(first.name.as_deref(), Some("Ada"));
        assert_eq!(first.created, Some(at("2024-05-01T00:00:00Z")));
        assert_eq!(first.line, 2);
        combine(&mut first, incoming(Status::Unsubscribed));
        assert_eq!(first.status, Status::Unsubscribed);
        combine(&mut first, incoming(Status::Active));
        assert_eq!(first.status, Status::Unsubscribed);
    }
}

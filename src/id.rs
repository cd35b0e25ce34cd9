//! The one subscriber id type. It is the store's `INTEGER PRIMARY KEY`
//! (AUTOINCREMENT from 1, never reused), which the unsubscribe and
//! confirmation tokens and the Message-IDs encode, so everything from the
//! store to the tokens names a subscriber with it and nothing casts between
//! widths. Id 0 is no subscriber: a test send's token names it.

/// A subscriber, as the store numbers them.
pub type SubscriberId = i64;

/// The id a test send's token names: no subscriber has it.
pub const TEST_SEND: SubscriberId = 0;

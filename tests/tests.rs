//! Integration tests, one binary with a module per topic.

mod compose;
mod message;
mod relays;
mod schedule;
mod send;
mod serve;
mod subscribers;
mod support;

//! Integration tests, one binary with a module per topic; what they share is
//! in `support/`.

mod bounce_sources;
mod bounces;
mod catalogue;
mod compose;
mod dns;
mod edges;
mod json;
mod message;
mod mutation;
mod relays;
mod schedule;
mod send;
mod serve;
mod subscribers;
mod support;

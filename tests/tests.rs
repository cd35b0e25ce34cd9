//! Integration tests, one binary with a module per topic.

mod compose;
mod message;
mod send;
mod subscribers;

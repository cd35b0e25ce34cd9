//! Sending: test sends and list sends through a transport, with every
//! recipient recorded in the ledger so that a send can be interrupted and
//! resumed without losing or doubling anyone.

pub mod issue;

pub mod engine;
pub mod outbox;
pub mod plan;
pub mod rate;
pub mod retry;
pub mod settle;
pub mod signal;
pub mod smtp;
pub mod transport;
pub mod worker;

#[cfg(test)]
mod tests;

//! Sending: test sends and list sends through a transport, with every
//! recipient recorded in the ledger so that a send can be interrupted and
//! resumed without losing or doubling anyone.

pub mod issue;
pub mod transport;

pub mod engine;
pub mod pipeline;
pub mod rate;

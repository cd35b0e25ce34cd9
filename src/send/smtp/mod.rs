//! The SMTP transport: a relay as a transport and its transactions
//! (`relay`), opening its connections with TLS and login (`connect`, over
//! the byte streams of `stream`), the transactions themselves, pipelined
//! above TLS (`session`), and the classification of replies (`reply`).

mod address;
mod connect;
pub mod relay;
pub mod reply;
pub mod session;
mod stream;
mod tls;

pub use relay::SmtpRelay;

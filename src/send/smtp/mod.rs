//! The SMTP transport: a relay as a transport and its transactions
//! (`relay`), opening its connections with TLS and login (`connect`), the
//! classification of its replies (`reply`), and PIPELINING under lettre for
//! plain-text connections (`pipeline`).

mod address;
mod connect;
pub mod pipeline;
pub mod relay;
pub mod reply;
mod tls;

pub use relay::SmtpRelay;

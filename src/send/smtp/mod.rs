//! The SMTP transport: a relay's connections (`relay`), the classification
//! of its replies (`reply`), and PIPELINING under lettre for plain-text
//! connections (`pipeline`).

pub mod pipeline;
pub mod relay;
pub mod reply;

pub use relay::SmtpRelay;

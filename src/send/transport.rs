//! Transports: where a finished message goes, behind one small trait.
//!
//! A transport sends raw bytes to an envelope and says what became of them as
//! an [`Outcome`], already classified, so the send loop never matches strings.
//! The SMTP relay lives in `smtp/`, the Maildir outbox in `outbox`; [`Stub`]
//! is the scripted transport the engine's unit tests drive.

use std::future::Future;
use std::pin::Pin;

/// The SMTP envelope of one message.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub from: String,
    pub to: String,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted (2xx); the reply usually names the server's queue id.
    Sent { reply: String },
    /// Not now (4xx, dropped connection, timeout): try again later.
    /// `relay_trouble` is set when the relay itself is unwell (refused
    /// connection, 421), so it should rest.
    Deferred {
        code: Option<u16>,
        reply: String,
        relay_trouble: bool,
    },
    /// Refused for good (5xx). `bounce` when the address does not exist (5.1.x).
    Failed {
        code: u16,
        reply: String,
        bounce: bool,
    },
    /// The relay refused our credentials (535): the whole run stops.
    AuthFailed { reply: String },
    /// The relay cannot be used at all this run (TLS certificate refused).
    RelayBroken { reply: String },
}

/// A future that sends one message.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// Sends raw message bytes to an envelope.
pub trait Transport: Send + Sync {
    fn send<'a>(&'a self, envelope: &'a Envelope, message: &'a [u8]) -> Sending<'a>;
    /// As `send`, on the connection of sending task `lane`, saying which
    /// message that task sends next (`next`), so that a relay can send its
    /// envelope with this message's end of data (pipelining): one round trip
    /// a message.
    fn send_on<'a>(
        &'a self,
        lane: usize,
        envelope: &'a Envelope,
        message: &'a [u8],
        next: Option<&'a Envelope>,
    ) -> Sending<'a> {
        let _ = (lane, next);
        self.send(envelope, message)
    }
    /// A short name for messages and the confirmation prompt.
    fn name(&self) -> String;
}

#[cfg(test)]
pub use stub::Stub;

#[cfg(test)]
mod stub {
    use super::{Envelope, Outcome, Sending, Transport};
    use std::collections::VecDeque;
    use std::sync::Mutex;
    use std::time::Duration;

    /// A hook called with each envelope as the call begins.
    type Hook = Box<dyn Fn(&Envelope) + Send + Sync>;

    /// A transport that answers from a script: one outcome per call in order,
    /// then `250 ok` once the script runs out. It records every envelope and
    /// message it receives, and can take `delay` to answer.
    pub struct Stub {
        name: String,
        script: Mutex<VecDeque<Outcome>>,
        received: Mutex<Vec<(Envelope, Vec<u8>)>>,
        delay: Duration,
        hook: Option<Hook>,
    }

    impl Stub {
        pub fn new(name: &str) -> Stub {
            Stub {
                name: name.to_string(),
                script: Mutex::new(VecDeque::new()),
                received: Mutex::new(Vec::new()),
                delay: Duration::ZERO,
                hook: None,
            }
        }

        /// Answers the next calls with `outcomes`, in order.
        pub fn answering(self, outcomes: impl IntoIterator<Item = Outcome>) -> Stub {
            self.script.lock().unwrap().extend(outcomes);
            self
        }

        /// Takes `delay` (tokio time) to answer each call.
        pub fn taking(mut self, delay: Duration) -> Stub {
            self.delay = delay;
            self
        }

        /// Calls `hook` with each envelope before answering.
        pub fn on_call(mut self, hook: impl Fn(&Envelope) + Send + Sync + 'static) -> Stub {
            self.hook = Some(Box::new(hook));
            self
        }

        /// The recipients called so far, in order.
        pub fn recipients(&self) -> Vec<String> {
            let received = self.received.lock().unwrap();
            received.iter().map(|(e, _)| e.to.clone()).collect()
        }

        /// The envelopes and messages received so far.
        pub fn received(&self) -> Vec<(Envelope, Vec<u8>)> {
            self.received.lock().unwrap().clone()
        }
    }

    impl Transport for Stub {
        fn send<'a>(&'a self, envelope: &'a Envelope, message: &'a [u8]) -> Sending<'a> {
            Box::pin(async move {
                if let Some(hook) = &self.hook {
                    hook(envelope);
                }
                let received = (envelope.clone(), message.to_vec());
                self.received.lock().unwrap().push(received);
                let outcome = self.script.lock().unwrap().pop_front();
                if !self.delay.is_zero() {
                    tokio::time::sleep(self.delay).await;
                }
                outcome.unwrap_or_else(|| Outcome::Sent {
                    reply: "250 ok".into(),
                })
            })
        }

        fn name(&self) -> String {
            self.name.clone()
        }
    }
}

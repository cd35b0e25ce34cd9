//! One SMTP relay as a transport: its connections (opened in `connect`),
//! one per sending task, and the sending of one message over its task's
//! connection (the transaction, in `session`), each refusal classified by the
//! command it answers, reconnecting once when a reused connection turns out
//! closed before the message's end of data (a drop, or a 421 as the first
//! reply: an idle timeout), and never after it (the server may have queued
//! the message, its reply lost).

use super::address::ascii_address;
use super::connect::Open;
use super::reply::{classify_reply, lettre_envelope, relay_level};
use super::session::{Commands, Failure, Step, Timeouts};
use crate::config::Relay;
use crate::send::transport::{Envelope, Outcome, Sending, Transport};
use lettre::Address;
use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::transport::smtp::commands::{Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, MailParameter};
use tokio::sync::Mutex;

/// One SMTP relay and its connections, one per sending task (its lane).
pub struct SmtpRelay {
    pub(super) relay: Relay,
    pub(super) tls: Option<TlsParameters>,
    pub(super) credentials: Option<Credentials>,
    pub(super) hello: ClientId,
    pub(super) slots: Vec<Mutex<Option<Open>>>,
}

impl SmtpRelay {
    /// The relay did not answer within the timeout for `step`.
    fn no_reply(&self, step: Step) -> Outcome {
        let (what, wait) = match step {
            Step::EndOfData => ("the end of the message", self.relay.data_timeout),
            _ => ("a command", self.relay.command_timeout),
        };
        let reply = format!(
            "no reply from {} to {what} within {:?}",
            self.relay.name(),
            wait
        );
        Outcome::Deferred {
            code: None,
            reply,
            relay_trouble: false,
        }
    }

    /// What a failed transaction means: only RCPT and the end of data can
    /// fail (or bounce) the recipient; MAIL and DATA are the relay's.
    fn failed(&self, failure: Failure) -> Outcome {
        match failure {
            Failure::Refused(step, reply) => match (step, classify_reply(&reply)) {
                (Step::Mail | Step::Data, outcome) => relay_level(outcome),
                (Step::Rcpt | Step::EndOfData, outcome) => outcome,
            },
            Failure::NoReply(step) => self.no_reply(step),
            Failure::Stale => Outcome::Deferred {
                code: None,
                reply: format!("{}: the connection was not ready", self.relay.name()),
                relay_trouble: false,
            },
            // After the end of data: retried later, never at once.
            Failure::Dropped(Step::EndOfData, why) => Outcome::Deferred {
                code: None,
                reply: format!(
                    "{}: network error after the end of the message (it may have been delivered): {why}",
                    self.relay.name()
                ),
                relay_trouble: false,
            },
            // A dropped connection mid-transaction: not the relay's trouble.
            Failure::Dropped(_, why) => Outcome::Deferred {
                code: None,
                reply: format!("{}: network error: {why}", self.relay.name()),
                relay_trouble: false,
            },
        }
    }

    /// The envelope's commands for this connection: UTF-8 addresses as they
    /// are where the relay takes them (SMTPUTF8), else in ASCII.
    fn commands(&self, smtputf8: bool, envelope: &LettreEnvelope) -> Result<Commands, Outcome> {
        let mut options = Vec::new();
        let non_ascii = envelope
            .from()
            .is_some_and(|a| !AsRef::<str>::as_ref(a).is_ascii())
            || envelope
                .to()
                .iter()
                .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        let mut from = envelope.from().cloned();
        let mut to = envelope.to().first().cloned().expect("one recipient");
        if non_ascii {
            if smtputf8 {
                options.push(MailParameter::SmtpUtfEight);
            } else {
                (from, to) = self.ascii_envelope(from.as_ref(), &to)?;
            }
        }
        Ok(Commands {
            mail: Mail::new(from, options).to_string(),
            rcpt: Rcpt::new(to, vec![]).to_string(),
        })
    }

    /// Sends one message on `lane`'s connection, sending `next`'s envelope
    /// with its end of data.
    async fn deliver(
        &self,
        lane: usize,
        envelope: &Envelope,
        message: &[u8],
        next: Option<&Envelope>,
    ) -> Outcome {
        let env = match lettre_envelope(envelope) {
            Ok(env) => env,
            Err(outcome) => return outcome,
        };
        let next = next.and_then(|n| lettre_envelope(n).ok());
        let wait = Timeouts {
            command: self.relay.command_timeout,
            data: self.relay.data_timeout,
        };
        let mut slot = self.slots[lane % self.slots.len()].lock().await;
        // A reused connection may have been closed by the server while idle:
        // then try once more on a fresh one.
        let mut retried = false;
        loop {
            let reused = slot.is_some();
            if slot.is_none() {
                match self.connect().await {
                    Ok(open) => *slot = Some(open),
                    Err(outcome) => return outcome,
                }
            }
            let open = slot.as_mut().expect("connected above");
            let commands = match self.commands(open.smtputf8, &env) {
                Ok(commands) => commands,
                Err(outcome) => {
                    if open.session.holds_ahead() {
                        *slot = None;
                    }
                    return outcome;
                }
            };
            let next = next
                .as_ref()
                .and_then(|n| self.commands(open.smtputf8, n).ok());
            let failure = match open
                .session
                .send(&commands, message, next.as_ref(), wait)
                .await
            {
                Ok(reply) => {
                    return Outcome::Sent {
                        reply: format!("{} {}", reply.code, reply.lines.join(" ")),
                    };
                }
                // Another envelope was sent ahead (its reader left the list,
                // say): start afresh, nothing sent.
                Err(Failure::Stale) => {
                    *slot = None;
                    continue;
                }
                Err(failure) => failure,
            };
            // Closed while idle (or at its first reply, with a 421: a
            // server's idle timeout) with nothing of this message committed:
            // once more on a fresh connection. Never once the end of data
            // was written: the server may have queued the message.
            let fresh_may_do = open.session.closed_before_data(&failure);
            if !open.session.usable() {
                *slot = None;
            }
            if reused && !retried && fresh_may_do {
                retried = true;
                *slot = None;
                continue;
            }
            let outcome = self.failed(failure);
            if matches!(
                outcome,
                Outcome::Deferred {
                    relay_trouble: true,
                    ..
                }
            ) {
                *slot = None;
            }
            return outcome;
        }
    }

    /// The envelope in ASCII for a relay without SMTPUTF8: domains as
    /// A-labels. A local part that is not ASCII cannot go: the recipient's
    /// fails (no retry through this relay can succeed, and the address may be
    /// fine); the envelope sender's is the relay's fault, failing no one.
    fn ascii_envelope(
        &self,
        from: Option<&Address>,
        to: &Address,
    ) -> std::result::Result<(Option<Address>, Address), Outcome> {
        let needs = |who: &str| {
            format!(
                "the relay {} does not support SMTPUTF8 (RFC 6531), which {who} needs",
                self.relay.name()
            )
        };
        let from = match from {
            Some(from) => match ascii_address(from.as_ref()).map(|a| a.parse()) {
                Ok(Ok(ascii)) => Some(ascii),
                _ => {
                    let reply = needs(&format!("the envelope sender {from}"));
                    return Err(Outcome::RelayBroken { reply });
                }
            },
            None => None,
        };
        match ascii_address(to.as_ref()).map(|a| a.parse::<Address>()) {
            Ok(Ok(ascii)) => Ok((from, ascii)),
            _ => Err(Outcome::Failed {
                code: 553,
                reply: needs(to.as_ref()),
                bounce: false,
            }),
        }
    }
}

impl Transport for SmtpRelay {
    fn send<'a>(&'a self, envelope: &'a Envelope, message: &'a [u8]) -> Sending<'a> {
        // A free connection, if any.
        let lane = (self.slots.iter())
            .position(|s| s.try_lock().is_ok())
            .unwrap_or(0);
        Box::pin(self.deliver(lane, envelope, message, None))
    }

    fn send_on<'a>(
        &'a self,
        lane: usize,
        envelope: &'a Envelope,
        message: &'a [u8],
        next: Option<&'a Envelope>,
    ) -> Sending<'a> {
        Box::pin(self.deliver(lane, envelope, message, next))
    }

    fn name(&self) -> String {
        self.relay.name()
    }
}

#[cfg(test)]
#[path = "relay_tests.rs"]
mod tests;

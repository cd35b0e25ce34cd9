//! One SMTP relay as a transport: its connections (opened in `connect`),
//! and the sending of one message over a free one: the transaction, each
//! reply classified by the command it answers, reconnecting once when a reused
//! connection turns out closed.

use super::address::ascii_address;
use super::connect::Open;
use super::reply::{classify, lettre_envelope, relay_level};
use crate::config::Relay;
use crate::send::transport::{Envelope, Outcome, Sending, Transport};
use lettre::Address;
use lettre::address::Envelope as LettreEnvelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailParameter};
use std::sync::atomic::Ordering;
use tokio::sync::Mutex;

/// One SMTP relay and its connections, one per sending task.
///
/// Connections are opened here rather than by lettre's pool so that the
/// socket gets TCP_NODELAY: lettre writes the message and the final `.` in two
/// writes, and with Nagle's algorithm the second waits for the server's
/// delayed ACK, 40 ms a message. (Implicit TLS, port 465, goes through
/// lettre's own connect and keeps that delay.)
pub struct SmtpRelay {
    pub(super) relay: Relay,
    pub(super) tls: Option<TlsParameters>,
    pub(super) credentials: Option<Credentials>,
    pub(super) hello: ClientId,
    pub(super) slots: Vec<Mutex<Option<Open>>>,
}

/// The part of a transaction a reply answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// MAIL FROM: a refusal is the relay's, never the recipient's.
    Mail,
    /// RCPT TO: names the recipient.
    Rcpt,
    /// The DATA command itself: the relay's.
    Data,
    /// The reply to the message's final `.`: about this message.
    EndOfData,
}

impl SmtpRelay {
    /// The relay did not answer within the timeout for `phase`.
    fn no_reply(&self, phase: Phase) -> Outcome {
        let (what, wait) = match phase {
            Phase::EndOfData => ("the end of the message", self.relay.data_timeout),
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

    /// What a refused command of the transaction means: only RCPT and the
    /// end of data can fail (or bounce) the recipient.
    fn refused(&self, phase: Phase, e: &lettre::transport::smtp::Error) -> Outcome {
        match (phase, classify(e, &self.relay)) {
            // A dropped connection mid-transaction: not the relay's trouble.
            (
                _,
                Outcome::Deferred {
                    code: None, reply, ..
                },
            ) => Outcome::Deferred {
                code: None,
                reply,
                relay_trouble: false,
            },
            (Phase::Mail | Phase::Data, outcome) => relay_level(outcome),
            (Phase::Rcpt | Phase::EndOfData, outcome) => outcome,
        }
    }

    /// One transaction on an open connection: MAIL, RCPT, DATA and the
    /// message, each reply read and classified by the command it answers.
    async fn transaction(
        &self,
        open: &mut Open,
        envelope: &LettreEnvelope,
        message: &[u8],
    ) -> std::result::Result<Outcome, (Phase, lettre::transport::smtp::Error)> {
        let conn = &mut open.conn;
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
            if conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                options.push(MailParameter::SmtpUtfEight);
            } else {
                match self.ascii_envelope(from.as_ref(), &to) {
                    Ok((ascii_from, ascii_to)) => (from, to) = (ascii_from, ascii_to),
                    Err(outcome) => return Ok(outcome),
                }
            }
        }
        let command = self.relay.command_timeout;
        let step = |phase: Phase, r: std::result::Result<_, _>| r.map_err(|e| (phase, e));
        let mail = tokio::time::timeout(command, conn.command(Mail::new(from, options))).await;
        let Ok(mail) = mail else {
            return Ok(self.no_reply(Phase::Mail));
        };
        step(Phase::Mail, mail)?;
        let Ok(rcpt) = tokio::time::timeout(command, conn.command(Rcpt::new(to, vec![]))).await
        else {
            return Ok(self.no_reply(Phase::Rcpt));
        };
        step(Phase::Rcpt, rcpt)?;
        let Ok(data) = tokio::time::timeout(command, conn.command(Data)).await else {
            return Ok(self.no_reply(Phase::Data));
        };
        if let Err(e) = data {
            // Pipelined, MAIL and RCPT were answered together with DATA:
            // the refusal is for whichever command its marker names.
            let phase = match open
                .refused_command
                .as_ref()
                .map(|m| m.load(Ordering::Relaxed))
            {
                Some(1) => Phase::Mail,
                Some(2) => Phase::Rcpt,
                _ => Phase::Data,
            };
            return Err((phase, e));
        }
        // RFC 5321 4.5.3.2.6: wait up to 10 minutes for the reply to the final
        // dot; giving up sooner makes a slow relay deliver the message twice.
        let Ok(sent) = tokio::time::timeout(self.relay.data_timeout, conn.message(message)).await
        else {
            return Ok(self.no_reply(Phase::EndOfData));
        };
        let response = step(Phase::EndOfData, sent)?;
        let code: u16 = response.code().into();
        let text: Vec<&str> = response.message().collect();
        Ok(Outcome::Sent {
            reply: format!("{code} {}", text.join(" ")),
        })
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
        Box::pin(async move {
            let env = match lettre_envelope(envelope) {
                Ok(env) => env,
                Err(outcome) => return outcome,
            };
            // A free connection: there are as many as sending tasks.
            let mut slot = match self.slots.iter().find_map(|s| s.try_lock().ok()) {
                Some(slot) => slot,
                None => self.slots[0].lock().await,
            };
            // A reused connection may have been closed by the server while idle:
            // then try once more on a fresh one.
            for fresh_try in [false, true] {
                let reused = slot.is_some();
                if slot.is_none() {
                    match self.connect().await {
                        Ok(open) => *slot = Some(open),
                        Err(outcome) => return outcome,
                    }
                }
                let open = slot.as_mut().expect("connected above");
                match self.transaction(open, &env, message).await {
                    Ok(outcome) => {
                        if !matches!(outcome, Outcome::Sent { .. }) {
                            // A timeout or a refusal: the connection's state is unknown.
                            *slot = None;
                        }
                        return outcome;
                    }
                    Err((phase, e)) => {
                        // lettre leaves a refused transaction half open: start afresh.
                        *slot = None;
                        let dropped = !e.is_client() && e.status().is_none() && !e.is_tls();
                        if reused && !fresh_try && dropped {
                            continue;
                        }
                        return self.refused(phase, &e);
                    }
                }
            }
            unreachable!("the loop returns on its second try")
        })
    }

    fn name(&self) -> String {
        self.relay.name()
    }
}

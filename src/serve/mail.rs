//! The confirmation email of a sign-up, and the transport it goes through.
//!
//! A small `multipart/alternative` message with the signed, expiring link,
//! composed by `message::Factory` like an issue (From, Reply-To, domain) and
//! DKIM-signed when keys are configured. It goes through the configured
//! transport (the outbox unless `[[smtp]]` relays are set, or
//! `GAZETTE_TRANSPORT`), each relay in turn, with deferrals retried after the
//! config's `retry_delays`.

use crate::config::Config;
use crate::config::Destination as TransportSetting;
use crate::error::Result;
use crate::message::{Factory, Recipient, Signer};
use crate::render::Rendered;
use crate::send::outbox::Outbox;
use crate::send::retry::RetryPolicy;
use crate::send::smtp::SmtpRelay;
use crate::send::transport::{Envelope, Outcome, Transport};
use jiff::Timestamp;
use maud::html;

/// Why a confirmation mail did not go.
#[derive(Debug, thiserror::Error)]
pub enum Undelivered {
    #[error("it could not be composed: {0}")]
    Unwritten(crate::error::Error),
    #[error("it could not be signed: {0}")]
    Unsigned(crate::error::Error),
    #[error("the address was refused: {0}")]
    Refused(String),
    #[error("no relay would take it: {0}")]
    Relay(String),
    #[error("it was still deferred after every retry: {0}")]
    Deferred(String),
}

/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 48;

/// The confirmation message to `email` with the link `url`.
pub fn confirmation(
    config: &Config,
    email: &str,
    name: Option<&str>,
    url: &str,
    now: Timestamp,
) -> Result<Vec<u8>> {
    let subject = format!("Confirm your subscription to {}", config.name);
    let text = format!(
        "Please confirm that you want to receive {name} at this address.\r\n\
         Open this link and press the button:\r\n\
         \r\n\
         {url}\r\n\
         \r\n\
         The link works for {CONFIRM_HOURS} hours. If you did not ask to subscribe,\r\n\
         ignore this message: the address will not be added.\r\n\
         \r\n\
         {postal}\r\n",
        name = config.name,
        postal = config.postal_address.trim().replace('\n', "\r\n"),
    );
    let html = html! {
        (maud::DOCTYPE)
        html lang=(config.language) {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; font-size: 16px; line-height: 1.5; color: #1f2328;" {
                p { "Please confirm that you want to receive " (config.name) " at this address." }
                p {
                    a href=(url) style={ "display: inline-block; padding: 10px 20px; color: #ffffff; background-color: " (config.brand_color) "; text-decoration: none; font-weight: bold;" } {
                        "Confirm my subscription"
                    }
                }
                p style="font-size: 14px; color: #57606a;" {
                    "The link works for " (CONFIRM_HOURS) " hours. If you did not ask to subscribe, \
                     ignore this message: the address will not be added."
                }
            }
        }
    }
    .into_string();
    let content = Rendered {
        subject,
        html,
        text,
    };
    // Unsigned here: `Mailer::send` signs every message it sends.
    let factory = Factory::transactional(config, "confirm", &content, now.as_second(), Vec::new());
    let recipient = Recipient {
        id: None,
        email,
        name,
    };
    let mut out = Vec::new();
    factory.build(&recipient, &mut out)?;
    Ok(out)
}

/// Sends single messages through the configured transport.
pub struct Mailer {
    routes: Vec<Box<dyn Transport>>,
    envelope_from: String,
    signers: Vec<Signer>,
    retry: RetryPolicy,
}

impl Mailer {
    pub fn new(
        config: &Config,
        setting: &TransportSetting,
        signers: Vec<Signer>,
    ) -> Result<Mailer> {
        let routes: Vec<Box<dyn Transport>> = match setting {
            TransportSetting::Outbox(dir) => vec![Box::new(Outbox::new(dir)?)],
            TransportSetting::Smtp(relays) => relays
                .iter()
                .map(|r| {
                    let mut relay = r.clone();
                    // One message at a time: a single connection is plenty.
                    relay.connections = 1;
                    Ok(Box::new(SmtpRelay::new(&relay)?) as Box<dyn Transport>)
                })
                .collect::<Result<_>>()?,
        };
        Ok(Mailer {
            routes,
            envelope_from: config.delivery.envelope_from.clone(),
            signers,
            retry: RetryPolicy::new(&config.delivery.retry_delays),
        })
    }

    /// Where messages go, for the start-up line.
    pub fn describe(&self) -> String {
        let names: Vec<String> = self.routes.iter().map(|r| r.name()).collect();
        names.join(", ")
    }

    /// Signs and sends `message` to `to`, trying each relay, and again after
    /// each of the retry delays while the relays defer. Returns the reply.
    pub async fn send(
        &self,
        to: &str,
        message: Vec<u8>,
    ) -> std::result::Result<String, Undelivered> {
        let mut message = message;
        let mut signatures = String::new();
        for signer in &self.signers {
            let signature = signer.sign(&message).map_err(Undelivered::Unsigned)?;
            signatures.push_str(&signature);
        }
        message.splice(0..0, signatures.into_bytes());
        let envelope = Envelope {
            from: self.envelope_from.clone(),
            to: to.to_string(),
        };
        let mut last = Undelivered::Deferred("no transport".into());
        for wait in self.retry.waits() {
            tokio::time::sleep(wait).await;
            for route in &self.routes {
                match route.send(&envelope, &message).await {
                    Outcome::Sent { reply } => return Ok(reply),
                    Outcome::Deferred { reply, .. } => last = Undelivered::Deferred(reply),
                    Outcome::Failed { reply, .. } => return Err(Undelivered::Refused(reply)),
                    // The relay's own trouble: the next relay may do.
                    Outcome::AuthFailed { reply } | Outcome::RelayBroken { reply } => {
                        last = Undelivered::Relay(reply)
                    }
                }
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Source;

    #[test]
    fn the_confirmation_is_a_small_multipart_message() {
        let text = "name = \"Platform Notes\"\nfrom = \"Platform Notes <editor@platformnotes.example>\"\n\
                    base_url = \"https://platformnotes.example\"\npostal_address = \"1 Quay St\"\n";
        let config = Config::parse(std::path::Path::new("/n"), &Source::new("c", text)).unwrap();
        let url = "https://platformnotes.example/confirm/TOKEN";
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let bytes = confirmation(&config, "ada@example.org", Some("Ada"), url, now).unwrap();
        let msg = String::from_utf8(bytes).unwrap();
        assert!(
            msg.contains("From: \"Platform Notes\" <editor@platformnotes.example>\r\n"),
            "{msg}"
        );
        assert!(msg.contains("To: \"Ada\" <ada@example.org>\r\n"), "{msg}");
        assert!(msg.contains("Subject: Confirm your subscription to Platform Notes\r\n"));
        assert!(msg.contains("multipart/alternative"));
        assert!(msg.contains("@platformnotes.example>"));
        assert!(msg.contains(url));
        assert!(!msg.contains("List-Unsubscribe"));
        assert!(msg.contains("Auto-Submitted: auto-generated\r\n"), "{msg}");
        assert!(msg.contains("Message-ID: <gz.confirm."), "{msg}");
    }
}

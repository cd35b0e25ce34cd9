//! Messages: the rendered issue becomes one complete, signed email per recipient.
//!
//! [`Factory::new`] composes the issue once with placeholders (`template`);
//! [`Factory::build`] overwrites them with each recipient's token and
//! Message-ID byte for byte, or composes in full where base64 hides them.
//! [`Factory::transactional`] makes one-off messages (a sign-up's confirmation).

mod compose;
pub mod dkim;
mod template;
pub mod token;

use crate::config::{Config, Delivery};
use crate::error::Result;
use crate::id::SubscriberId;
use crate::render::Rendered;
use compose::{ListHeaders, Parts, compose};
use template::{MESSAGE_ID_PLACEHOLDER, Template};
use token::Secret;

pub use dkim::Signer;

/// Who a message goes to. `id` is the subscriber's id; `None` for a test send.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub id: Option<SubscriberId>,
    pub email: &'a str,
    pub name: Option<&'a str>,
}

/// What kind of send the messages are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// To the list: deterministic Message-IDs, the subscriber's own token.
    List,
    /// A test send: `[TEST] ` subject, a fresh Message-ID each time.
    Test,
}

/// Builds every recipient's message of one issue, or one-off transactional
/// messages (a sign-up's confirmation).
pub struct Factory {
    parts: Parts,
    template: Option<Template>,
    /// The issue's list and how its tokens are made; `None` when transactional.
    list: Option<ListKeys>,
    signers: Vec<Signer>,
    /// What Message-IDs say after `gz.`: the issue number, or the message's tag.
    scope: String,
    domain: String,
}

/// What the tokens and Message-IDs of an issue's messages are made from.
struct ListKeys {
    kind: Kind,
    secret: Secret,
    list_id: String,
    issue: u32,
}

impl Factory {
    /// Prepares the messages of `rendered` for `issue`, dated `date` (Unix seconds).
    pub fn new(
        config: &Config,
        rendered: &Rendered,
        issue: u32,
        date: i64,
        kind: Kind,
        secret: Secret,
        signers: Vec<Signer>,
    ) -> Factory {
        let subject = match kind {
            Kind::List => rendered.subject.clone(),
            Kind::Test => format!("[TEST] {}", rendered.subject),
        };
        let mut parts = Parts::new(config, rendered, subject, date);
        parts.list = Some(ListHeaders::new(config, &issue.to_string()));
        let domain = config.domain().to_string();
        let template = Template::locate(
            &parts,
            &format!("gz.{issue}.{MESSAGE_ID_PLACEHOLDER}@{domain}"),
        );
        Factory {
            parts,
            template,
            list: Some(ListKeys {
                kind,
                secret,
                list_id: config.list_id.clone(),
                issue,
            }),
            signers,
            scope: issue.to_string(),
            domain,
        }
    }

    /// Prepares a one-off message that is not an issue: `content`'s subject
    /// and parts as they are, no list headers, `Auto-Submitted:
    /// auto-generated`, a fresh Message-ID `gz.{tag}.…` each time, dated
    /// `date` (Unix seconds), signed by `signers`.
    pub fn transactional(
        config: &Config,
        tag: &str,
        content: &Rendered,
        date: i64,
        signers: Vec<Signer>,
    ) -> Factory {
        Factory {
            parts: Parts::new(config, content, content.subject.clone(), date),
            template: None,
            list: None,
            signers,
            scope: tag.to_string(),
            domain: config.domain().to_string(),
        }
    }

    /// Prepares the welcome mail of `[welcome]` (`content` from
    /// `render::welcome`): a list message, with each reader's own unsubscribe
    /// link and the list headers, whose Message-IDs say `gz.welcome.`.
    pub fn welcome(config: &Config, content: &Rendered, date: i64, secret: Secret) -> Factory {
        let mut factory = Factory::new(config, content, 0, date, Kind::List, secret, Vec::new());
        factory.parts.list = Some(ListHeaders::new(config, "welcome"));
        factory.template = Template::locate(
            &factory.parts,
            &format!("gz.welcome.{MESSAGE_ID_PLACEHOLDER}@{}", factory.domain),
        );
        factory.scope = "welcome".into();
        factory
    }

    /// Makes tokens and Message-IDs under `list_id` rather than the config's:
    /// the one a resumed send began with, so that its Message-IDs stay the
    /// same after a rename (the List-Id header still says the config's).
    pub fn under_list_id(mut self, list_id: String) -> Factory {
        if let Some(l) = &mut self.list {
            l.list_id = list_id;
        }
        self
    }

    /// The list id tokens and Message-IDs are made under (`None` when transactional).
    pub fn list_id(&self) -> Option<&str> {
        self.list.as_ref().map(|l| l.list_id.as_str())
    }

    /// The envelope sender of `subscriber`'s message: with `verp`, for an
    /// issue's list message, its signed VERP address (`bounce::verp`);
    /// otherwise (welcome mails, test sends, `verp = false`) `envelope_from`.
    pub fn envelope_sender(&self, delivery: &Delivery, subscriber: SubscriberId) -> String {
        match &self.list {
            Some(l) if delivery.verp && l.kind == Kind::List && l.issue > 0 => {
                crate::bounce::verp::address(
                    &l.secret,
                    &delivery.envelope_from,
                    l.issue,
                    subscriber,
                )
            }
            _ => delivery.envelope_from.clone(),
        }
    }

    /// Whether messages are DKIM-signed.
    pub fn signs(&self) -> bool {
        !self.signers.is_empty()
    }

    /// Whether messages are made by substitution (true) or composed in full.
    pub fn is_templated(&self) -> bool {
        self.template.is_some()
    }

    /// The Message-ID (without angle brackets) that `recipient` gets.
    pub fn message_id(&self, recipient: &Recipient<'_>) -> String {
        self.format_message_id(&self.message_id_part(recipient))
    }

    fn message_id_part(&self, recipient: &Recipient<'_>) -> String {
        match (&self.list, recipient.id) {
            (Some(l), Some(id)) if l.kind == Kind::List => {
                l.secret.message_id_part(&l.list_id, l.issue, id)
            }
            _ => token::random_message_id_part(),
        }
    }

    fn format_message_id(&self, part: &str) -> String {
        format!("gz.{}.{part}@{}", self.scope, self.domain)
    }

    /// `recipient`'s unsubscribe token (test sends get subscriber 0's, which
    /// the endpoint accepts and ignores); empty for a transactional message.
    fn token(&self, recipient: &Recipient<'_>) -> String {
        self.list.as_ref().map_or_else(String::new, |l| {
            l.secret
                .unsubscribe_token(&l.list_id, recipient.id.unwrap_or(0))
        })
    }

    /// The unsubscribe URL of `recipient` (test sends get subscriber 0's, which
    /// the endpoint accepts and ignores). A transactional message has none:
    /// the answer is then empty.
    pub fn unsubscribe_url(&self, recipient: &Recipient<'_>) -> String {
        match &self.parts.list {
            Some(list) => format!("{}/unsubscribe/{}", list.base_url, self.token(recipient)),
            None => String::new(),
        }
    }

    /// Writes `recipient`'s complete message into `out` (cleared first) and
    /// returns its Message-ID.
    pub fn build(&self, recipient: &Recipient<'_>, out: &mut Vec<u8>) -> Result<String> {
        let token = self.token(recipient);
        let id_part = self.message_id_part(recipient);
        let message_id = self.format_message_id(&id_part);

        out.clear();
        let name = recipient.name.map(str::trim).filter(|n| !n.is_empty());
        compose::write_to(out, name, recipient.email);
        match &self.template {
            Some(t) => t.fill(&token, &id_part, out),
            None => out.extend_from_slice(&compose(&self.parts, &token, &message_id)),
        }
        if !self.signers.is_empty() {
            let mut signatures = String::new();
            for signer in &self.signers {
                signatures.push_str(&signer.sign(out)?);
            }
            out.splice(0..0, signatures.into_bytes());
        }
        Ok(message_id)
    }
}

/// Loads every configured DKIM key.
pub fn load_signers(config: &Config) -> Result<Vec<Signer>> {
    config.dkim.iter().map(Signer::load).collect()
}

/// The complete message `to` would get for this issue: a subscriber's own list
/// message when `to` is on the list (its token and Message-ID made under
/// `sent_under`, the list id the issue's send began with, if it began),
/// otherwise a test send.
pub fn eml_for(
    config: &Config,
    draft: &crate::draft::Draft,
    rendered: &Rendered,
    to: &str,
    subscriber: Option<(SubscriberId, Option<String>)>,
    sent_under: Option<String>,
) -> Result<Vec<u8>> {
    let mailbox = crate::address::Mailbox::parse(to)
        .map_err(|e| crate::Error::Input(format!("--to: {e}")))?;
    let address = mailbox.address;
    let secret = Secret::load(config)?;
    let signers = load_signers(config)?;
    let kind = if subscriber.is_some() {
        Kind::List
    } else {
        Kind::Test
    };
    let now = crate::clock::now()?.as_second();
    let factory = Factory::new(config, rendered, draft.issue, now, kind, secret, signers);
    let factory = match sent_under {
        Some(list_id) if kind == Kind::List => factory.under_list_id(list_id),
        _ => factory,
    };
    let (id, name) = subscriber.map_or((None, mailbox.name), |(id, name)| (Some(id), name));
    let recipient = Recipient {
        id,
        email: &address,
        name: name.as_deref(),
    };
    let mut out = Vec::new();
    factory.build(&recipient, &mut out)?;
    Ok(out)
}

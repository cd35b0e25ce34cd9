//! Reading SMTP replies: lettre's errors turned into an [`Outcome`] (and what a
//! refusal before the transaction means), so that
//! the send loop acts on a classification (transient, permanent, a bounce, a
//! refused login, broken TLS) and never on a reply's text.

use crate::config::Relay;
use crate::send::transport::{Envelope, Outcome};
use lettre::address::Envelope as LettreEnvelope;

/// Turns a lettre error into an outcome.
pub fn classify(e: &lettre::transport::smtp::Error, relay: &Relay) -> Outcome {
    let reply = e.to_string();
    match e.status().map(u16::from) {
        Some(535) | Some(534) | Some(530) if !e.is_transient() => Outcome::AuthFailed { reply },
        Some(code) if e.is_transient() => Outcome::Deferred {
            code: Some(code),
            reply,
            relay_trouble: code == 421,
        },
        Some(code) => Outcome::Failed {
            code,
            bounce: no_such_user(code, &reply),
            reply,
        },
        None if e.is_tls() => Outcome::RelayBroken {
            reply: super::tls::failure("TLS", e, relay),
        },
        None => Outcome::Deferred {
            code: None,
            reply: format!("{}: {reply}", relay.name()),
            relay_trouble: true,
        },
    }
}

/// Turns a server's refusal, read by our own transactions, into an outcome,
/// in lettre's words (`permanent error (550): ...`) as the ledger has them.
pub fn classify_reply(reply: &super::session::Reply) -> Outcome {
    let code = reply.code;
    let kind = if code < 500 { "transient" } else { "permanent" };
    let reply_text = format!("{kind} error ({code}): {}", reply.text());
    match code {
        535 | 534 | 530 => Outcome::AuthFailed { reply: reply_text },
        400..500 => Outcome::Deferred {
            code: Some(code),
            reply: reply_text,
            relay_trouble: code == 421,
        },
        _ => Outcome::Failed {
            code,
            bounce: no_such_user(code, &reply_text),
            reply: reply_text,
        },
    }
}

/// Whether a connection failed in the TLS handshake (an unknown CA, a name
/// mismatch, a server not speaking TLS): lettre reports those as connection
/// errors, with rustls's error inside an `InvalidData` I/O error. Retrying
/// cannot help, unlike a refused or timed-out connection.
pub fn tls_refused(e: &lettre::transport::smtp::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
        {
            return true;
        }
        source = err.source();
    }
    e.is_tls()
}

/// A permanent reply that means the address does not exist: an enhanced
/// status 5.1.x (RFC 3463), or 550/551/553 with no enhanced status.
pub fn no_such_user(code: u16, reply: &str) -> bool {
    let enhanced = reply.split(|c: char| c.is_whitespace() || c == ':' || c == '(' || c == ')').find(|w| {
        let mut parts = w.split('.');
        matches!((parts.next(), parts.next(), parts.next(), parts.next()), (Some("5"), Some(_), Some(d), None) if d.chars().all(|c| c.is_ascii_digit()) && !d.is_empty())
    });
    let text = reply.to_lowercase();
    // 5.1.7 and 5.1.8 are the sender's address (RFC 3463), and a refusal that
    // speaks of the sender or of relaying is the relay's word on us, whatever
    // recipient it answers.
    if NOT_THE_RECIPIENT_WORDS.iter().any(|w| text.contains(w)) {
        return false;
    }
    match enhanced {
        Some(w) => w.starts_with("5.1.") && !matches!(w, "5.1.7" | "5.1.8"),
        // No enhanced code (Exim, qmail, old servers): only a reply whose
        // words are about the recipient's mailbox.
        None => {
            matches!(code, 550 | 551 | 553) && UNKNOWN_USER_WORDS.iter().any(|w| text.contains(w))
        }
    }
}

/// What a refusal says when it is about us, not the recipient (lower case).
const NOT_THE_RECIPIENT_WORDS: &[&str] = &[
    "sender address",
    "sender rejected",
    "sender verify",
    "sender domain",
    "relay not permitted",
    "relaying denied",
    "relay access denied",
    "relaying not allowed",
    "relaying disallowed",
    "not permitted to relay",
    "unable to relay",
    "administrative prohibition",
    "rcpthosts",
];

/// What a reply without an enhanced status says when the mailbox is not
/// there (lower case).
const UNKNOWN_USER_WORDS: &[&str] = &[
    "no such user",
    "user unknown",
    "unknown user",
    "user not found",
    "user not local",
    "unknown recipient",
    "recipient unknown",
    "invalid recipient",
    "no such recipient",
    "mailbox unavailable",
    "mailbox not found",
    "no mailbox",
    "no such mailbox",
    "mailbox does not exist",
    "does not exist",
    "account disabled",
    "mailbox disabled",
    "account has been disabled",
];

/// lettre's envelope for ours; an address it cannot take is refused as a
/// relay would refuse it (553).
pub fn lettre_envelope(envelope: &Envelope) -> std::result::Result<LettreEnvelope, Outcome> {
    let (Ok(from), Ok(to)) = (envelope.from.parse(), envelope.to.parse()) else {
        return Err(Outcome::Failed {
            code: 553,
            reply: format!("invalid envelope address {}", envelope.to),
            bounce: false,
        });
    };
    LettreEnvelope::new(Some(from), vec![to]).map_err(|e| Outcome::Failed {
        code: 553,
        reply: e.to_string(),
        bounce: false,
    })
}

/// A refusal before or instead of the transaction (greeting, EHLO, STARTTLS,
/// MAIL FROM, DATA) says nothing of the recipient: a permanent one makes the
/// relay unusable for this run, a temporary one rests it.
pub fn relay_level(outcome: Outcome) -> Outcome {
    match outcome {
        Outcome::Failed { reply, .. } => Outcome::RelayBroken { reply },
        Outcome::Deferred { code, reply, .. } => Outcome::Deferred {
            code,
            reply,
            relay_trouble: true,
        },
        other => other,
    }
}

/// The relay itself is unwell: it should rest.
pub fn trouble(reply: String) -> Outcome {
    Outcome::Deferred {
        code: None,
        reply,
        relay_trouble: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_our_own_replies_as_lettre_did() {
        let reply = |code, text: &str| super::super::session::Reply {
            code,
            lines: vec![text.to_string()],
        };
        let unknown = classify_reply(&reply(550, "5.1.1 <x@y>: User unknown"));
        assert_eq!(
            unknown,
            Outcome::Failed {
                code: 550,
                reply: "permanent error (550): 5.1.1 <x@y>: User unknown".into(),
                bounce: true
            }
        );
        assert!(matches!(
            classify_reply(&reply(421, "4.3.2 bye")),
            Outcome::Deferred {
                code: Some(421),
                relay_trouble: true,
                ..
            }
        ));
        assert!(matches!(
            classify_reply(&reply(450, "4.2.0 busy")),
            Outcome::Deferred {
                code: Some(450),
                relay_trouble: false,
                ..
            }
        ));
        assert!(matches!(
            classify_reply(&reply(530, "5.7.0 Authentication required")),
            Outcome::AuthFailed { .. }
        ));
    }

    #[test]
    fn recognises_unknown_users() {
        assert!(no_such_user(
            550,
            "permanent error (550): 5.1.1 <x@y>: Recipient address rejected: User unknown"
        ));
        assert!(no_such_user(550, "550 mailbox unavailable"));
        assert!(!no_such_user(550, "550 5.7.1 Message rejected as spam"));
        assert!(!no_such_user(554, "554 Transaction failed"));
    }

    /// A relay that refuses our envelope sender at RCPT (Postfix's
    /// `smtpd_delay_reject`, a VERP domain without DNS) or will not relay
    /// says so on every recipient: none of that is the reader's address, and
    /// read as theirs it would bounce the whole list in one run.
    #[test]
    fn a_refusal_of_the_sender_or_of_relaying_is_no_unknown_user() {
        for reply in [
            "permanent error (550): 5.1.8 <bounces+1-2-abc@news.example.org>: Sender address rejected: Domain not found",
            "permanent error (553): 5.1.7 <bounces@news.example.org>: Sender address rejected: bad address syntax",
            "permanent error (550): relay not permitted",
            "permanent error (550): Administrative prohibition",
            "permanent error (553): sorry, that domain isn't in my list of allowed rcpthosts",
        ] {
            assert!(!no_such_user(550, reply), "{reply}");
        }
        // Without an enhanced code, the words still say whose fault it is.
        for reply in [
            "550 No such user here",
            "550 <x@y>: Recipient address rejected: User unknown in local recipient table",
            "551 User not local; please try <x@z>",
            "553 sorry, no mailbox here by that name",
            "550 Requested action not taken: mailbox unavailable",
            "permanent error (550): 5.1.1 <x@y>: Recipient address rejected: User unknown in relay recipient table",
        ] {
            assert!(no_such_user(550, reply), "{reply}");
        }
    }
}

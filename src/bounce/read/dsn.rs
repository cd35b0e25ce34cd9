//! Delivery status notifications (RFC 3464, RFC 6533): the per-recipient
//! blocks of a `message/delivery-status` part, or the same fields written
//! into a `text/plain` part. A recipient's block ends at a blank line, or
//! where a second `Original-Recipient` or `Final-Recipient` comes (either
//! may come first); the per-message block (fields such
//! as `Reporting-MTA`) names no recipient and is read only for the sender it
//! may show (`X-Postfix-Sender`) and the returned Message-ID (Gmail's
//! `X-Original-Message-ID`).

use super::super::Recipient;
use super::classify::{self, typed_address};
use super::fields::{self, Field};
use super::{MAX_IDS, MAX_RECIPIENTS};

/// What a DSN's fields say.
#[derive(Debug, Default)]
pub(super) struct Dsn {
    pub recipients: Vec<Recipient>,
    /// The envelope sender the per-message block shows (`X-Postfix-Sender`).
    pub sender: Option<String>,
    /// The returned message's Message-ID as the per-message block gives it
    /// (Gmail's `X-Original-Message-ID`).
    pub message_ids: Vec<String>,
}

/// Reads the DSN fields in `text` into `dsn`.
pub(super) fn read(text: &str, dsn: &mut Dsn) {
    for block in fields::blocks(text) {
        let mut current = Recipient::default();
        for field in &block {
            if dsn.recipients.len() >= MAX_RECIPIENTS {
                return;
            }
            take(field, &mut current, dsn);
        }
        finish(current, dsn);
    }
}

/// Adds one field to the recipient being read, starting another where the
/// field says a new one begins.
fn take(field: &Field, current: &mut Recipient, dsn: &mut Dsn) {
    let value = field.value.as_str();
    match field.name.as_str() {
        "original-recipient" => {
            if current.original.is_some() {
                finish(std::mem::take(current), dsn);
            }
            current.original = typed_address(value);
        }
        "final-recipient" => {
            if current.address.is_some() {
                finish(std::mem::take(current), dsn);
            }
            current.address = typed_address(value);
        }
        "action" => {
            let action = value.split_whitespace().next().unwrap_or("");
            set(&mut current.action, Some(action.to_ascii_lowercase()));
        }
        "status" => set(&mut current.status, classify::status(value)),
        "diagnostic-code" => set(&mut current.diagnostic, classify::diagnostic(value)),
        "remote-mta" => set(&mut current.remote_mta, host(value)),
        "x-postfix-sender" if dsn.sender.is_none() => dsn.sender = typed_address(value),
        "x-original-message-id" => {
            if let Some(id) = fields::message_id(value)
                && !dsn.message_ids.contains(&id)
                && dsn.message_ids.len() < MAX_IDS
            {
                dsn.message_ids.push(id);
            }
        }
        _ => {}
    }
}

/// A `Remote-MTA` host: the first word after the type, without a final dot
/// (`dns; mx.example.com. (2001:db8::1, the server for ...)`).
fn host(value: &str) -> Option<String> {
    let value = typed_address(value)?;
    let word = value.split_whitespace().next()?.trim_end_matches('.');
    (!word.is_empty()).then(|| word.to_string())
}

fn set(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value.filter(|v| !v.is_empty());
    }
}

/// Keeps a recipient that names an address, an action or a status, with the
/// reply code and (where `Status` is missing) the status its diagnostic quotes.
fn finish(mut r: Recipient, dsn: &mut Dsn) {
    if r.address.is_none() && r.original.is_none() && r.action.is_none() && r.status.is_none() {
        return;
    }
    if r.address.is_none() {
        r.address = r.original.clone();
    }
    if let Some(d) = &r.diagnostic {
        let reply = classify::reply(d);
        r.smtp_code = reply.code;
        if r.status.is_none() {
            r.status = reply.status();
        }
    }
    r.kind = classify::recipient_kind(&r);
    dsn.recipients.push(r);
}

//! Plain-text bounce notices: Exim's ("This message was created automatically
//! by mail delivery software", `X-Failed-Recipients`), qmail's and Yahoo's
//! (`<address>:` blocks), and the Microsoft-style "Delivery has failed to
//! these recipients" text. A notice is told by its sender (`MAILER-DAEMON`,
//! `postmaster`), its `X-Failed-Recipients` or its wording, never by its
//! subject alone (an auto-reply's copies the issue's, which may read
//! "Undeliverable"); each failed address starts a block of text, and the
//! SMTP reply quoted in the block gives the status. A notice naming no
//! address is read by an enhanced status only: a basic code in prose ("room
//! 501") is no reply. The copy of the returned message after the notice
//! ("------ This is a copy of the message", "--- Below this line is a copy")
//! gives its `Message-ID` and `Return-Path`.

use super::super::Recipient;
use super::MAX_RECIPIENTS;
use super::classify::{self, Reply};
use super::fields::{self, Field};

/// What a plain notice says.
#[derive(Debug, Default)]
pub(super) struct Notice {
    pub recipients: Vec<Recipient>,
    /// A warning that delivery is late, not that it failed.
    pub delayed: bool,
    /// `Message-ID`s quoted in the copy of the returned message.
    pub message_ids: Vec<String>,
    /// The `Return-Path` quoted there.
    pub return_path: Option<String>,
}

/// Wording of a bounce notice's text (lower case).
const WORDING: [&str; 8] = [
    "this message was created automatically by mail delivery software",
    "this is the qmail-send program",
    "wasn't able to deliver your message",
    "unable to deliver your message",
    "delivery has failed to these recipients",
    "could not be delivered to one or more",
    "couldn't be delivered",
    "the following address(es) failed",
];

/// Wording of a delay warning (lower case).
const DELAYED: [&str; 6] = [
    "has not yet been delivered",
    "not been delivered yet",
    "delivery delayed",
    "will continue trying",
    "will keep trying",
    "still trying",
];

/// Reads `text` as a notice, if the message looks like one.
pub(super) fn read(headers: &[Field], subject: Option<&str>, text: &str) -> Option<Notice> {
    let failed_field = |f: &&Field| f.name == "x-failed-recipients";
    let failed: Vec<String> = headers
        .iter()
        .filter(failed_field)
        .flat_map(|f| fields::addresses(&f.value))
        .take(MAX_RECIPIENTS)
        .collect();
    let has_failed = headers.iter().any(|f| failed_field(&f));
    let from = fields::get(headers, "from")
        .unwrap_or("")
        .to_ascii_lowercase();
    let subject = subject.unwrap_or("").to_lowercase();
    let head = fields::cut(text, 8 * 1024).to_lowercase();
    let notice = has_failed
        || from.contains("mailer-daemon")
        || from.contains("postmaster")
        || from.contains("mail delivery")
        || WORDING.iter().any(|w| head.contains(w));
    if !notice {
        return None;
    }
    let permanent = has_failed || head.contains("permanent") || head.contains("failed:");
    let delayed =
        !permanent && (subject.contains("delay") || DELAYED.iter().any(|w| head.contains(w)));
    let (notice_text, copy) = split_copy(text);
    let mut recipients = blocks(notice_text, headers);
    for address in failed {
        if recipients.len() < MAX_RECIPIENTS
            && !recipients
                .iter()
                .any(|r| r.address.as_deref() == Some(&address))
        {
            recipients.push(Recipient {
                address: Some(address),
                ..Recipient::default()
            });
        }
    }
    if recipients.is_empty() {
        // A notice without a block per address: an enhanced status quoted
        // anywhere, never a basic code alone ("room 501", "invoice 550").
        let reply = classify::enhanced(notice_text);
        if reply.at.is_some() {
            recipients.push(Recipient {
                diagnostic: reply_line(notice_text, &reply).and_then(classify::diagnostic),
                status: reply.status(),
                ..Recipient::default()
            });
        }
    }
    for r in &mut recipients {
        r.action = Some(if delayed { "delayed" } else { "failed" }.into());
        r.kind = classify::recipient_kind(r);
    }
    let mut notice = Notice {
        recipients,
        delayed,
        ..Notice::default()
    };
    quoted(copy.unwrap_or(text), &mut notice);
    Some(notice)
}

/// The notice's own text, and the copy of the returned message after it.
fn split_copy(text: &str) -> (&str, Option<&str>) {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim().to_ascii_lowercase();
        let marker = (l.starts_with('-')
            && ["copy", "original", "returned", "follows", "headers"]
                .iter()
                .any(|w| l.contains(w)))
            || l.starts_with("below this line is a copy")
            || l == "original message headers:";
        if marker {
            return (&text[..at], Some(&text[at + line.len()..]));
        }
        at += line.len();
    }
    (text, None)
}

/// The per-address blocks: a line that is one address (`<a@b>:`, `a@b`) or
/// starts with `<a@b>:` opens a block, and the lines after it, to the next
/// such line, are its text. The report's own addresses (its `To`, `From`) start none.
fn blocks(text: &str, headers: &[Field]) -> Vec<Recipient> {
    let own: Vec<String> = ["to", "from", "delivered-to", "envelope-to", "x-original-to"]
        .iter()
        .filter_map(|n| fields::get(headers, n))
        .flat_map(fields::addresses)
        .map(|a| a.to_lowercase())
        .collect();
    let mut out: Vec<(Recipient, String)> = Vec::new();
    let mut current = None;
    for line in text.lines() {
        let (head, rest) = opening(line);
        match fields::address(head).filter(|a| !own.contains(&a.to_lowercase())) {
            Some(address) => {
                current = out
                    .iter()
                    .position(|(r, _)| r.address.as_deref() == Some(&address));
                if current.is_none() && out.len() < MAX_RECIPIENTS {
                    let r = Recipient {
                        address: Some(address),
                        ..Recipient::default()
                    };
                    out.push((r, String::new()));
                    current = Some(out.len() - 1);
                }
                if let (Some((_, block)), false) =
                    (current.and_then(|i| out.get_mut(i)), rest.is_empty())
                {
                    block.push_str(rest);
                    block.push('\n');
                }
            }
            None => {
                if let Some((_, block)) = current.and_then(|i| out.get_mut(i))
                    && block.len() < 16 * 1024
                {
                    block.push_str(line);
                    block.push('\n');
                }
            }
        }
    }
    out.into_iter()
        .map(|(mut r, block)| {
            let reply = classify::reply(&block);
            r.smtp_code = reply.code;
            r.status = reply.status();
            r.diagnostic = reply_line(&block, &reply)
                .or_else(|| block.lines().find(|l| !l.trim().is_empty()))
                .and_then(classify::diagnostic);
            r
        })
        .collect()
}

/// Where a line opens a recipient's block: the lone address of the line
/// (`  a@b`, `<a@b>:`), or the `<a@b>:` that starts it unindented (Postfix's
/// `<a@b>: host mx.example.com[192.0.2.1] said: 550 5.1.1 ...`; indented, it
/// is the quoted reply going on), with the rest of the line. A line opening none gives an empty address.
fn opening(line: &str) -> (&str, &str) {
    let trimmed = line.trim();
    if line.starts_with('<')
        && let Some(end) = trimmed.find(">:")
    {
        return (&trimmed[..=end], trimmed[end + 2..].trim());
    }
    let word = trimmed.trim_end_matches(':').trim();
    if word.contains(char::is_whitespace) {
        ("", "")
    } else {
        (word, "")
    }
}

/// The quoted reply, to the next blank line, without the quotes around it:
/// from its basic code (`Remote Server returned '550 5.1.10 ...'`), or from
/// the start of the line holding an enhanced code alone (`Sorry, no mailbox
/// here by that name. (#5.1.1)`).
fn reply_line<'a>(block: &'a str, reply: &Reply) -> Option<&'a str> {
    let mut at = reply.at?;
    if reply.code.is_none() {
        at = block[..at].rfind('\n').map_or(0, |n| n + 1);
    }
    let rest = &block[at..];
    let end = rest
        .find("\n\n")
        .or_else(|| rest.find("\n\r\n"))
        .unwrap_or(rest.len());
    Some(rest[..end].trim_end().trim_end_matches(['\'', '"']))
}

/// The `Message-ID` and `Return-Path` lines of the quoted message.
fn quoted(copy: &str, notice: &mut Notice) {
    for line in copy.lines().take(2_000) {
        let Some((name, value)) = line.trim_start().split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("message-id") {
            if let Some(id) = fields::message_id(value)
                && notice.message_ids.len() < 16
                && !notice.message_ids.contains(&id)
            {
                notice.message_ids.push(id);
            }
        } else if name.eq_ignore_ascii_case("return-path") && notice.return_path.is_none() {
            notice.return_path = fields::address(value);
        }
    }
}

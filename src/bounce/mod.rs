//! What comes back: bounce reports (DSNs and the common non-standard notices),
//! complaints (ARF feedback reports) and auto-replies, read from Maildir, mbox,
//! standard input or IMAP, matched to the delivery they answer, and acted on.
//!
//! The rooms: `read` turns one raw message into a [`Report`] (no store, no
//! I/O, never a panic); `verp` makes and checks the signed envelope sender
//! each list message carries; `source` yields raw messages from each kind of
//! source and marks them done; `process` matches a report to an issue and a
//! subscriber and records what it changes in the store.

pub mod process;
pub mod read;
pub mod source;
pub mod verp;

/// The largest message `gazette bounces` reads; a larger one is counted as
/// unclassified (reports are a few KB; a returned message with attachments a
/// few MB at most).
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// One returned message, read: what kind it is, and every clue to which
/// delivery it answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The report's own `Message-ID` (without angle brackets), if it has one.
    pub message_id: Option<String>,
    pub kind: Kind,
    /// The per-recipient blocks of a DSN, or the failed recipients of a
    /// plain-text notice, or the complainant of a feedback report (at most
    /// the number `read` allows; gazette sends one recipient a message).
    pub recipients: Vec<Recipient>,
    /// Addresses the report itself was delivered to, where a VERP address
    /// shows up: `To`, `Delivered-To`, `X-Original-To`, `Envelope-To`, in
    /// the order found, as written (lower-casing is the matcher's business).
    pub delivered_to: Vec<String>,
    /// Message-IDs (without angle brackets) of the returned message: from
    /// its `Message-ID` in a `message/rfc822` or `text/rfc822-headers` part,
    /// from an ARF report's returned headers, or quoted in a plain notice.
    pub original_message_ids: Vec<String>,
    /// The envelope sender of the returned message, where the report shows it
    /// (a returned `Return-Path`), which may be a VERP address too.
    pub original_return_path: Option<String>,
    /// The report's `Subject`, for the record and the `--json` output.
    pub subject: Option<String>,
}

/// How a returned message is classified. Only `Hard`, `Soft` and
/// `Complaint` change a subscriber.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The address is gone for good: a failed 5.x.x status about the
    /// recipient (5.1.1 no such user, 5.2.1 disabled, ...).
    Hard,
    /// Failed for now, or for a reason that is not the address: a 4.x.x
    /// status in a failed report, mailbox full (5.2.2, or a 5.x.x that says
    /// "quota"), and refusals of the sender or the message rather than the
    /// reader (5.7.x policy, 5.1.7/5.1.8, 5.2.3/5.3.4 too large, a 5.0.0 that
    /// speaks of spam or a blocklist): one blocklisting must not bounce every
    /// reader at a provider. A refusal that lasts still reaches `soft_limit`.
    Soft,
    /// A feedback report: the reader pressed "report spam".
    Complaint,
    /// A DSN whose every action is `delayed`, `relayed` or `delivered`:
    /// not a bounce.
    Delayed,
    /// An auto-reply (vacation notice, out of office): ignored.
    AutoReply,
    /// Anything else, including what cannot be parsed: counted, changes nobody.
    #[default]
    Unclassified,
}

impl Kind {
    /// The name in `--json`, the store and the summary.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Hard => "hard",
            Kind::Soft => "soft",
            Kind::Complaint => "complaint",
            Kind::Delayed => "delayed",
            Kind::AutoReply => "auto-reply",
            Kind::Unclassified => "unclassified",
        }
    }
}

/// One recipient a report is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipient {
    /// `Final-Recipient` (the address part, without `rfc822;`), or the failed
    /// address of a plain notice, or an ARF report's `Original-Rcpt-To`.
    pub address: Option<String>,
    /// `Original-Recipient`, the address part.
    pub original: Option<String>,
    /// `Action` (`failed`, `delayed`, `delivered`, `relayed`, `expanded`),
    /// lower-cased.
    pub action: Option<String>,
    /// The enhanced status, `5.1.1`: from `Status`, else from the quoted
    /// SMTP reply.
    pub status: Option<String>,
    /// The SMTP reply code quoted (`550`), where there is one.
    pub smtp_code: Option<u16>,
    /// `Diagnostic-Code` without its type (`smtp;`), or the quoted reply,
    /// unfolded to one line and cut to [`MAX_DIAGNOSTIC`] characters.
    pub diagnostic: Option<String>,
    /// `Remote-MTA`, the host part.
    pub remote_mta: Option<String>,
    /// How this recipient's block reads on its own.
    pub kind: Kind,
}

/// The longest diagnostic text kept.
pub const MAX_DIAGNOSTIC: usize = 500;

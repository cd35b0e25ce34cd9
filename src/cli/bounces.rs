//! `gazette bounces`: its arguments (the doc comments are its --help).

use std::path::PathBuf;

/// Read bounces and complaints, and stop mailing addresses that are gone
///
/// Each report (a delivery status notification, a plain-text bounce, a
/// feedback-loop complaint) is matched to the delivery it answers by its signed
/// VERP address, else gazette's Message-ID, else the failed recipient. A hard
/// bounce makes the subscriber `bounced` and a complaint `complained` at once,
/// both suppressed; soft bounces from soft_limit of the last soft_window issues
/// sent make them `bounced`. Each report is recorded once: running it again
/// changes nothing. A summary goes to stderr. Exit status: 0; 2 when a source
/// cannot be read (named) or none is given or configured; 75 when an IMAP
/// server cannot be reached (a later run tries again).
#[derive(Debug, clap::Args)]
pub struct BouncesArgs {
    /// Where to read: `-` (one message on standard input, for a pipe alias),
    /// a Maildir directory (new/ is read and moved to cur/), an mbox file (read,
    /// never changed), or an imaps:// URL [default: the [bounces] sources]
    #[arg(value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,
    /// Say what would change, and change nothing: no subscriber, no record,
    /// and every message left where it was (unread in Maildir and IMAP)
    #[arg(long)]
    pub dry_run: bool,
    /// Print one JSON object per report, one per line
    #[arg(long)]
    pub json: bool,
    /// The address the message was delivered to, as the mail server knows it
    /// (a pipe alias; Exim: $local_part$local_part_suffix@$domain); a signed VERP
    /// address here matches the report to its delivery [default: RECIPIENT from the
    /// environment, which Postfix's local delivery sets]
    #[arg(long, value_name = "ADDRESS", env = "RECIPIENT", hide_env = true)]
    pub to: Option<String>,
}

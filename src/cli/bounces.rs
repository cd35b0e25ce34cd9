//! `gazette bounces`: its arguments (the doc comments are its --help).

use std::path::PathBuf;

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

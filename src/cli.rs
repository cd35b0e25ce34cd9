//! The command line, declared with clap; the doc comments are the `--help` text.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Compose, check, render and deliver a curated links newsletter.
///
/// A newsletter lives in a directory holding `config/gazette.toml`, `drafts/*.toml`
/// and `data/`. gazette works in the current directory, or in the one given with -C.
#[derive(Debug, Parser)]
#[command(
    name = "gazette",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Work in DIR instead of the current directory (as with git -C)
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the next draft, `drafts/<date>-<issue>.toml`, as a commented skeleton
    ///
    /// The issue number follows the highest in drafts/; the date is the first
    /// `publish_day` after the later of the latest draft's date and today.
    New(NewArgs),
    /// Check drafts: errors and warnings with file, line and column
    ///
    /// Exit status: 0 when clean, 1 with warnings under --deny-warnings, 2 on any error.
    Check(CheckArgs),
    /// Render a draft's HTML or text part, or a recipient's whole message
    Render(RenderArgs),
    /// Serve a live preview of a draft on 127.0.0.1, reloading when files change
    Preview(PreviewArgs),
    /// Manage the subscriber list
    Subscribers(crate::commands::subscribers::SubscribersArgs),
    /// Send an issue: test sends, or to the list with a per-recipient ledger
    ///
    /// A list send fixes its audience (the active subscribers) when it begins,
    /// records every recipient as it goes, and can be interrupted and run again:
    /// it then sends to exactly those not yet sent. Exit status: 0 all sent,
    /// 75 some deferred (a later run retries them), 1 some failed permanently,
    /// 2 bad input or config, 130/143 interrupted by SIGINT/SIGTERM.
    Send(SendArgs),
    /// Show how each issue's send stands: sent, deferred, failed, pending
    Status(StatusArgs),
    /// List drafts with their send_at (in the config's time zone and UTC) and state
    Schedule,
    /// Serve one-click unsubscribe, double opt-in sign-up and the issue archive over HTTP
    Serve(crate::commands::serve::ServeArgs),
    /// Write the archive of sent issues and its Atom feed as static files
    Archive(crate::commands::serve::ArchiveArgs),
    /// DKIM keys: make one and print the DNS record to publish
    #[command(subcommand)]
    Dkim(DkimCommand),
}

#[derive(Debug, Subcommand)]
pub enum DkimCommand {
    /// Write a new private key (mode 0600) and print its DNS TXT record
    Keygen(KeygenArgs),
}

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// The selector: the record goes at SELECTOR._domainkey.DOMAIN
    #[arg(long)]
    pub selector: String,
    /// The key type; publish RSA first, Ed25519 only as a second signature
    #[arg(long, value_enum, default_value = "rsa")]
    pub algorithm: crate::message::dkim::Algorithm,
    /// The domain to sign for (default: the From address's domain)
    #[arg(long)]
    pub domain: Option<String>,
    /// Where to write the key (default: data/dkim/SELECTOR.pem)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The issue number (default: one more than the highest in drafts/)
    #[arg(long)]
    pub issue: Option<u32>,
    /// The issue date, YYYY-MM-DD (default: the next publish_day)
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Drafts to check (default: every draft in drafts/)
    pub drafts: Vec<PathBuf>,
    /// Exit 1 when there are warnings
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The HTML part
    Html,
    /// The plain-text part
    Text,
    /// The whole message one recipient gets (needs --to)
    Eml,
}

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The draft to render
    pub draft: PathBuf,
    /// What to write
    #[arg(long, value_enum, default_value = "html")]
    pub format: Format,
    /// Write to FILE instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With --format eml: the recipient. A subscriber gets exactly their list
    /// message (their token and Message-ID); any other address a test send.
    #[arg(long, value_name = "ADDRESS", required_if_eq("format", "eml"))]
    pub to: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct PreviewArgs {
    /// The draft to preview
    pub draft: PathBuf,
    /// The port on 127.0.0.1 (default: a free one)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

#[derive(Debug, Clone, clap::Args)]
pub struct SendArgs {
    /// The draft to send
    #[arg(required_unless_present = "due", conflicts_with = "due")]
    pub draft: Option<PathBuf>,
    /// Send every draft whose `send_at` has come and whose send is not complete,
    /// oldest first, as `send DRAFT --yes` would (for cron: silent when nothing is due,
    /// and a second run while one is going exits at once)
    #[arg(long, conflicts_with_all = ["test", "dry_run", "include_new"])]
    pub due: bool,
    /// With --due: say so when another run holds the lock or nothing is due
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Send only to these addresses (comma-separated), subject prefixed `[TEST] `;
    /// the ledger is untouched
    #[arg(long, value_name = "ADDR[,ADDR...]", value_delimiter = ',')]
    pub test: Vec<String>,
    /// Do not ask for confirmation (required without a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Build every message and report counts and size, without connecting
    #[arg(long)]
    pub dry_run: bool,
    /// Also send to subscribers who became active after this issue's send began
    #[arg(long)]
    pub include_new: bool,
    /// Override the configured transport: smtp://HOST:PORT, smtp://HOST:PORT?tls=starttls,
    /// smtps://HOST:PORT (user name as user@HOST; password from GAZETTE_SMTP_PASSWORD), outbox:DIR
    #[arg(long, env = "GAZETTE_TRANSPORT", value_name = "URL")]
    pub transport: Option<String>,
    /// Connections per relay (overrides `connections`)
    #[arg(long, value_name = "N")]
    pub connections: Option<usize>,
    /// Messages per second per relay (overrides `rate`)
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,
    /// Print the closing summary as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Only this draft's issue (default: every issue sent or being sent)
    pub draft: Option<PathBuf>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

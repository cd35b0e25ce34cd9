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

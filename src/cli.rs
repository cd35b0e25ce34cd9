//! The command line, declared with clap; the doc comments are the `--help` text.

use crate::store::Status;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod bounces;
pub use bounces::BouncesArgs;

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
    /// Start a newsletter: config/gazette.toml, drafts/, data/ with a token secret
    ///
    /// Values not given as options are asked for on a terminal; without one,
    /// placeholders are written, which `gazette check` reports until replaced.
    /// Refuses a directory that already holds a config.
    Init(InitArgs),
    /// Write the next draft, `drafts/<date>-<issue>.toml`, as a commented skeleton
    ///
    /// The issue number follows the highest in drafts/; the date is the first
    /// `publish_day` after the later of the latest draft's date and today.
    New(NewArgs),
    /// Add links to the next unsent draft, one item each, with the page's title in a comment
    ///
    /// The page is fetched (10 s, 2 MB, 5 redirects at most) for its title,
    /// description and canonical URL; `utm_*` parameters are dropped. The draft is
    /// edited in place: every byte outside the new item stays as it was.
    Add(AddArgs),
    /// Add the links saved in the [collect] feeds since the last run to the next unsent draft
    ///
    /// Each link is added once, ever (the store remembers them), so running it from
    /// cron every hour is safe. Exit status: 0, or 75 when a feed could not be read.
    Collect,
    /// Check drafts: errors and warnings with file, line and column
    ///
    /// Exit status: 0 when clean, 1 with warnings under --deny-warnings, 2 on any error.
    Check(CheckArgs),
    /// Render a draft's HTML or text part, or a recipient's whole message
    Render(RenderArgs),
    /// Serve a live preview of a draft on 127.0.0.1, reloading when files change
    Preview(PreviewArgs),
    /// Manage the subscriber list
    Subscribers(SubscribersArgs),
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
    Bounces(BouncesArgs),
    /// List drafts with their send_at (in the config's time zone and UTC) and state
    Schedule(ScheduleArgs),
    /// Serve one-click unsubscribe, double opt-in sign-up and the issue archive over HTTP
    Serve(ServeArgs),
    /// Write the archive of sent issues and its Atom feed as static files
    Archive(ArchiveArgs),
    /// DKIM keys: make one and print the DNS record to publish
    #[command(subcommand)]
    Dkim(DkimCommand),
    /// Print the DNS records to publish (SPF, DKIM, DMARC), or check them with --check
    ///
    /// The records go in the From domain's and the envelope domain's zones, one
    /// zone-file line each, under a comment saying what it is for. Exit status
    /// with --check: 0 all right, 1 some missing or wrong, 75 the DNS did not
    /// answer (try again later), 2 bad config.
    Dns(DnsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(CompletionsArgs),
    /// Write man pages, gazette.1 and one per command, into DIR
    Man(ManArgs),
    /// Import past issues from Markdown: each becomes a draft, published at its date
    ///
    /// Each file (a directory: its `*.md` files, sorted) has front matter (`title`,
    /// `date`), an intro, maybe a "<Name> sponsors ..." block, then a heading per
    /// section whose items are a paragraph and its link lines. It becomes
    /// `drafts/<date>-<issue>.toml`, and the issue is recorded as published (in
    /// the archive and feed; `send` refuses it). The closing paragraph most files
    /// share is left out. Exit status: 0, or 2 when any file was not imported.
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The directory to make the newsletter in, made if missing (default: the
    /// current one, or -C's)
    #[arg(value_name = "DIR")]
    pub directory: Option<PathBuf>,
    /// The newsletter's name
    #[arg(long)]
    pub name: Option<String>,
    /// Who issues come from: "Display Name <address>"
    #[arg(long)]
    pub from: Option<String>,
    /// The public site, e.g. https://news.example.org (archive and unsubscribe links)
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// The postal address every footer shows (CAN-SPAM requires one)
    #[arg(long, value_name = "TEXT")]
    pub postal_address: Option<String>,
    /// The IANA time zone that send_at times are read in (default: UTC)
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The links to add (absolute http or https URLs)
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// The section to add them to (default: the first configured)
    #[arg(long, value_name = "KEY")]
    pub section: Option<String>,
    /// The item's text (default: a stand-in that `check` reports until replaced)
    #[arg(long)]
    pub text: Option<String>,
    /// Do not fetch the pages
    #[arg(long)]
    pub no_fetch: bool,
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The directory to write the pages into (made if missing)
    #[arg(value_name = "DIR")]
    pub directory: PathBuf,
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
pub struct DnsArgs {
    /// Look each record up and say, record by record, what is missing or wrong
    #[arg(long)]
    pub check: bool,
    /// With --check: ask only this DNS server, IP:PORT (default: the system's resolvers)
    #[arg(long, env = "GAZETTE_DNS_SERVER", value_name = "IP:PORT")]
    pub server: Option<std::net::SocketAddr>,
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
pub struct ImportArgs {
    /// Markdown files, and directories whose `*.md` files to import
    #[arg(required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
    /// Write nothing: print each draft that would be written
    #[arg(long)]
    pub dry_run: bool,
    /// Replace a different draft already in drafts/ for the same issue
    #[arg(long)]
    pub force: bool,
    /// Print the outcome of each file and the summary as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Drafts to check (default: every draft in drafts/)
    pub drafts: Vec<PathBuf>,
    /// Exit 1 when there are warnings
    #[arg(long)]
    pub deny_warnings: bool,
    /// Also print the findings as one JSON document on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScheduleArgs {
    /// Print one JSON document (an array, a row per draft)
    #[arg(long)]
    pub json: bool,
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
    /// Put the issue's failed recipients back in the queue first (after a relay
    /// or SMTPUTF8 problem is fixed); bounced addresses stay bounced
    #[arg(long, conflicts_with_all = ["due", "test"])]
    pub retry_failed: bool,
    /// Override the configured transport: smtp://HOST:PORT, smtp://HOST:PORT?tls=starttls,
    /// smtps://HOST:PORT (user name as user@HOST; password from GAZETTE_SMTP_PASSWORD), outbox:DIR
    // The value may name a user and host: --help never shows it.
    #[arg(
        long,
        env = "GAZETTE_TRANSPORT",
        hide_env_values = true,
        value_name = "URL"
    )]
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

/// Manage the subscriber list kept in the SQLite store
#[derive(Debug, clap::Args)]
pub struct SubscribersArgs {
    #[command(subcommand)]
    pub command: SubscribersCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SubscribersCommand {
    /// Add an address, active at once
    ///
    /// You vouch that its owner agreed to receive the newsletter; the consent is
    /// recorded as given on the command line. An address that unsubscribed,
    /// bounced or complained stays so unless --resubscribe; a forgotten one is
    /// never added again.
    Add {
        /// The address to add
        email: String,
        /// The subscriber's name
        #[arg(long)]
        name: Option<String>,
        /// Make an address that unsubscribed, bounced or complained active again
        #[arg(long)]
        resubscribe: bool,
    },
    /// Unsubscribe an address; its row stays, marked unsubscribed
    Remove {
        /// The address to unsubscribe
        email: String,
    },
    /// Erase an address for good (GDPR); a hash of it stays on the suppression list
    ///
    /// The row goes; only a SHA-256 hash of the lower-cased address is kept, so
    /// that no later import or sign-up adds it back.
    Forget {
        /// The address to erase
        email: String,
    },
    /// List subscribers by id: id, email, status and name, tab-separated
    List {
        /// Only subscribers with this status
        #[arg(long, value_parser = status_parser())]
        status: Option<Status>,
        /// One JSON object per line, with every column
        #[arg(long)]
        json: bool,
    },
    /// Count subscribers per status, and suppressed addresses
    Count {
        /// Print one JSON object
        #[arg(long)]
        json: bool,
    },
    /// Import subscribers from a CSV file
    ///
    /// Reads a bare column of addresses (with or without an `email` header),
    /// `email,name`, a listmonk or Mailchimp export, or gazette's own export.
    /// Bad rows are reported and skipped; an address that unsubscribed, bounced
    /// or complained is never made active again unless --resubscribe, and a
    /// forgotten one never. All or nothing: a failure leaves the list as it was.
    ///
    /// Exit status: 0 when every row was valid, 1 when some were not, 2 when the
    /// file cannot be read or has no email column.
    Import {
        /// The CSV file
        file: PathBuf,
        /// Report what would change, and change nothing
        #[arg(long)]
        dry_run: bool,
        /// Make addresses that left active again when the file says so
        #[arg(long)]
        resubscribe: bool,
    },
    /// Export every subscriber, with every column, as CSV that import reads back
    Export {
        /// Write to FILE (readable by you only) instead of standard output
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

fn status_parser() -> impl TypedValueParser<Value = Status> {
    PossibleValuesParser::new(Status::NAMES).map(|s| s.parse::<Status>().expect("a listed status"))
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free one); the URL is printed
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// The directory to write the pages and feed into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

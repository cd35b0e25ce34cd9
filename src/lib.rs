//! gazette: compose, check, render and deliver a curated links newsletter.
//!
//! The crate is a pipeline, one module per stage: a TOML [`draft`] is checked,
//! [`render`]ed once into HTML and text, turned into one [`message`] per
//! subscriber, and sent, with the [`store`] keeping subscribers and the ledger.

pub(crate) mod address;
pub mod bounce;
pub mod catalogue;
pub mod cli;
pub(crate) mod clock;
pub(crate) mod collect;
pub(crate) mod commands;
pub mod config;
pub mod diag;
pub mod dns;
pub mod draft;
pub mod error;
pub mod exit;
pub(crate) mod fields;
pub(crate) mod files;
pub mod id;
pub(crate) mod lock;
pub mod message;
pub mod newsletter;
pub mod render;
pub(crate) mod schedule;
pub(crate) mod send;
pub(crate) mod serve;
pub mod store;

pub use error::{Error, Result};
pub use exit::ExitStatus;
pub use newsletter::Newsletter;

use cli::{Cli, Command, DkimCommand};
use std::path::PathBuf;

/// Runs one command line in the newsletter directory it names.
pub fn run(cli: Cli) -> Result<ExitStatus> {
    let root = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    // Init, completions and man need no newsletter: they make one, or describe the command line.
    let open = || Newsletter::open(&root);
    match cli.command {
        Command::Init(args) => commands::init::run(&root, args),
        Command::Completions(args) => commands::shell::completions(args),
        Command::Man(args) => commands::shell::man(&root, args),
        Command::Add(args) => commands::add::run(&open()?, args),
        Command::Collect => commands::collect::run(&open()?),
        Command::New(args) => commands::new::run(&open()?, args),
        Command::Check(args) => commands::check::run(&open()?, args),
        Command::Render(args) => commands::render::run(&open()?, args),
        Command::Preview(args) => commands::preview::run(&open()?, args),
        Command::Subscribers(args) => commands::subscribers::run(&open()?, args),
        Command::Send(args) => commands::send::run(&open()?, args),
        Command::Status(args) => commands::status::run(&open()?, args),
        Command::Bounces(args) => commands::bounces::run(&open()?, args),
        Command::Schedule(args) => commands::schedule::run(&open()?, args),
        Command::Serve(args) => commands::serve::run(&open()?, args),
        Command::Archive(args) => commands::serve::archive(&open()?, args),
        Command::Dkim(DkimCommand::Keygen(args)) => commands::dkim::keygen(&open()?, args),
        Command::Dns(args) => commands::dns::run(&open()?, args),
        Command::Import(args) => commands::import::run(&open()?, args),
    }
}

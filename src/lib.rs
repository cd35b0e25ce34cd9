//! gazette: compose, check, render and deliver a curated links newsletter.
//!
//! The crate is a pipeline, one module per stage: a TOML [`draft`] is checked,
//! [`render`]ed once into HTML and text, turned into one [`message`] per
//! subscriber, and sent, with the [`store`] keeping subscribers and the ledger.

pub(crate) mod address;
pub mod catalogue;
pub mod cli;
pub(crate) mod clock;
pub(crate) mod commands;
pub mod config;
pub mod diag;
pub mod draft;
pub mod error;
pub mod exit;
pub(crate) mod fields;
pub(crate) mod files;
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
    let n = &Newsletter::open(&root)?;
    match cli.command {
        Command::New(args) => commands::new::run(n, args),
        Command::Check(args) => commands::check::run(n, args),
        Command::Render(args) => commands::render::run(n, args),
        Command::Preview(args) => commands::preview::run(n, args),
        Command::Subscribers(args) => commands::subscribers::run(n, args),
        Command::Send(args) => commands::send::run(n, args),
        Command::Status(args) => commands::status::run(n, args),
        Command::Schedule => commands::schedule::run(n),
        Command::Serve(args) => commands::serve::run(n, args),
        Command::Archive(args) => commands::serve::archive(n, args),
        Command::Dkim(DkimCommand::Keygen(args)) => commands::dkim::keygen(n, args),
        Command::Import(args) => commands::import::run(n, args),
    }
}

//! `gazette serve` and `gazette archive` (issue #7).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// The directory to write the pages and feed into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(_root: &Path, _args: ServeArgs) -> Result<u8> {
    Err(Error::Failed("gazette serve is not built yet".into()))
}

pub fn archive(_root: &Path, _args: ArchiveArgs) -> Result<u8> {
    Err(Error::Failed("gazette archive is not built yet".into()))
}

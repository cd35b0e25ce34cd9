//! `gazette subscribers`: manage the subscriber list (issue #4).

use crate::error::{Error, Result};
use std::path::Path;

/// Manage the subscriber list kept in the SQLite store
#[derive(Debug, clap::Args)]
pub struct SubscribersArgs {}

pub fn run(_root: &Path, _args: SubscribersArgs) -> Result<u8> {
    Err(Error::Failed("not built yet".into()))
}

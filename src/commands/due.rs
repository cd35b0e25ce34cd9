//! `gazette send --due`: the cron entry point (issue #6).

use crate::cli::SendArgs;
use crate::error::{Error, Result};
use std::path::Path;

pub fn run(_root: &Path, _args: &SendArgs) -> Result<u8> {
    Err(Error::Failed("send --due is being built".into()))
}

//! `gazette completions` and `gazette man`: the command line, for a shell and for `man`.

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

pub fn completions(args: CompletionsArgs) -> Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "gazette", &mut script);
    std::io::stdout()
        .write_all(&script)
        .map_err(Error::io("cannot write to standard output"))?;
    Ok(ExitStatus::Ok)
}

pub fn man(root: &Path, args: ManArgs) -> Result<ExitStatus> {
    let dir = root.join(&args.directory);
    std::fs::create_dir_all(&dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
    clap_mangen::generate_to(Cli::command(), &dir).map_err(Error::io(format!(
        "cannot write man pages into {}",
        dir.display()
    )))?;
    outln!("wrote the man pages into {}", dir.display())?;
    Ok(ExitStatus::Ok)
}

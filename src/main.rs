use clap::Parser;
use gazette::{Error, ExitStatus};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match gazette::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print as clap prints them; usage errors get the
        // same `gazette: error:` prefix as every other error.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eprint!("gazette: {}", e.render());
            return ExitCode::from(ExitStatus::Usage.code());
        }
    };
    match gazette::run(cli) {
        Ok(status) => ExitCode::from(status.code()),
        // `gazette status | head -1`: the reader has what it wanted.
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            report(&e);
            ExitCode::from(e.status().code())
        }
    }
}

fn report(e: &Error) {
    match e {
        Error::Diagnostics {
            file: source,
            diags,
        } => {
            for d in diags {
                eprint!("{}", d.display(source));
            }
            eprintln!("gazette: error: {e}");
        }
        _ => eprintln!("gazette: error: {e}"),
    }
}

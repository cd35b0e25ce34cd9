use clap::Parser;
use gazette::Error;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match gazette::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print as clap prints them; usage errors get the
        // same `gazette: error:` prefix as every other error.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eprint!("gazette: {}", e.render());
            return ExitCode::from(2);
        }
    };
    match gazette::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            report(&e);
            ExitCode::from(e.exit_code())
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

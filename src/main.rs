use clap::Parser;
use gazette::Error;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = gazette::cli::Cli::parse();
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

//! `gazette new`: the next draft, as a commented skeleton.

use crate::cli::NewArgs;
use crate::error::{Error, Result};
use crate::exit::ExitStatus;
use crate::newsletter::Newsletter;
use jiff::civil::Date;

pub fn run(n: &Newsletter, args: NewArgs) -> Result<ExitStatus> {
    let date =
        match &args.date {
            Some(d) => Some(d.parse::<Date>().map_err(|e| {
                Error::Input(format!("--date `{d}` is not a date (YYYY-MM-DD): {e}"))
            })?),
            None => None,
        };
    let path = n.write_next_draft(args.issue, date)?;
    outln!("{}", n.display(&path))?;
    Ok(ExitStatus::Ok)
}

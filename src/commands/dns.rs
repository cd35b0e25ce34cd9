//! `gazette dns`: the DNS records to publish, or with `--check` how the DNS
//! holds them, record by record.

use crate::cli::DnsArgs;
use crate::dns::{self, check::Verdict};
use crate::error::Result;
use crate::exit::ExitStatus;
use crate::newsletter::Newsletter;

pub fn run(n: &Newsletter, args: DnsArgs) -> Result<ExitStatus> {
    if !args.check {
        for record in dns::plan(&n.config)? {
            outln!("; {}", record.comment)?;
            outln!("{}", dns::zone_line(&record.name, &record.value))?;
        }
        if n.config.dkim.is_empty() {
            outln!("; DKIM: {}", dns::NO_DKIM)?;
        }
        return Ok(ExitStatus::Ok);
    }
    let mut status = ExitStatus::Ok;
    for finding in dns::check(&n.config, args.server)? {
        let v = &finding.verdict;
        status = status.worst(match v {
            Verdict::Right(_) => ExitStatus::Ok,
            Verdict::Missing(_) | Verdict::Wrong(_) => ExitStatus::Failed,
            Verdict::Unreachable(_) => ExitStatus::Deferred,
        });
        outln!(
            "{:<7} {} {}: {}",
            v.label(),
            finding.what,
            finding.name,
            v.message()
        )?;
    }
    match status {
        ExitStatus::Ok => eprintln!("gazette: every record is right"),
        ExitStatus::Deferred => eprintln!("gazette: the DNS did not answer; try again later"),
        _ => eprintln!(
            "gazette: fix the records marked missing or wrong (`gazette dns` prints them)"
        ),
    }
    Ok(status)
}

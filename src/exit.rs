//! The one table of exit statuses. Every command returns an [`ExitStatus`];
//! only `main` turns it into a number, so the codes the README promises are
//! written down once, here.

/// The signal that interrupted a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Signal {
    /// SIGINT (Ctrl-C): exit 130.
    #[serde(rename = "SIGINT")]
    Int,
    /// SIGTERM (a service manager): exit 143.
    #[serde(rename = "SIGTERM")]
    Term,
}

impl Signal {
    /// `SIGINT` or `SIGTERM`, as people write them.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Int => "SIGINT",
            Signal::Term => "SIGTERM",
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: everything done.
    Ok,
    /// 1: `check --deny-warnings` found warnings only.
    Warnings,
    /// 1: something failed for good (a recipient refused, an invalid row).
    Failed,
    /// 75 (EX_TEMPFAIL): some recipients were deferred, or the DNS did not
    /// answer; a later run retries.
    Deferred,
    /// 2: bad input, config or draft, or a refused login.
    Usage,
    /// 130 or 143: stopped by a signal.
    Interrupted(Signal),
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Warnings | ExitStatus::Failed => 1,
            ExitStatus::Usage => 2,
            ExitStatus::Deferred => 75,
            ExitStatus::Interrupted(Signal::Int) => 130,
            ExitStatus::Interrupted(Signal::Term) => 143,
        }
    }

    /// The status of several results together: an interruption over bad input
    /// (2) over failures (1) over deferrals (75) over success.
    pub fn worst(self, other: ExitStatus) -> ExitStatus {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    fn rank(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Deferred => 1,
            ExitStatus::Warnings | ExitStatus::Failed => 2,
            ExitStatus::Usage => 3,
            ExitStatus::Interrupted(_) => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExitStatus::*;
    use super::*;

    #[test]
    fn the_worst_status_wins() {
        assert_eq!(Ok.worst(Deferred), Deferred);
        assert_eq!(Deferred.worst(Failed), Failed);
        assert_eq!(Failed.worst(Deferred), Failed);
        assert_eq!(Usage.worst(Failed), Usage);
        assert_eq!(Ok.worst(Ok), Ok);
        assert_eq!(
            Usage.worst(Interrupted(Signal::Term)),
            Interrupted(Signal::Term)
        );
    }

    #[test]
    fn codes_are_the_readmes() {
        let codes: Vec<u8> = [Ok, Warnings, Failed, Usage, Deferred]
            .into_iter()
            .chain([Interrupted(Signal::Int), Interrupted(Signal::Term)])
            .map(ExitStatus::code)
            .collect();
        assert_eq!(codes, [0, 1, 1, 2, 75, 130, 143]);
    }
}

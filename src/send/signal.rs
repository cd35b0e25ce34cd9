//! Stopping a list send: SIGINT and SIGTERM turned into a future the send
//! loop waits on, so that it drains (messages in flight finish and are
//! recorded) instead of dying mid-transaction. Tests script the stop through
//! a channel instead of the process's signals.

use crate::error::{Error, Result};
#[cfg(test)]
use tokio::sync::mpsc;

pub use crate::exit::Signal;

/// Where a stop comes from.
pub struct Stop {
    source: Source,
}

enum Source {
    Os {
        int: tokio::signal::unix::Signal,
        term: tokio::signal::unix::Signal,
    },
    /// Scripted by the engine's tests.
    #[cfg(test)]
    Channel(mpsc::UnboundedReceiver<Signal>),
}

impl Stop {
    /// Listens for SIGINT and SIGTERM from now on.
    pub fn listen() -> Result<Stop> {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt()).map_err(Error::io("cannot listen for SIGINT"))?;
        let term =
            signal(SignalKind::terminate()).map_err(Error::io("cannot listen for SIGTERM"))?;
        Ok(Stop {
            source: Source::Os { int, term },
        })
    }

    #[cfg(test)]
    /// A stop that fires when a signal is sent on the channel (never, once
    /// every sender is gone without sending).
    pub fn from_channel(signals: mpsc::UnboundedReceiver<Signal>) -> Stop {
        Stop {
            source: Source::Channel(signals),
        }
    }

    #[cfg(test)]
    /// A stop that never fires.
    pub fn never() -> Stop {
        Stop::from_channel(mpsc::unbounded_channel().1)
    }

    /// Waits for the next signal.
    pub async fn wait(&mut self) -> Signal {
        match &mut self.source {
            Source::Os { int, term } => tokio::select! {
                _ = int.recv() => Signal::Int,
                _ = term.recv() => Signal::Term,
            },
            #[cfg(test)]
            Source::Channel(rx) => match rx.recv().await {
                Some(signal) => signal,
                None => std::future::pending().await,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_scripted_stop_fires_and_says_which_signal() {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut stop = Stop::from_channel(rx);
        tx.send(Signal::Term).unwrap();
        assert_eq!(stop.wait().await, Signal::Term);
        // The report's JSON and the exit message name the signal as before.
        assert_eq!(serde_json::to_string(&Signal::Term).unwrap(), "\"SIGTERM\"");
        assert_eq!(Signal::Int.to_string(), "SIGINT");
    }
}

//! Writing the next draft: the issue number after the highest, the next
//! publish day, the skeleton; never over an existing file or issue number.

use super::Newsletter;
use crate::clock;
use crate::draft::skeleton::{next_publish_day, skeleton};
use crate::error::{Error, Result};
use jiff::civil::Date;
use std::io::Write;
use std::path::PathBuf;

impl Newsletter {
    /// Writes the skeleton of issue `issue` (default: one more than the highest
    /// in drafts/) dated `date` (default: the next publish day), and returns its path.
    pub fn write_next_draft(&self, issue: Option<u32>, date: Option<Date>) -> Result<PathBuf> {
        let config = &self.config;
        // Every draft's issue and date, read leniently (a draft with errors counts).
        let glimpses = self.glimpses()?;
        let highest = glimpses.iter().filter_map(|g| g.issue).max().unwrap_or(0);
        let latest = glimpses.iter().filter_map(|g| g.date).max();
        let issue = issue.unwrap_or(highest + 1);
        if issue == 0 {
            return Err(Error::Input("--issue must be 1 or more".into()));
        }
        if let Some(other) = glimpses.iter().find(|g| g.issue == Some(issue)) {
            return Err(Error::Input(format!(
                "{} is issue #{issue} already; gazette never writes a second draft of an issue",
                self.display(&other.path)
            )));
        }
        let date = match date {
            Some(d) => d,
            None => {
                let today = clock::now()?.to_zoned(config.timezone.clone()).date();
                next_publish_day(latest.map_or(today, |l| l.max(today)), config.publish_day)
            }
        };
        let dir = config.drafts_dir();
        std::fs::create_dir_all(&dir)
            .map_err(Error::io(format!("cannot create {}", dir.display())))?;
        let path = dir.join(format!("{date}-{issue}.toml"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::Input(format!(
                        "{} exists already; gazette never overwrites a draft",
                        self.display(&path)
                    ))
                } else {
                    Error::io(format!("cannot create {}", path.display()))(e)
                }
            })?;
        file.write_all(skeleton(config, issue, date).as_bytes())
            .map_err(Error::io(format!("cannot write {}", path.display())))?;
        Ok(path)
    }
}

//! The archive's drafts, parsed once and each issue's page rendered once, kept
//! until a file in `drafts/` changes. Every request still lists `drafts/` and
//! reads each file's size and modification time; a changed, added or removed
//! draft file makes the next request parse them all again. A draft that does
//! not parse is left out, with an error naming it on stderr.

use super::archive;
use crate::diag::{Diagnostic, Source};
use crate::draft::Draft;
use crate::error::Result;
use crate::newsletter::Newsletter;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::SystemTime;

/// The drafts as last read, behind a lock that the handlers share.
pub struct Cache {
    newsletter: Newsletter,
    current: RwLock<Option<Arc<Drafts>>>,
    /// How many issue pages have been rendered (for the tests).
    renders: AtomicUsize,
}

/// The drafts that parse, by issue number, as of one state of `drafts/`.
#[derive(Debug)]
pub struct Drafts {
    stamps: Vec<Stamp>,
    by_issue: BTreeMap<u32, Arc<CachedDraft>>,
}

/// What identifies a draft file's version: its path, modification time and size.
type Stamp = (PathBuf, Option<SystemTime>, u64);

/// One parsed draft and, once asked for, its archive page.
#[derive(Debug)]
pub struct CachedDraft {
    pub draft: Draft,
    page: OnceLock<String>,
}

impl Cache {
    pub fn new(newsletter: Newsletter) -> Cache {
        Cache {
            newsletter,
            current: RwLock::new(None),
            renders: AtomicUsize::new(0),
        }
    }

    /// The drafts as `drafts/` holds them now: the cached ones unless a file
    /// changed. Blocks on the file system.
    pub fn drafts(&self) -> Result<Arc<Drafts>> {
        let stamps = self.stamps()?;
        let read = self.current.read().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = read.as_ref().filter(|d| d.stamps == stamps) {
            return Ok(Arc::clone(d));
        }
        drop(read);
        let fresh = Arc::new(self.load(stamps)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&fresh));
        Ok(fresh)
    }

    /// The archive page of `cached`, rendered the first time it is asked for.
    pub fn page(&self, cached: &CachedDraft) -> String {
        cached
            .page
            .get_or_init(|| {
                self.renders.fetch_add(1, Ordering::Relaxed);
                archive::issue_page(&self.newsletter.config, &cached.draft)
            })
            .clone()
    }

    /// How many issue pages this cache has rendered.
    #[cfg(test)]
    fn renders(&self) -> usize {
        self.renders.load(Ordering::Relaxed)
    }

    fn stamps(&self) -> Result<Vec<Stamp>> {
        Ok(self
            .newsletter
            .draft_paths()?
            .into_iter()
            .map(|path| {
                let meta = std::fs::metadata(&path).ok();
                let modified = meta.as_ref().and_then(|m| m.modified().ok());
                let len = meta.map_or(0, |m| m.len());
                (path, modified, len)
            })
            .collect())
    }

    /// Parses every draft of `stamps` (the first by file name wins an issue).
    /// A draft that cannot be read or has errors is left out, with an error
    /// on stderr naming it: one bad file never takes the archive down.
    fn load(&self, stamps: Vec<Stamp>) -> Result<Drafts> {
        let mut by_issue = BTreeMap::new();
        for (path, ..) in &stamps {
            let loaded = match self.newsletter.load(path) {
                Ok(loaded) => loaded,
                Err(e) => {
                    eprintln!("gazette: error: {e}; left out of the archive");
                    continue;
                }
            };
            match loaded.parsed {
                Ok(parsed) => {
                    by_issue.entry(parsed.draft.issue).or_insert_with(|| {
                        Arc::new(CachedDraft {
                            draft: parsed.draft,
                            page: OnceLock::new(),
                        })
                    });
                }
                Err(diags) => eprintln!("gazette: error: {}", left_out(&loaded.source, &diags)),
            }
        }
        Ok(Drafts { stamps, by_issue })
    }
}

/// One line saying where a draft's first error is and that the draft is not
/// served: `drafts/x.toml:3:1: message; ...`.
fn left_out(source: &Source, diags: &[Diagnostic]) -> String {
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    let Some(first) = errors.first() else {
        return format!("{}: left out of the archive", source.name);
    };
    let (line, col) = source.line_col(first.span.start);
    let more = match errors.len() - 1 {
        0 => String::new(),
        n => format!(" and {n} more error(s)"),
    };
    format!(
        "{}:{line}:{col}: {}{more}; left out of the archive until it is fixed (`gazette check {}`)",
        source.name, first.message, source.name
    )
}

impl Drafts {
    /// The draft of `issue`, if one parses.
    pub fn get(&self, issue: u32) -> Option<Arc<CachedDraft>> {
        self.by_issue.get(&issue).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{self, File};
    use std::path::Path;
    use std::time::Duration;

    const DRAFT: &str = "drafts/2026-11-29-41.toml";

    /// A copy of the example newsletter (config and issue 41) in a temporary directory.
    fn newsletter() -> (tempfile::TempDir, Newsletter) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        for rel in [crate::config::CONFIG_PATH, DRAFT] {
            fs::create_dir_all(dir.path().join(rel).parent().unwrap()).unwrap();
            fs::copy(repo.join(rel), dir.path().join(rel)).unwrap();
        }
        let n = Newsletter::open(dir.path()).unwrap();
        (dir, n)
    }

    /// Rewrites `path` with `text`, giving it the modification time `modified`.
    fn write(path: &Path, text: &str, modified: SystemTime) {
        fs::write(path, text).unwrap();
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
    }

    fn page(cache: &Cache) -> String {
        cache.page(&cache.drafts().unwrap().get(41).unwrap())
    }

    #[test]
    fn a_second_request_is_served_without_rendering_again() {
        let (_dir, n) = newsletter();
        let cache = Cache::new(n.clone());
        let first = cache.drafts().unwrap();
        let html = page(&cache);
        assert!(Arc::ptr_eq(&first, &cache.drafts().unwrap()));
        assert_eq!(page(&cache), html);
        assert_eq!(cache.renders(), 1);
        let draft = &first.get(41).unwrap().draft;
        assert_eq!(html, archive::issue_page(&n.config, draft));
    }

    #[test]
    fn a_changed_added_or_removed_draft_file_is_read_and_rendered_again() {
        let (dir, n) = newsletter();
        let path = dir.path().join(DRAFT);
        let text = fs::read_to_string(&path).unwrap();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        write(&path, &text, t0);
        let cache = Cache::new(n);
        assert!(page(&cache).contains("On-call handovers"));

        // The same size, a later modification time.
        let edited = text.replace("On-call handovers", "On-call hand-offs");
        assert_eq!(edited.len(), text.len());
        write(&path, &edited, t0 + Duration::from_secs(1));
        assert!(page(&cache).contains("On-call hand-offs"));
        assert_eq!(cache.renders(), 2);

        // The same modification time, another size.
        let longer = edited.replace("On-call hand-offs", "On-call hand-overs");
        write(&path, &longer, t0 + Duration::from_secs(1));
        assert!(page(&cache).contains("On-call hand-overs"));
        assert_eq!(cache.renders(), 3);

        // Another file: the drafts are read again, even though issue 41's is the same.
        let before = cache.drafts().unwrap();
        let other = dir.path().join("drafts/2026-12-06-42.toml");
        write(&other, &text.replace("issue = 41", "issue = 42"), t0);
        let added = cache.drafts().unwrap();
        assert!(!Arc::ptr_eq(&before, &added));
        assert!(added.get(42).is_some());
        fs::remove_file(&other).unwrap();
        let removed = cache.drafts().unwrap();
        assert!(removed.get(42).is_none());
        assert!(!Arc::ptr_eq(&added, &removed));
    }
}

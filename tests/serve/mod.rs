//! Integration tests: `gazette serve` and `gazette archive`.
//!
//! Each test copies the example newsletter (config and draft) into a
//! temporary directory, starts `gazette serve --listen 127.0.0.1:0` there,
//! reads the URL it prints first, and talks HTTP/1.1 to it with ureq.
//! Unsubscribe tokens come from real messages (`gazette render --format eml
//! --to ADDRESS`); confirmation emails are caught by Postfix's smtp-sink or
//! the outbox and read with Python's email package in strict mode; the feed
//! is parsed with Python's xml.etree; a browser test drives Debian's Chromium
//! with playwright-core (`tests/tools/browser/`). Every process a test starts
//! is killed when the test ends; a missing tool fails the test, naming its
//! package.

mod archive;
mod browser;
mod connections;
mod drafts;
mod identity;
mod read_only;
mod signup;
mod unsubscribe;
mod welcome;

const CONSENT: &str = "Send me Platform Notes by email.";
/// Lets every sign-up come from its own address (`X-Forwarded-For`).
const BEHIND_PROXY: &str = "[serve]\ntrusted_proxy_header = \"X-Forwarded-For\"\n";

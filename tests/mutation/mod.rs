//! Mutation tests: thousands of broken drafts, configs and subscriber files,
//! run in-process through the functions `check`, `render` and `subscribers
//! import` use. None may panic, overflow the stack or hang, and every error
//! must point at a line and column (see `support::mutate` for how a failing
//! case is kept and rerun).

use crate::support::mutate::{self, Check, Mutator};
use crate::support::repo;
use gazette::config::{Config, Destination};
use gazette::diag::Source;
use gazette::newsletter::{Loaded, Newsletter, Parsed, glimpse_of};
use gazette::render::{self, Frame};
use gazette::store::import::{self, ImportOptions};
use gazette::store::{self, Store};
use std::sync::{Arc, Mutex};

/// A draft using every part of the format: sponsor, sections, Markdown in
/// both kinds of multi-line string, escapes, a local `send_at`.
const RICH_DRAFT: &str = r#"issue = 42
date = 2026-12-06
send_at = 2026-12-06T08:30:00
subject = "Platform Notes: \"quoted\" \u00e9dition"
preheader = "A short line"

intro = """
One *two* **three** `four` [five](https://e.example/5) and \
a continued line with an escape: \t tab, \u00e9.

A second paragraph with _emphasis_ and <b>html</b>.
"""

[sponsor]
name = "Lanternfish"
text = '''
Literal **strong** text with a [link](https://lanternfish.example/x).
'''
url = "https://lanternfish.example/"

[[news]]
title = "A title"
text = "A *single-line* text."
links = ["https://blog.example.org/a", "https://blog.example.org/b"]

[[tools]]
text = """A tool, [named](https://tool.example/) here."""
links = ["https://tool.example/"]
"#;

const DRAFT_FRAGMENTS: &[&str] = &[
    "[sponsor]\n",
    "[[news]]\n",
    "[[tools]]\n",
    "[[bogus]]\n",
    "text = \"\"\"\n# A heading\n\n- a list\n\n> a quote\n\n    code\n\"\"\"\n",
    "text = '''\n1. one\n2. two\n\n---\n\n![img](https://e.example/i.png)\n'''\n",
    "intro = \"\"\"\n<div>\n*a\n</div>\n\"\"\"\n",
    "links = []\n",
    "links = [1, 2]\n",
    "links = [\"javascript:alert(1)\", \"http://\"]\n",
    "send_at = 2026-03-29T01:30:00\n",
    "send_at = 2026-10-25T01:30:00\n",
    "send_at = 1979-05-27T07:32:00-08:00\n",
    "date = 2026-02-30\n",
    "date = 10000-01-01\n",
    "subject = \"two\\nlines\"\n",
    "subject = \"\"\n",
    "issue = 4294967296\n",
    "issue = -1\n",
    "intro = \"\"\n",
    "text = \"[x](https://e.example/\\u0078) `unclosed\"\n",
    "a.b.c.d.e = 1\n",
    "news = [1, \"x\", {text = \"t\"}]\n",
    "x = [[[[[[[[[[1]]]]]]]]]]\n",
    "\"quoted key\" = \"\\U0010FFFF\"\n",
];

#[test]
fn mutated_drafts_never_crash_and_every_error_is_located() {
    let root = repo();
    let config = Config::load(&root).unwrap();
    let seed = std::fs::read(root.join(support_draft())).unwrap();
    let n = Newsletter {
        root: root.clone(),
        config,
    };
    let (other, _) = gazette::draft::parse(
        &Source::new("seed.toml", String::from_utf8(seed.clone()).unwrap()),
        &n.config,
    )
    .unwrap();
    let check: Check = Arc::new(move |bytes| {
        let name = "drafts/mutated.toml";
        let (source, unreadable) = Source::from_bytes(bytes.to_vec(), false, name);
        let parsed = match unreadable {
            Some(d) => Err(vec![d]),
            None => gazette::draft::parse(&source, &n.config)
                .map(|(draft, warnings)| Parsed { draft, warnings }),
        };
        let failed = parsed.is_err();
        let loaded = Loaded {
            path: n.root.join(name),
            source,
            parsed,
        };
        // What `send --due` and `schedule` read of a draft, broken or not.
        n.lenient_send_at(&loaded);
        glimpse_of(&loaded);
        // What `check` reports: the errors, or the warnings after rendering.
        let diags = n.findings(&loaded, &[&other], None);
        mutate::located(&loaded.source, &diags, failed)?;
        // `findings` rendered the email; the archive's page too (serve's).
        if let Ok(p) = &loaded.parsed {
            let frame = Frame::Archive {
                index_url: "https://platformnotes.example/archive",
                subscribe_url: "https://platformnotes.example/subscribe",
            };
            render::render_html(&p.draft, &n.config, &frame);
        }
        Ok(())
    });
    let mutator = Mutator::new(
        mutate::SEED,
        &[&seed, RICH_DRAFT.as_bytes()],
        DRAFT_FRAGMENTS,
        // Both sides of gazette's 1 MiB limit.
        700_000..1_400_000,
    );
    mutate::run("draft", 3000, mutator, check);
}

fn support_draft() -> &'static str {
    crate::support::DRAFT
}

/// A config setting every key, with two relays.
const RICH_CONFIG: &str = r##"name = "Platform Notes"
from = "Platform Notes <editor@platformnotes.example>"
reply_to = "Mina <mina@platformnotes.example>"
base_url = "https://platformnotes.example/"
postal_address = "12 Quay Street, Bristol"
language = "en-GB"
publish_day = "friday"
subject = "{name} #{issue} - {date}"
timezone = "America/New_York"
brand_color = "#0b6e4f"
list_id = "notes.platformnotes.example"
unsubscribe_mailto = "unsubscribe@platformnotes.example"
secret_file = "data/secret"
database = "data/gazette.db"
max_lateness = "12h"
transport = "smtp"
envelope_from = "bounces@platformnotes.example"
verp = true
retry_delays = [1, 2.5, 30]
relay_rest = 60

[[smtp]]
host = "smtp.example.net"
port = 587
tls = "starttls"
username = "notes"
password_file = "data/smtp-password"
helo = "mail.platformnotes.example"
connections = 4
rate = 10.5
connect_timeout = 10
command_timeout = 60
data_timeout = 600
ca_file = "data/ca.pem"

[[smtp]]
host = "127.0.0.1"
port = 2525
tls = "none"
allow_insecure = true

[[dkim]]
domain = "platformnotes.example"
selector = "gazette"
key_file = "data/dkim.pem"

[serve]
consent = "I agree to get {name} by email."
trusted_proxy_header = "X-Forwarded-For"
signups_per_ip_per_hour = 5
confirmations_per_address_per_day = 3

[[sections]]
key = "news"
title = "News"

[[sections]]
key = "tools"
title = "Tools"
"##;

const CONFIG_FRAGMENTS: &[&str] = &[
    "relay_rest = 1e20\n",
    "retry_delays = [1e300, -1, nan]\n",
    "[[smtp]]\nhost = \"h\"\ncommand_timeout = 1e19\nrate = 1e-300\n",
    "[[smtp]]\nhost = \"\"\nport = 0\nconnections = 100000\n",
    "[[smtp]]\nhost = \"h\"\npassword = \"hunter2\"\n",
    "[serve]\nsignups_per_ip_per_hour = 1e20\n",
    "[[sections]]\nkey = \"intro\"\ntitle = \"\"\n",
    "[[sections]]\nkey = \"news\"\ntitle = \"Again\"\n",
    "subject = \"{name} {nope} {{ }\"\n",
    "timezone = \"Mars/Olympus_Mons\"\n",
    "max_lateness = \"99999999999 years\"\n",
    "publish_day = \"someday\"\n",
    "brand_color = \"red\"\n",
    "from = \"<@>\"\n",
    "base_url = \"javascript:x\"\n",
    "transport = \"carrier pigeon\"\n",
    "outbox = \"/dev/null/x\"\n",
];

#[test]
fn mutated_configs_never_crash_and_every_error_is_located() {
    let root = repo();
    let seed = std::fs::read(root.join("config/gazette.toml")).unwrap();
    let draft = std::fs::read_to_string(root.join(support_draft())).unwrap();
    let check: Check = Arc::new(move |bytes| {
        let (source, unreadable) = Source::from_bytes(bytes.to_vec(), false, "config/gazette.toml");
        let config = match unreadable {
            Some(d) => Err(vec![d]),
            None => Config::parse(&root, &source),
        };
        let config = match config {
            Err(diags) => return mutate::located(&source, &diags, true),
            Ok(config) => config,
        };
        // What later stages make of the settings.
        config.archive_url(u32::MAX);
        let secret = crate::support::Secret::new(crate::support::SECRET.as_bytes(), "t").unwrap();
        let from = &config.delivery.envelope_from;
        let verp = gazette::bounce::verp::address(&secret, from, u32::MAX, i64::MAX);
        gazette::bounce::verp::check(&secret, from, &verp);
        for url in [None, Some("smtp://127.0.0.1:2525"), Some("outbox:///tmp/x")] {
            if let Ok(Destination::Smtp(relays)) = config.delivery.transport_with(url, &root) {
                for relay in relays {
                    let _ = relay.check();
                    relay.name();
                }
            }
        }
        // The example draft read with these settings, and rendered for one
        // config in four (rendering is slow in an unoptimised build).
        let draft = Source::new("drafts/d.toml", draft.clone());
        match gazette::draft::parse(&draft, &config) {
            Ok((d, _)) if bytes.len() % 4 == 0 => drop(render::render(&d, &config)),
            Ok(_) => {}
            Err(diags) => mutate::located(&draft, &diags, true)?,
        }
        Ok(())
    });
    let mutator = Mutator::new(
        mutate::SEED,
        &[&seed, RICH_CONFIG.as_bytes()],
        CONFIG_FRAGMENTS,
        700_000..1_400_000,
    );
    mutate::run("config", 2000, mutator, check);
}

const CSV_FRAGMENTS: &[&str] = &[
    "email;name;status\n",
    "carl@example.org;Carl\n",
    "\"quoted, comma\"@example.org,Q\n",
    "ü@bücher.example,Umlaut\n",
    "a@127.0.0.1\n",
    "\"unterminated,x\n",
    "x@example.org,,blocklisted,,,,,,,,,,,,,,,,,\n",
    "id,email,name,status,created,confirmed,unsubscribed,source,consent_at,consent_how,consent_text,consent_ip\n",
    "99999999999999999999,big@example.org,B,active,2026-13-45T99:99:99Z,,,import:,,,,\n",
    "=cmd|' /C calc'!A0@example.org,'=1+1\n",
    "\t\t\t\n",
    ",,,,\n",
];

#[test]
fn mutated_subscriber_files_never_crash_and_every_bad_row_is_located() {
    let root = repo();
    let mut seeds: Vec<Vec<u8>> = ["bad_rows", "bare", "bare_header", "email_name", "listmonk"]
        .iter()
        .chain(&["mailchimp"])
        .map(|f| std::fs::read(root.join(format!("tests/fixtures/{f}.csv"))).unwrap())
        .collect();
    seeds.push(std::fs::read(root.join("examples/subscribers.csv")).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let store = Mutex::new(Store::open(&dir.path().join("gazette.db")).unwrap());
    let now = "2026-12-06T09:00:00Z".parse().unwrap();
    let options = ImportOptions {
        source: store::Source::Import("mutated.csv".into()),
        resubscribe: true,
        dry_run: true,
    };
    let check: Check = Arc::new(move |bytes| {
        let Ok(parsed) = import::parse(bytes) else {
            // The whole file is refused (empty, no email column): said as such.
            return Ok(());
        };
        let lines = bytes.split(|&b| b == b'\n').count() as u64;
        for bad in &parsed.bad {
            if bad.line == 0 || bad.line > lines || bad.column == 0 {
                return Err(format!(
                    "bad row at line {} of {lines}: {}",
                    bad.line, bad.reason
                ));
            }
        }
        let mut store = store.lock().unwrap_or_else(|e| e.into_inner());
        store
            .import(&parsed, &options, now)
            .map_err(|e| e.to_string())?;
        Ok(())
    });
    let seeds: Vec<&[u8]> = seeds.iter().map(Vec::as_slice).collect();
    let mutator = Mutator::new(mutate::SEED, &seeds, CSV_FRAGMENTS, 100_000..400_000);
    mutate::run("csv", 3000, mutator, check);
    drop(dir);
}

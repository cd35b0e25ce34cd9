//! Messages built through the library, for the checkers: every recipient's
//! list message of every draft, signed with an RSA and an Ed25519 key.

use super::{
    Algorithm, Config, Directory, DkimKey, Factory, Kind, Recipient, SECRET, Secret, Signer,
    generate, render, repo,
};
use std::path::{Path, PathBuf};

/// The recipients each message is built for: (subscriber id, address, name).
pub const RECIPIENTS: &[(i64, &str, Option<&str>)] = &[
    (1, "ada@example.org", Some("Ada Lovelace")),
    (
        2,
        "jose.muller@example.com",
        Some("José Müller-Łukasiewicz 🚀"),
    ),
    (3, "plain@example.net", None),
];

pub struct Keyed {
    pub config: Config,
    /// The DKIM TXT records, by name.
    pub records: Vec<(String, String)>,
}

/// A newsletter's config with an RSA and an Ed25519 key and a mailto unsubscribe.
pub fn keyed(root: &Path, keys: &Path) -> Keyed {
    let mut config = Config::load(root).unwrap();
    config.unsubscribe_mailto = Some(format!("unsubscribe@{}", config.domain()));
    let mut records = Vec::new();
    for (selector, algorithm) in [("rsa1", Algorithm::Rsa), ("ed1", Algorithm::Ed25519)] {
        let (pem, record) = generate(algorithm).unwrap();
        let key_file = keys.join(format!("{}-{selector}.pem", config.list_id));
        std::fs::write(&key_file, pem).unwrap();
        let domain = config.domain().to_string();
        records.push((format!("{selector}._domainkey.{domain}"), record));
        config.dkim.push(DkimKey {
            selector: selector.into(),
            domain,
            key_file,
        });
    }
    Keyed { config, records }
}

pub fn drafts(config: &Config) -> Vec<PathBuf> {
    Directory::open(&config.root)
        .unwrap()
        .draft_paths()
        .unwrap()
}

/// A message file, its subscriber id, the draft's links and its HTML part.
pub type Generated = (PathBuf, i64, Vec<String>, String);

/// Writes every recipient's list message of every draft of `root`; returns
/// (file, subscriber id, draft links, html) for each.
pub fn generate_messages(root: &Path, out: &Path) -> (Keyed, Vec<Generated>) {
    let n = keyed(root, out);
    let mut written = Vec::new();
    for path in drafts(&n.config) {
        let draft = Directory::open(&n.config.root)
            .unwrap()
            .load_ok(&path)
            .unwrap()
            .draft;
        let rendered = render::render(&draft, &n.config);
        let signers = n
            .config
            .dkim
            .iter()
            .map(|k| Signer::load(k).unwrap())
            .collect();
        let secret = Secret::new(SECRET.as_bytes(), "test").unwrap();
        let factory = Factory::new(
            &n.config,
            &rendered,
            draft.issue,
            1_796_000_000,
            Kind::List,
            secret,
            signers,
        );
        let links: Vec<String> = draft.links().iter().map(|l| l.url.clone()).collect();
        for &(id, email, name) in RECIPIENTS {
            let mut bytes = Vec::new();
            factory
                .build(
                    &Recipient {
                        id: Some(id),
                        email,
                        name,
                    },
                    &mut bytes,
                )
                .unwrap();
            let file = out.join(format!("{}-{}-{id}.eml", n.config.list_id, draft.issue));
            std::fs::write(&file, &bytes).unwrap();
            let html = rendered
                .personalise(&factory.unsubscribe_url(&Recipient {
                    id: Some(id),
                    email,
                    name,
                }))
                .0;
            written.push((file, id, links.clone(), html));
        }
    }
    (n, written)
}

pub fn roots() -> Vec<PathBuf> {
    vec![repo(), repo().join("tests/fixtures/newsletter")]
}

/// Replaces the MIME boundary and random Message-ID part, which change per run.
pub fn stable(eml: &str) -> String {
    let boundary = eml
        .split("boundary=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let mut out = eml.replace(&boundary, "BOUNDARY");
    if let Some(start) = out.find("Message-ID: <gz.") {
        let end = out[start..].find('@').unwrap() + start;
        out.replace_range(start..end, "Message-ID: <gz.ISSUE.RANDOM");
    }
    out
}

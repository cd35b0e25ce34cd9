//! Messages as servers received them, and as Python's email package reads them.

use super::newsletter::{Delivery, Newsletter};
use super::{BASE_URL, SUBJECT, python};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One message a server received.
#[derive(Debug)]
pub struct Received {
    pub file: PathBuf,
    /// Envelope recipients.
    pub rcpts: Vec<String>,
    /// Header fields, unfolded (smtp-sink's own X- fields first).
    pub headers: Vec<(String, String)>,
    /// Whether the whole message arrived (its closing MIME boundary did).
    pub complete: bool,
    /// From smtp_server.py: STARTTLS was used, and the AUTH user.
    pub tls: bool,
    pub auth_user: Option<String>,
    /// From smtp_server.py: the parameters of MAIL FROM (such as `SMTPUTF8`).
    pub mail_options: Vec<String>,
}

impl Received {
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The one value of header `name`.
    pub fn one(&self, name: &str) -> &str {
        let values = self.all(name);
        assert_eq!(values.len(), 1, "{name} in {}", self.file.display());
        values[0]
    }

    pub fn message_id(&self) -> &str {
        angle(self.one("Message-ID"))
    }

    /// The address of the To header.
    pub fn to(&self) -> String {
        angle(self.one("To")).to_ascii_lowercase()
    }

    pub fn rcpt(&self) -> &str {
        assert_eq!(self.rcpts.len(), 1, "{}", self.file.display());
        &self.rcpts[0]
    }
}

/// What is inside `<...>`, or all of `s`.
pub fn angle(s: &str) -> &str {
    match (s.find('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => &s[a + 1..b],
        _ => s.trim(),
    }
}

/// The header fields of a message, unfolded; CRLF or LF line ends.
fn header_fields(raw: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in raw.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)) {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            out.push((name.to_string(), value.trim().to_string()));
        }
    }
    out
}

/// Whether a multipart message ends with its closing boundary.
fn complete(raw: &str, headers: &[(String, String)]) -> bool {
    let boundary = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
        .and_then(|(_, v)| v.split("boundary=\"").nth(1))
        .and_then(|s| s.split('"').next());
    boundary.is_some_and(|b| raw.trim_end().ends_with(&format!("--{b}--")))
}

/// The messages smtp-sink dumped (`X-Rcpt-Args: <address>` per recipient).
pub fn sink_received(dumps: &Path) -> Vec<Received> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dumps).unwrap() {
        let file = entry.unwrap().path();
        let raw = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        let headers = header_fields(&raw);
        let rcpts = headers
            .iter()
            .filter(|(n, _)| n == "X-Rcpt-Args")
            .map(|(_, v)| angle(v).to_ascii_lowercase())
            .collect();
        out.push(Received {
            complete: complete(&raw, &headers),
            file,
            rcpts,
            headers,
            tls: false,
            auth_user: None,
            mail_options: Vec::new(),
        });
    }
    out
}

/// The messages smtp_server.py wrote (`N.eml` beside `N.json`).
pub fn aiosmtpd_received(dumps: &Path) -> Vec<Received> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dumps).unwrap() {
        let file = entry.unwrap().path();
        if file.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(file.with_extension("json")).unwrap())
                .unwrap();
        let headers = header_fields(&raw);
        out.push(Received {
            complete: complete(&raw, &headers),
            rcpts: meta["rcpt_tos"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap().to_ascii_lowercase())
                .collect(),
            tls: meta["tls"] == true,
            auth_user: meta["auth_user"].as_str().map(str::to_string),
            mail_options: (meta["mail_options"].as_array().into_iter().flatten())
                .filter_map(|o| Some(o.as_str()?.to_string()))
                .collect(),
            file,
            headers,
        });
    }
    out.sort_by_key(|r| r.file.clone());
    out
}

/// Checks that every one of `emails` got the list message at least once, to
/// its own address, and nobody else got anything; that copies beyond the
/// first number at most `extra` in all; and that every copy carries the
/// Message-ID the ledger recorded for its recipient. Returns the number of
/// extra copies.
pub fn assert_everyone_once(
    newsletter: &Newsletter,
    received: &[Received],
    emails: &[String],
    extra: usize,
) -> usize {
    let ledger: HashMap<String, Delivery> = newsletter
        .ledger()
        .into_iter()
        .map(|d| (d.email.clone(), d))
        .collect();
    let mut copies: HashMap<&str, Vec<&Received>> = HashMap::new();
    for r in received.iter().filter(|r| r.complete) {
        assert_eq!(
            r.to(),
            r.rcpt(),
            "To and envelope differ: {}",
            r.file.display()
        );
        assert_eq!(r.one("Subject"), SUBJECT);
        copies.entry(r.rcpt()).or_default().push(r);
    }
    let missing: Vec<&String> = emails
        .iter()
        .filter(|e| !copies.contains_key(e.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "{} got nothing: {missing:?}",
        missing.len()
    );
    assert_eq!(copies.len(), emails.len(), "messages to strangers");
    let mut extras = 0;
    for (email, list) in &copies {
        let recorded = ledger[*email].message_id.as_deref();
        for r in list {
            assert_eq!(
                Some(r.message_id()),
                recorded,
                "{email}: a copy's Message-ID is not the one in the ledger"
            );
        }
        extras += list.len() - 1;
    }
    assert!(
        extras <= extra,
        "{extras} duplicate copies, more than {extra}"
    );
    extras
}

/// The value of header `name` with its continuation lines joined.
pub fn unfolded_header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// An email read by Python's email package with the strict policy.
#[derive(Debug, serde::Deserialize)]
pub struct Parsed {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub content_type: String,
    pub text: String,
    pub html: String,
}

pub fn parse_email(path: &Path) -> Parsed {
    const SCRIPT: &str = r#"
import email, json, sys
from email import policy
with open(sys.argv[1], 'rb') as f:
    msg = email.message_from_binary_file(f, policy=policy.strict)
print(json.dumps({
    'from': str(msg['From']), 'to': str(msg['To']), 'subject': str(msg['Subject']),
    'content_type': msg.get_content_type(),
    'text': msg.get_body(('plain',)).get_content(),
    'html': msg.get_body(('html',)).get_content(),
}))
"#;
    serde_json::from_slice(&python(SCRIPT, &[path], b"")).unwrap()
}

/// The confirmation path (`/confirm/TOKEN`) in a message's text.
pub fn confirm_path(text: &str) -> String {
    let at = text
        .find(&format!("{BASE_URL}/confirm/"))
        .expect("a confirm link");
    let url: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || ":/.-_".contains(*c))
        .collect();
    url.strip_prefix(BASE_URL).unwrap().to_string()
}

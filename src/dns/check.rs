//! Checking what the DNS holds against the records to publish, record by
//! record. Pure: each check takes what a lookup found, so every verdict is
//! tested without a network.

use super::Domains;

/// What a TXT lookup found at one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The TXT records there, each one's strings joined.
    Txt(Vec<String>),
    /// The name has no TXT record (or does not exist).
    Nothing,
    /// No answer: no server could be reached, or it failed (try again later).
    Unreachable(String),
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Right(String),
    Missing(String),
    Wrong(String),
    Unreachable(String),
}

impl Verdict {
    /// `ok`, `missing`, `wrong` or `unknown`, as the output's first column.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Right(_) => "ok",
            Verdict::Missing(_) => "missing",
            Verdict::Wrong(_) => "wrong",
            Verdict::Unreachable(_) => "unknown",
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Verdict::Right(m)
            | Verdict::Missing(m)
            | Verdict::Wrong(m)
            | Verdict::Unreachable(m) => m,
        }
    }
}

/// The records among `txt` whose first tag is `version` (`v=spf1`, `v=DMARC1`),
/// compared without case.
fn versioned<'a>(txt: &'a [String], version: &str) -> Vec<&'a str> {
    txt.iter()
        .map(|t| t.trim())
        .filter(|t| {
            let head = t.split([' ', ';']).next().unwrap_or("");
            head.eq_ignore_ascii_case(version)
        })
        .collect()
}

/// The `tag=value` pairs of a DKIM or DMARC record, tags lower-cased.
fn tags(record: &str) -> Vec<(String, String)> {
    record
        .split(';')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

fn tag<'a>(tags: &'a [(String, String)], name: &str) -> Option<&'a str> {
    tags.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// SPF: exactly one record (two are a permanent error, RFC 7208 4.5), ending
/// in `-all` or `~all`, so that no one else may send for the domain.
pub fn spf(found: &Found) -> Verdict {
    let txt = match found {
        Found::Unreachable(why) => return Verdict::Unreachable(why.clone()),
        Found::Nothing => return Verdict::Missing("no TXT record".into()),
        Found::Txt(txt) => txt,
    };
    match versioned(txt, "v=spf1").as_slice() {
        [] => Verdict::Missing("no TXT record starts with v=spf1".into()),
        [one] if one.contains(super::RELAY_SPF) => Verdict::Wrong(format!(
            "\"{one}\" still holds the stand-in {}: put your relay's SPF domain in its place",
            super::RELAY_SPF
        )),
        [one] => {
            let last = one.split_ascii_whitespace().last().unwrap_or("");
            match last.to_ascii_lowercase().as_str() {
                "-all" | "~all" => Verdict::Right(format!("\"{one}\"")),
                _ => Verdict::Wrong(format!(
                    "\"{one}\" does not end in -all or ~all: anyone may send for the domain"
                )),
            }
        }
        many => Verdict::Wrong(format!(
            "{} SPF records: receivers fail SPF when there is more than one",
            many.len()
        )),
    }
}

/// Whether `domain` is `from` or under it: DMARC's relaxed alignment, as
/// gazette checks it.
fn aligned(domain: &str, from: &str) -> bool {
    domain == from || domain.ends_with(&format!(".{from}"))
}

/// DKIM alignment (DMARC relaxed): a signature counts for DMARC only when its
/// `d=` domain is the From domain or one under it.
pub fn dkim_alignment(domain: &str, from: &str) -> Verdict {
    if aligned(domain, from) {
        Verdict::Right(format!("d={domain} is aligned with the From domain {from}"))
    } else {
        Verdict::Wrong(format!(
            "d={domain} is not {from} nor under it, so this signature does not count for \
             DMARC: drop the key's `domain` or set it to {from}"
        ))
    }
}

/// SPF alignment (DMARC relaxed): the envelope domain SPF passes for must be
/// the From domain or one under it, or SPF counts for nothing in DMARC.
pub fn alignment(domains: &Domains) -> Verdict {
    let (env, from) = (&domains.envelope, &domains.from);
    if aligned(env, from) {
        Verdict::Right(format!(
            "the envelope domain {env} is aligned with the From domain {from}"
        ))
    } else {
        Verdict::Wrong(format!(
            "the envelope domain {env} is not {from} nor under it, so SPF does not count for \
             DMARC: set `envelope_from` to an address at {from}"
        ))
    }
}

/// DKIM: one key record whose `p=` is the public half of the configured
/// private key (`expected`, the record `gazette dns` prints).
pub fn dkim(found: &Found, expected: &str) -> Verdict {
    let txt = match found {
        Found::Unreachable(why) => return Verdict::Unreachable(why.clone()),
        Found::Nothing => {
            return Verdict::Missing("no TXT record: signatures cannot be verified".into());
        }
        Found::Txt(txt) => txt,
    };
    let keys: Vec<Vec<(String, String)>> = txt
        .iter()
        .map(|t| tags(t))
        .filter(|t| tag(t, "p").is_some())
        .collect();
    let want = tags(expected);
    let key = |t: &[(String, String)]| -> String {
        tag(t, "p").unwrap_or("").split_ascii_whitespace().collect()
    };
    match keys.as_slice() {
        [] => Verdict::Missing("no TXT record with a p= key".into()),
        [one] if key(one).is_empty() => Verdict::Wrong("the key is revoked (p= is empty)".into()),
        [one] if key(one) != key(&want) => Verdict::Wrong(
            "p= is not the public key of the configured private key: signatures fail".into(),
        ),
        [one]
            if !tag(one, "k")
                .unwrap_or("rsa")
                .eq_ignore_ascii_case(tag(&want, "k").unwrap_or("rsa")) =>
        {
            Verdict::Wrong(format!(
                "k={} does not match the key's type, {}",
                tag(one, "k").unwrap_or("rsa"),
                tag(&want, "k").unwrap_or("rsa")
            ))
        }
        [_] => Verdict::Right("p= matches the configured private key".into()),
        many => Verdict::Wrong(format!(
            "{} key records at one selector: receivers may pick either",
            many.len()
        )),
    }
}

/// DMARC: one record starting with `v=DMARC1` with a policy `p=`.
pub fn dmarc(found: &Found) -> Verdict {
    let txt = match found {
        Found::Unreachable(why) => return Verdict::Unreachable(why.clone()),
        Found::Nothing => return Verdict::Missing("no TXT record".into()),
        Found::Txt(txt) => txt,
    };
    match versioned(txt, "v=DMARC1").as_slice() {
        [] => Verdict::Missing("no TXT record starts with v=DMARC1".into()),
        [one] => match tag(&tags(one), "p").map(str::to_ascii_lowercase).as_deref() {
            None => Verdict::Wrong(format!(
                "\"{one}\" has no policy (p=none, quarantine or reject)"
            )),
            Some(p @ ("none" | "quarantine" | "reject")) => {
                Verdict::Right(format!("\"{one}\" (policy {p})"))
            }
            Some(other) => Verdict::Wrong(format!(
                "\"{one}\": p={other} is not a policy (none, quarantine or reject)"
            )),
        },
        many => Verdict::Wrong(format!(
            "{} DMARC records: receivers ignore them all when there is more than one",
            many.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txt(records: &[&str]) -> Found {
        Found::Txt(records.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn spf_must_be_one_record_ending_in_all() {
        assert_eq!(spf(&txt(&["v=spf1 mx -all"])).label(), "ok");
        assert_eq!(
            spf(&txt(&[
                "google-site-verification=x",
                "v=spf1 include:a ~all"
            ]))
            .label(),
            "ok"
        );
        assert_eq!(spf(&txt(&["v=spf1 mx ?all"])).label(), "wrong");
        // Published as printed, before the relay's domain was filled in.
        let stand_in = spf(&txt(&["v=spf1 include:RELAY-SPF-DOMAIN -all"]));
        assert_eq!(stand_in.label(), "wrong");
        assert!(
            stand_in.message().contains("RELAY-SPF-DOMAIN"),
            "{stand_in:?}"
        );
        assert_eq!(spf(&txt(&["v=spf1 mx"])).label(), "wrong");
        assert_eq!(
            spf(&txt(&["v=spf1 mx -all", "v=spf1 a -all"])).label(),
            "wrong"
        );
        assert_eq!(spf(&txt(&["v=spf10 -all"])).label(), "missing");
        assert_eq!(spf(&Found::Nothing).label(), "missing");
        assert_eq!(
            spf(&Found::Unreachable("timeout".into())).label(),
            "unknown"
        );
    }

    #[test]
    fn the_envelope_domain_aligns_when_it_is_the_from_domain_or_under_it() {
        let d = |envelope: &str| Domains {
            from: "example.org".into(),
            envelope: envelope.into(),
        };
        assert_eq!(alignment(&d("example.org")).label(), "ok");
        assert_eq!(alignment(&d("bounces.example.org")).label(), "ok");
        assert_eq!(alignment(&d("notexample.org")).label(), "wrong");
        assert_eq!(alignment(&d("relay.example.net")).label(), "wrong");
    }

    #[test]
    fn the_signing_domain_aligns_when_it_is_the_from_domain_or_under_it() {
        assert_eq!(dkim_alignment("example.org", "example.org").label(), "ok");
        assert_eq!(
            dkim_alignment("mail.example.org", "example.org").label(),
            "ok"
        );
        let other = dkim_alignment("esp.example.net", "example.org");
        assert_eq!(other.label(), "wrong");
        assert!(other.message().contains("`domain`"), "{other:?}");
    }

    #[test]
    fn dkim_p_must_be_the_configured_key() {
        let want = "v=DKIM1; k=rsa; p=MIIBIjAN";
        assert_eq!(
            dkim(&txt(&["v=DKIM1; k=rsa; p=MIIB IjAN"]), want).label(),
            "ok"
        );
        assert_eq!(dkim(&txt(&["v=DKIM1; p=MIIBIjAN"]), want).label(), "ok");
        assert_eq!(
            dkim(&txt(&["v=DKIM1; k=rsa; p=MIIBOTHER"]), want).label(),
            "wrong"
        );
        assert_eq!(dkim(&txt(&["v=DKIM1; k=rsa; p="]), want).label(), "wrong");
        assert_eq!(
            dkim(&txt(&["v=DKIM1; k=ed25519; p=MIIBIjAN"]), want).label(),
            "wrong"
        );
        assert_eq!(dkim(&txt(&["unrelated"]), want).label(), "missing");
        assert_eq!(dkim(&Found::Nothing, want).label(), "missing");
    }

    #[test]
    fn dmarc_needs_a_version_and_a_policy() {
        assert_eq!(
            dmarc(&txt(&["v=DMARC1; p=none; rua=mailto:d@example.org"])).label(),
            "ok"
        );
        assert_eq!(dmarc(&txt(&["v=DMARC1; p=Reject"])).label(), "ok");
        assert_eq!(
            dmarc(&txt(&["v=DMARC1; rua=mailto:d@example.org"])).label(),
            "wrong"
        );
        assert_eq!(dmarc(&txt(&["v=DMARC1; p=maybe"])).label(), "wrong");
        assert_eq!(dmarc(&txt(&["p=none; v=DMARC1"])).label(), "missing");
        assert_eq!(
            dmarc(&txt(&["v=DMARC1; p=none", "v=DMARC1; p=reject"])).label(),
            "wrong"
        );
        assert_eq!(dmarc(&Found::Nothing).label(), "missing");
    }
}

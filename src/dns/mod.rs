//! The DNS records a sender must publish: SPF for the envelope domain, a DKIM
//! key record per `[[dkim]]` selector, DMARC for the From domain ([`plan`]),
//! and checking what the DNS holds against them ([`check`], through
//! [`lookup`]). Gmail and Yahoo require all three of bulk senders.

pub mod check;
pub mod lookup;

use crate::address::domain_of;
use crate::config::{Config, Destination};
use crate::error::{Error, Result};
use crate::message::dkim;
use check::{Found, Verdict};
use lookup::Lookup;
use std::net::SocketAddr;

/// What a record is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// SPF (RFC 7208): the hosts that may send for the envelope domain.
    Spf,
    /// A DKIM public key (RFC 6376) for one selector.
    Dkim,
    /// DMARC (RFC 7489): the From domain's policy and report address.
    Dmarc,
}

impl Kind {
    /// `SPF`, `DKIM` or `DMARC`, as the output names them.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Spf => "SPF",
            Kind::Dkim => "DKIM",
            Kind::Dmarc => "DMARC",
        }
    }
}

/// One TXT record to publish.
#[derive(Debug, Clone)]
pub struct Record {
    pub kind: Kind,
    /// The owner name, without the final dot.
    pub name: String,
    /// The TXT value.
    pub value: String,
    /// What the record is for, one line, for the zone file's comment.
    pub comment: String,
}

/// The stand-in for the relay's SPF domain, which only the relay's own
/// documentation knows.
pub const RELAY_SPF: &str = "RELAY-SPF-DOMAIN";

/// What `dns` says, and `--check` reports missing, when there is no `[[dkim]]`
/// key: Gmail and Yahoo refuse bulk mail without a DKIM signature.
pub const NO_DKIM: &str = "no [[dkim]] key is configured: `gazette dkim keygen --selector S` makes one and prints its record";

/// The domains the records are about, taken from the config once.
#[derive(Debug, Clone)]
pub struct Domains {
    /// The From address's domain: DMARC's.
    pub from: String,
    /// The envelope sender's (Return-Path) domain: SPF's.
    pub envelope: String,
}

impl Domains {
    pub fn of(config: &Config) -> Domains {
        Domains {
            from: config.domain().to_lowercase(),
            envelope: domain_of(&config.delivery.envelope_from).to_lowercase(),
        }
    }
}

/// The records to publish for `config`: SPF, each DKIM key's, DMARC.
pub fn plan(config: &Config) -> Result<Vec<Record>> {
    let domains = Domains::of(config);
    let relay = match &config.delivery.transport {
        Destination::Smtp(relays) => relays.first().map(|r| r.host.as_str()),
        Destination::Outbox(_) => None,
    };
    let spf = match relay {
        Some(host) => Record {
            kind: Kind::Spf,
            name: domains.envelope.clone(),
            value: format!("v=spf1 include:{RELAY_SPF} -all"),
            comment: format!(
                "SPF for the envelope domain: the relay {host} may send its mail, no one else \
                 (replace {RELAY_SPF} with the domain your relay's documentation gives for SPF)"
            ),
        },
        None => Record {
            kind: Kind::Spf,
            name: domains.envelope.clone(),
            value: "v=spf1 mx -all".into(),
            comment: "SPF for the envelope domain: its MX hosts may send its mail, no one else"
                .into(),
        },
    };
    let mut records = vec![spf];
    for key in &config.dkim {
        records.push(Record {
            kind: Kind::Dkim,
            name: format!("{}._domainkey.{}", key.selector, key.domain),
            value: dkim::public_record(&key.key_file)?,
            comment: format!(
                "DKIM key `{}`: receivers verify gazette's signatures (d={}) with it",
                key.selector, key.domain
            ),
        });
    }
    let (rua, hint) = match &config.dns.dmarc_rua {
        Some(rua) => (rua.clone(), ""),
        None => (
            format!("dmarc@{}", domains.from),
            " (make sure it exists, or set [dns] dmarc_rua)",
        ),
    };
    records.push(Record {
        kind: Kind::Dmarc,
        name: format!("_dmarc.{}", domains.from),
        value: format!("v=DMARC1; p=none; rua=mailto:{rua}"),
        comment: format!(
            "DMARC for the From domain: p=none asks only for reports, to {rua}{hint}; move to \
             p=quarantine, then p=reject, once they show only your mail"
        ),
    });
    Ok(records)
}

/// One line of `dns --check`: a record, or an alignment, and its verdict.
#[derive(Debug, Clone)]
pub struct Finding {
    /// `SPF`, `SPF alignment`, `DKIM`, `DKIM alignment` or `DMARC`.
    pub what: &'static str,
    /// The name looked up (for SPF alignment: the envelope domain).
    pub name: String,
    pub verdict: Verdict,
}

/// Looks up each record `plan` gives (at `server` only, when given) and
/// checks it. Once the DNS has not answered, the rest are not asked: each
/// would wait as long again.
pub fn check(config: &Config, server: Option<SocketAddr>) -> Result<Vec<Finding>> {
    let records = plan(config)?;
    let domains = Domains::of(config);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the DNS lookups"))?;
    runtime.block_on(async {
        let lookup = Lookup::new(server)?;
        let mut out = Vec::new();
        let mut unreachable: Option<String> = None;
        for record in &records {
            let found = match &unreachable {
                Some(why) => Found::Unreachable(format!("not asked: {why}")),
                None => lookup.txt(&record.name).await,
            };
            if let Found::Unreachable(why) = &found {
                unreachable.get_or_insert_with(|| why.clone());
            }
            let verdict = match record.kind {
                Kind::Spf => check::spf(&found),
                Kind::Dkim => check::dkim(&found, &record.value),
                Kind::Dmarc => check::dmarc(&found),
            };
            out.push(Finding {
                what: record.kind.name(),
                name: record.name.clone(),
                verdict,
            });
            if record.kind == Kind::Spf {
                out.push(Finding {
                    what: "SPF alignment",
                    name: domains.envelope.clone(),
                    verdict: check::alignment(&domains),
                });
            }
            if record.kind == Kind::Spf && config.dkim.is_empty() {
                out.push(Finding {
                    what: "DKIM",
                    name: "[[dkim]]".into(),
                    verdict: Verdict::Missing(NO_DKIM.into()),
                });
            }
            if let (Kind::Dkim, Some((_, domain))) =
                (&record.kind, record.name.split_once("._domainkey."))
            {
                out.push(Finding {
                    what: "DKIM alignment",
                    name: record.name.clone(),
                    verdict: check::dkim_alignment(domain, &domains.from),
                });
            }
        }
        Ok(out)
    })
}

/// A zone-file line for a TXT record, its value in quoted strings of at most
/// 255 bytes each (RFC 1035 3.3), as `dkim keygen` and `dns` print them.
pub fn zone_line(name: &str, value: &str) -> String {
    let quoted: Vec<String> = value
        .as_bytes()
        .chunks(255)
        .map(|c| format!("\"{}\"", String::from_utf8_lossy(c)))
        .collect();
    format!("{name}. IN TXT ( {} )", quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_split_into_strings_of_255_bytes() {
        let value = "p=".to_string() + &"A".repeat(400);
        let line = zone_line("s1._domainkey.example.org", &value);
        let strings: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        assert_eq!(
            strings.iter().map(|s| s.len()).collect::<Vec<_>>(),
            [255, 147]
        );
        assert_eq!(strings.concat(), value);
        assert!(
            line.starts_with("s1._domainkey.example.org. IN TXT ( \""),
            "{line}"
        );
    }
}

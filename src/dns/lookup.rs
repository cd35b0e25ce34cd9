//! TXT lookups with hickory-resolver: the system's resolvers
//! (`/etc/resolv.conf`), or the one server `GAZETTE_DNS_SERVER` names, over
//! UDP with TCP when an answer is truncated.

use super::check::Found;
use crate::error::{Error, Result};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::{Resolver, TokioResolver};
use std::net::SocketAddr;
use std::time::Duration;

/// How long one query waits for its answer, and how many times it is sent
/// again (hickory's `attempts` counts retries): a DNS that does not answer
/// within 6 s is "try again later".
const TIMEOUT: Duration = Duration::from_secs(3);
const RETRIES: usize = 1;

/// A resolver for TXT records.
pub struct Lookup {
    resolver: TokioResolver,
}

impl Lookup {
    /// The system's resolvers, or only `server` when given. Needs a tokio runtime.
    pub fn new(server: Option<SocketAddr>) -> Result<Lookup> {
        let mut opts = ResolverOpts::default();
        opts.timeout = TIMEOUT;
        opts.attempts = RETRIES;
        // Each check asks once: a cache would only hide a record just published.
        opts.cache_size = 0;
        let builder = match server {
            Some(addr) => {
                let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                    .into_iter()
                    .map(|mut c| {
                        c.port = addr.port();
                        c
                    })
                    .collect();
                let ns = NameServerConfig::new(addr.ip(), true, connections);
                Resolver::builder_with_config(
                    ResolverConfig::from_name_servers(vec![ns]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => Resolver::builder_tokio().map_err(|e| {
                Error::Failed(format!("cannot read the system's DNS configuration: {e}"))
            })?,
        };
        let resolver = builder
            .with_options(opts)
            .build()
            .map_err(|e| Error::Failed(format!("cannot set up the DNS resolver: {e}")))?;
        Ok(Lookup { resolver })
    }

    /// The TXT records at `name` (asked as a fully qualified name, so no
    /// search domain is tried).
    pub async fn txt(&self, name: &str) -> Found {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.resolver.txt_lookup(fqdn.as_str()).await {
            Ok(lookup) => Found::Txt(
                lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        hickory_resolver::proto::rr::RData::TXT(txt) => Some(
                            txt.txt_data
                                .iter()
                                .map(|s| String::from_utf8_lossy(s))
                                .collect::<String>(),
                        ),
                        _ => None,
                    })
                    .collect(),
            ),
            Err(e) if e.is_no_records_found() => Found::Nothing,
            Err(e) => Found::Unreachable(e.to_string()),
        }
    }
}

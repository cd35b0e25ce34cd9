//! The `[[dkim]]` keys to sign with: selector, key file and signing domain.

use crate::address::Mailbox;
use crate::diag::Diagnostic;
use crate::fields::{self, Fields};
use std::path::{Path, PathBuf};

/// A DKIM key to sign with.
#[derive(Debug, Clone)]
pub struct DkimKey {
    pub selector: String,
    pub domain: String,
    pub key_file: PathBuf,
}

pub(super) fn read_dkim(
    root: &Path,
    value: fields::Value<'_>,
    from: Option<&Mailbox>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<DkimKey> {
    let mut out = Vec::new();
    for (i, (table, span)) in fields::array_of_tables("dkim", value, diags)
        .into_iter()
        .enumerate()
    {
        let mut f = Fields::new(table, span, format!("dkim key {}", i + 1), diags);
        let selector = f.req_str("selector");
        let key_file = f.req_str("key_file");
        let domain = f.opt_str("domain").map(|s| s.into_inner().to_lowercase());
        f.finish();
        let (Some(selector), Some(key_file)) = (selector, key_file) else {
            continue;
        };
        let domain = domain
            .or_else(|| from.map(|m| m.domain().to_string()))
            .unwrap_or_default();
        out.push(DkimKey {
            selector: selector.into_inner(),
            domain,
            key_file: root.join(key_file.get_ref()),
        });
    }
    out
}

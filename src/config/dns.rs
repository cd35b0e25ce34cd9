//! The `[dns]` table of the config: what `gazette dns` puts in the records
//! that the rest of the config does not say.
//!
//! ```toml
//! [dns]
//! dmarc_rua = "dmarc-reports@example.org"  # where DMARC aggregate reports go
//! ```

use crate::diag::Diagnostic;
use crate::fields::Fields;

/// The checked `[dns]` settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dns {
    /// The address DMARC aggregate reports are sent to (the record's
    /// `rua=mailto:`). Default: none, and `gazette dns` prints
    /// `dmarc@<From domain>`.
    pub dmarc_rua: Option<String>,
}

impl Dns {
    /// Reads the optional `[dns]` table.
    pub fn read(f: &mut Fields<'_, '_>) -> Dns {
        let Some((table, span)) = f.opt_table("dns") else {
            return Dns::default();
        };
        let mut t = Fields::new(table, span, "the [dns] table", &mut *f.diags);
        let dmarc_rua =
            t.opt_str("dmarc_rua")
                .and_then(|s| match crate::address::normalize(s.get_ref()) {
                    // `;` and `,` separate DMARC tags and URIs (RFC 7489 6.4).
                    Ok(a) if !a.contains([';', ',', '!']) => Some(a),
                    Ok(_) => {
                        let d = Diagnostic::error(
                            s.span(),
                            "`dmarc_rua` may not hold `;`, `,` or `!`, which DMARC records reserve",
                        );
                        t.diags.push(d);
                        None
                    }
                    Err(why) => {
                        let d = Diagnostic::error(s.span(), format!("`dmarc_rua`: {why}"));
                        t.diags.push(d);
                        None
                    }
                });
        t.finish();
        Dns { dmarc_rua }
    }
}

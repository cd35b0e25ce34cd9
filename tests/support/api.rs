//! The library API the tests use, in one place: when src/ moves an item, only
//! these paths change. Test modules take them from `crate::support`.

/// The library's newsletter directory (the tests' own builder is `Newsletter`).
pub use gazette::Newsletter as Directory;
pub use gazette::config::{Config, DkimKey};
pub use gazette::diag::Source;
pub use gazette::draft;
pub use gazette::message::dkim::{Algorithm, Signer, generate};
pub use gazette::message::token::Secret;
pub use gazette::message::{Factory, Kind, Recipient};
pub use gazette::render;
pub use gazette::store::migrations;
pub use gazette::store::{Status, Store, Subscriber};

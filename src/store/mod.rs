//! The embedded SQLite store: subscribers now, the delivery ledger later.

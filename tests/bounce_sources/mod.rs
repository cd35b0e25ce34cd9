//! Where bounce reports come from: an IMAP mailbox on a real Dovecot, and
//! the corpus through every source by `gazette bounces`.

mod command;
mod corpus;
mod imap;

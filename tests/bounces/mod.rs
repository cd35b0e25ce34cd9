//! `gazette bounces`: reports read from standard input, Maildir and mbox,
//! matched to their deliveries and applied; and the whole loop, from a send
//! with signed VERP to the next issue leaving out who bounced or complained.

mod corpus;
mod end_to_end;
mod hostile;
mod send_time;
mod sources;
mod stdin;

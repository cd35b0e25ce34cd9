//! Integration tests: list sends through SMTP servers no one here wrote.
//! aiosmtpd (`tests/tools/smtp_server.py`) requires STARTTLS and AUTH and
//! presents a certificate from a CA each test makes; Postfix's smtp-sink
//! injects faults, takes a `kill -9` in the middle of a send and paces the
//! rate test; stunnel in front of it shows PIPELINING over TLS. Every server
//! listens on 127.0.0.1 on a port chosen here and is killed when its test
//! ends; a missing tool fails the test, naming its Debian package. The
//! servers, the PKI and the checks are in `support`.

mod faults;
mod idna;
mod pipelining;
mod rate;
mod relay_faults;
mod retry_age;
mod signals;
mod tls;
mod tls_failures;
mod unsubscribes;

//! An IMAP mailbox, read with async-imap on a current-thread tokio runtime
//! (the command is otherwise synchronous): TLS from the start (`imaps://`)
//! or STARTTLS, required (`imap://`: the login never goes in plain text);
//! `UID SEARCH UNSEEN`, sizes first (`RFC822.SIZE`), then bodies with
//! `BODY.PEEK[]` in batches of at most [`MAX_MESSAGE`] bytes, so memory stays
//! flat; a message over the limit is fetched only up to it and handed over
//! truncated. Each message recorded is flagged `\Seen`; nothing is deleted.
//!
//! Every step has a time limit ([`TIMEOUT`], 30 s: the connect, the TLS
//! handshake, the greeting and each command), so a server that stalls cannot
//! hang cron. An unreachable or stalled server is [`Error::Unreachable`]
//! (exit 75: the next run tries again); a refused login, a missing mailbox or
//! a certificate that does not verify is a config error (exit 2) naming the
//! URL, never the password.

mod tls;

use super::{Done, Message};
use crate::bounce::MAX_MESSAGE;
use crate::config::Imap;
use crate::error::{Error, Result};
use async_imap::error::Error as ImapError;
use futures_util::TryStreamExt;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// The limit on the connect and on each command's answer.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// How many UIDs one `UID FETCH` of sizes (or one `UID STORE`) names.
const UID_BATCH: usize = 500;

type Session = async_imap::Session<TlsStream<TcpStream>>;

/// Reads the unseen messages of `imap`, each limited to [`TIMEOUT`].
pub fn each(imap: &Imap, take: &mut dyn FnMut(Message) -> Result<Done>) -> Result<()> {
    read(imap, TIMEOUT, take)
}

/// As [`each`], with another time limit on each step.
pub fn read(
    imap: &Imap,
    timeout: Duration,
    take: &mut dyn FnMut(Message) -> Result<Done>,
) -> Result<()> {
    let password = password(imap)?;
    let config = tls::config(imap)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::io("cannot start the IMAP client"))?;
    runtime.block_on(async {
        let mut session = open(imap, &password, config, timeout).await?;
        let result = mailbox(&mut session, imap, timeout, take).await;
        // A polite end; the messages are flagged already.
        let _ = tokio::time::timeout(timeout, session.logout()).await;
        result
    })
}

/// The password: `password_file` (its line end trimmed), else
/// `GAZETTE_IMAP_PASSWORD`.
fn password(imap: &Imap) -> Result<String> {
    crate::files::password(
        imap.password_file.as_deref(),
        "GAZETTE_IMAP_PASSWORD",
        || {
            format!(
                "{} needs a password: set GAZETTE_IMAP_PASSWORD, or `password_file` in [bounces]",
                imap.url()
            )
        },
    )
}

/// `step` within `timeout`, or the server is not answering.
async fn within<T>(
    timeout: Duration,
    what: impl FnOnce() -> String,
    step: impl Future<Output = T>,
) -> Result<T> {
    tokio::time::timeout(timeout, step).await.map_err(|_| {
        Error::Unreachable(format!(
            "{} (no answer within {} s)",
            what(),
            timeout.as_secs_f32()
        ))
    })
}

/// Connects, secures the connection and logs in.
async fn open(
    imap: &Imap,
    password: &str,
    config: std::sync::Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> Result<Session> {
    let url = imap.url();
    let tcp = within(
        timeout,
        || format!("cannot connect to {url}"),
        TcpStream::connect((imap.host.as_str(), imap.port)),
    )
    .await?
    .map_err(|e| Error::Unreachable(format!("cannot connect to {url}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let name = rustls_pki_types::ServerName::try_from(imap.host.clone())
        .map_err(|_| Error::Input(format!("{url}: `{}` is not a host name", imap.host)))?;
    let connector = tokio_rustls::TlsConnector::from(config);
    let shown: &str = &url;
    let handshake = |what: &'static str, tcp| {
        let connector = connector.clone();
        let name = name.clone();
        async move {
            within(
                timeout,
                || format!("{what} with {shown} failed"),
                connector.connect(name, tcp),
            )
            .await?
            .map_err(|e| tls::failure(what, &e, imap))
        }
    };
    let client = if imap.implicit_tls {
        let mut client = async_imap::Client::new(handshake("TLS", tcp).await?);
        greeting(&mut client, imap, timeout).await?;
        client
    } else {
        let mut plain = async_imap::Client::new(tcp);
        greeting(&mut plain, imap, timeout).await?;
        let asked = plain.run_command_and_check_ok("STARTTLS", None);
        within(timeout, || format!("{url} did not answer STARTTLS"), asked)
            .await?
            .map_err(|e| match e {
                ImapError::Io(_) | ImapError::ConnectionLost => {
                    Error::Unreachable(format!("{url} dropped the connection at STARTTLS: {e}"))
                }
                e => Error::Input(format!(
                    "{url} refused STARTTLS ({e}); gazette never logs in without TLS: use \
                     imaps:// if the server offers TLS on another port"
                )),
            })?;
        async_imap::Client::new(handshake("STARTTLS", plain.into_inner()).await?)
    };
    let login = client.login(&imap.user, password);
    match within(timeout, || format!("{url} did not answer the login"), login).await? {
        Ok(session) => Ok(session),
        Err((ImapError::No(why) | ImapError::Bad(why), _)) => Err(Error::Input(format!(
            "{url} refused the login for {}: {}",
            imap.user,
            said(&why)
        ))),
        // The only input checked is ours: the user name or password holds
        // a line break. Never say which character.
        Err((ImapError::Validate(_), _)) => Err(Error::Input(format!(
            "{url}: the user name or password holds a line break, which IMAP cannot send"
        ))),
        Err((e, _)) => Err(Error::Unreachable(format!("{url}: the login failed: {e}"))),
    }
}

/// Reads the server's greeting, which must come within `timeout`.
async fn greeting<T>(
    client: &mut async_imap::Client<T>,
    imap: &Imap,
    timeout: Duration,
) -> Result<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let url = imap.url();
    match within(
        timeout,
        || format!("{url} did not greet"),
        client.read_response(),
    )
    .await?
    {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(Error::Unreachable(format!(
            "{url} closed the connection before greeting"
        ))),
        Err(e) => Err(Error::Unreachable(format!(
            "{url}: reading the greeting failed: {e}"
        ))),
    }
}

/// Selects the mailbox and hands over each unseen message.
async fn mailbox(
    session: &mut Session,
    imap: &Imap,
    timeout: Duration,
    take: &mut dyn FnMut(Message) -> Result<Done>,
) -> Result<()> {
    let url = imap.url();
    let selected = session.select(&imap.mailbox);
    match within(timeout, || format!("{url} did not answer SELECT"), selected).await? {
        Ok(_) => {}
        Err(ImapError::No(why) | ImapError::Bad(why)) => {
            return Err(Error::Input(format!(
                "{url}: cannot open the mailbox {}: {}",
                imap.mailbox,
                said(&why)
            )));
        }
        Err(e) => return Err(trouble(&url, "SELECT", e)),
    }
    let search = session.uid_search("UNSEEN");
    let mut uids: Vec<u32> = within(timeout, || format!("{url} did not answer SEARCH"), search)
        .await?
        .map_err(|e| trouble(&url, "UID SEARCH UNSEEN", e))?
        .into_iter()
        .collect();
    uids.sort_unstable();
    for chunk in uids.chunks(UID_BATCH) {
        let sizes = sizes(session, &url, chunk, timeout).await?;
        for batch in batches(&sizes) {
            let messages = bodies(session, &url, &batch, timeout).await?;
            let mut recorded = Vec::new();
            let mut stopped = None;
            for (uid, message) in messages {
                match take(message) {
                    Ok(Done::Recorded) => recorded.push(uid),
                    Ok(Done::Leave) => {}
                    Err(e) => {
                        stopped = Some(e);
                        break;
                    }
                }
            }
            // Flag what was recorded even when `take` stopped the reading.
            seen(session, &url, &recorded, timeout).await?;
            if let Some(e) = stopped {
                return Err(e);
            }
        }
    }
    Ok(())
}

/// An error from the server in the middle of the work: the connection's
/// trouble (try again later) unless the server said NO or BAD.
fn trouble(url: &str, command: &str, e: ImapError) -> Error {
    match e {
        ImapError::No(_) | ImapError::Bad(_) | ImapError::Parse(_) => {
            Error::Failed(format!("{url}: {command} failed: {e}"))
        }
        e => Error::Unreachable(format!("{url}: {command} failed: {e}")),
    }
}

/// The server's own words in async-imap's NO or BAD (`code: .., info:
/// Some("...")`), or all of it when it is not in that shape.
fn said(why: &str) -> String {
    why.split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.strip_suffix("\")"))
        .unwrap_or(why)
        .trim()
        .to_string()
}

fn uid_set(uids: &[u32]) -> String {
    let set: Vec<String> = uids.iter().map(u32::to_string).collect();
    set.join(",")
}

/// Each UID's size, in UID order; a message expunged meanwhile is left out.
async fn sizes(
    session: &mut Session,
    url: &str,
    uids: &[u32],
    timeout: Duration,
) -> Result<Vec<(u32, u64)>> {
    let fetch = async {
        let stream = session
            .uid_fetch(uid_set(uids), "(UID RFC822.SIZE)")
            .await?;
        stream.try_collect::<Vec<_>>().await
    };
    let fetched = within(timeout, || format!("{url} did not answer FETCH"), fetch)
        .await?
        .map_err(|e| trouble(url, "UID FETCH (RFC822.SIZE)", e))?;
    let mut sizes: Vec<(u32, u64)> = fetched
        .iter()
        .filter_map(|f| Some((f.uid?, u64::from(f.size?))))
        .filter(|(uid, _)| uids.binary_search(uid).is_ok())
        .collect();
    sizes.sort_unstable();
    Ok(sizes)
}

/// The UIDs to fetch together: consecutive messages up to [`MAX_MESSAGE`]
/// bytes in all, and each message over the limit on its own.
fn batches(sizes: &[(u32, u64)]) -> Vec<Vec<(u32, u64)>> {
    let mut out: Vec<Vec<(u32, u64)>> = Vec::new();
    let mut total = u64::MAX;
    let limit = MAX_MESSAGE as u64;
    for &(uid, size) in sizes {
        if size > limit || total.saturating_add(size) > limit {
            out.push(Vec::new());
            total = if size > limit { u64::MAX } else { 0 };
        }
        total = total.saturating_add(size);
        out.last_mut().expect("pushed").push((uid, size));
    }
    out
}

/// The slowest link a fetch waits for: 64 KiB a second.
const SLOWEST_LINK: u64 = 64 * 1024;

/// How long fetching `batch` may take: `timeout`, and a second for every
/// [`SLOWEST_LINK`] bytes of it (each message counted up to the limit), so
/// that 16 MiB on a slow link is not taken for a server that stopped answering.
fn fetch_time(timeout: Duration, batch: &[(u32, u64)]) -> Duration {
    let bytes: u64 = (batch.iter())
        .map(|(_, size)| (*size).min(MAX_MESSAGE as u64))
        .fold(0, u64::saturating_add)
        .min(MAX_MESSAGE as u64);
    timeout + Duration::from_secs(bytes / SLOWEST_LINK)
}

/// The messages of one batch, in UID order.
async fn bodies(
    session: &mut Session,
    url: &str,
    batch: &[(u32, u64)],
    timeout: Duration,
) -> Result<Vec<(u32, Message)>> {
    let uids: Vec<u32> = batch.iter().map(|(uid, _)| *uid).collect();
    // A message over the limit is the batch's only one: only its beginning.
    let oversize = batch.iter().any(|(_, size)| *size > MAX_MESSAGE as u64);
    let query = if oversize {
        format!("BODY.PEEK[]<0.{MAX_MESSAGE}>")
    } else {
        "BODY.PEEK[]".to_string()
    };
    let fetch = async {
        let stream = session.uid_fetch(uid_set(&uids), &query).await?;
        stream.try_collect::<Vec<_>>().await
    };
    let allowed = fetch_time(timeout, batch);
    let fetched = within(allowed, || format!("{url} did not answer FETCH"), fetch)
        .await?
        .map_err(|e| trouble(url, "UID FETCH BODY.PEEK[]", e))?;
    let mut out: Vec<(u32, Message)> = fetched
        .iter()
        .filter_map(|f| {
            let (uid, body) = (f.uid?, f.body()?);
            let mut raw = body.to_vec();
            raw.truncate(MAX_MESSAGE);
            Some((
                uid,
                Message {
                    truncated: oversize,
                    raw,
                    origin: format!("{url} UID {uid}"),
                },
            ))
        })
        .collect();
    out.sort_by_key(|(uid, _)| *uid);
    Ok(out)
}

/// Flags `uids` `\Seen`.
async fn seen(session: &mut Session, url: &str, uids: &[u32], timeout: Duration) -> Result<()> {
    for chunk in uids.chunks(UID_BATCH) {
        let store = async {
            let stream = session
                .uid_store(uid_set(chunk), "+FLAGS.SILENT (\\Seen)")
                .await?;
            stream.try_collect::<Vec<_>>().await
        };
        within(timeout, || format!("{url} did not answer STORE"), store)
            .await?
            .map_err(|e| trouble(url, "UID STORE +FLAGS (\\Seen)", e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

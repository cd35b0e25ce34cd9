//! serve's accept loop: every connection is HTTP/1.1 on hyper, with the
//! `[serve]` limits that keep one client from starving the rest.
//!
//! - A request's head must arrive within `header_timeout` of the connection
//!   opening or of the previous response (hyper's header read timeout), so
//!   a head sent a byte at a time is cut off; its body within `body_timeout`
//!   (408, in [`super::http::read_body`]).
//! - A connection kept alive after a response is closed once it has waited
//!   `idle_timeout` for the next request.
//! - At most `max_connections` are open at once, fewer when the process's
//!   descriptor limit is lower. When all are taken, the connection idle the
//!   longest (no request in progress) is closed for the new one, as nginx
//!   reuses its idle connections: a crowd of idle sockets never keeps a real
//!   request waiting, and an accept that fails (too many files) is retried.

use crate::config::Serve;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// Descriptors kept back from connections: the store, the log, the
/// listener, draft files being read, a relay connection for a confirmation.
const RESERVED_FDS: usize = 64;

/// How long open connections get to finish at shutdown.
const DRAIN: Duration = Duration::from_secs(10);

/// One open connection, as the accept loop sees it.
struct Slot {
    /// Requests in progress on it.
    busy: AtomicUsize,
    /// Requests answered on it.
    served: AtomicUsize,
    /// When it last became idle (milliseconds after `epoch`).
    idle_since: AtomicU64,
    /// Told to close now, to make room.
    evict: Notify,
}

/// The open connections.
struct Slots {
    epoch: Instant,
    next: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Slot>>>,
}

impl Slots {
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    fn add(&self) -> (u64, Arc<Slot>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot {
            busy: AtomicUsize::new(0),
            served: AtomicUsize::new(0),
            idle_since: AtomicU64::new(self.now()),
            evict: Notify::new(),
        });
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.insert(id, Arc::clone(&slot));
        (id, slot)
    }

    fn remove(&self, id: u64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.remove(&id);
    }

    /// Closes the connection idle the longest; false if every one is busy.
    fn evict_oldest_idle(&self) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let oldest = open
            .iter()
            .filter(|(_, s)| s.busy.load(Ordering::Acquire) == 0)
            .min_by_key(|(_, s)| s.idle_since.load(Ordering::Acquire))
            .map(|(id, _)| *id);
        match oldest.and_then(|id| open.remove(&id)) {
            Some(slot) => {
                slot.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// How many connections may be open at once: the configured number, and
/// never so many that the process runs out of descriptors.
pub fn connection_limit(settings: &Serve) -> usize {
    let by_fds = open_files_limit().map_or(usize::MAX, |n| n.saturating_sub(RESERVED_FDS).max(1));
    settings.max_connections.min(by_fds)
}

/// The soft limit on open files, from `/proc/self/limits` where there is one.
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Accepts connections on `listener` and serves `router` on each until
/// `shutdown` resolves, then lets open connections finish (up to 10 s).
pub async fn run(
    listener: TcpListener,
    router: Router,
    settings: &Serve,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let limit = connection_limit(settings);
    let permits = Arc::new(Semaphore::new(limit));
    let slots = Arc::new(Slots {
        epoch: Instant::now(),
        next: AtomicU64::new(0),
        open: Mutex::new(HashMap::new()),
    });
    let (stop, stopping) = watch::channel(false);
    let mut told_fds = false;
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors (EMFILE, ENFILE) or a connection reset
                // before it was accepted: make room, wait a moment, go on.
                if !told_fds {
                    eprintln!("gazette: warning: cannot accept a connection: {e}");
                    told_fds = true;
                }
                slots.evict_oldest_idle();
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                slots.evict_oldest_idle();
                match Arc::clone(&permits).acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => break,
                }
            }
        };
        let (id, slot) = slots.add();
        let (router, slots, stopping) = (router.clone(), Arc::clone(&slots), stopping.clone());
        let timeouts = (settings.header_timeout, settings.idle_timeout);
        tokio::spawn(async move {
            connection(stream, peer, router, &slots, slot, timeouts, stopping).await;
            slots.remove(id);
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every permit back: every connection has closed.
    let all = u32::try_from(limit).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN, permits.acquire_many(all)).await;
}

/// Serves one connection until it closes, times out, is evicted or the
/// server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    slots: &Arc<Slots>,
    slot: Arc<Slot>,
    (header_timeout, idle_timeout): (Duration, Duration),
    mut stopping: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = {
        let (slot, slots) = (Arc::clone(&slot), Arc::clone(slots));
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            slot.busy.fetch_add(1, Ordering::AcqRel);
            let (router, slot, slots) = (router.clone(), Arc::clone(&slot), Arc::clone(&slots));
            async move {
                let response = router.oneshot(request.map(axum::body::Body::new)).await;
                slot.idle_since.store(slots.now(), Ordering::Release);
                slot.served.fetch_add(1, Ordering::AcqRel);
                slot.busy.fetch_sub(1, Ordering::AcqRel);
                response
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            () = slot.evict.notified() => return,
            () = idle_past(slots, &slot, idle_timeout), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
            _ = stopping.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// Resolves once `slot` has served a request and then been idle for `idle`.
/// Before its first request, the header timeout bounds the wait instead.
async fn idle_past(slots: &Slots, slot: &Slot, idle: Duration) {
    let idle_ms = idle.as_millis() as u64;
    loop {
        let since = slot.idle_since.load(Ordering::Acquire);
        let now = slots.now();
        let served = slot.served.load(Ordering::Acquire) > 0;
        if served && slot.busy.load(Ordering::Acquire) == 0 {
            if now >= since + idle_ms {
                return;
            }
            tokio::time::sleep(Duration::from_millis(since + idle_ms - now)).await;
        } else {
            tokio::time::sleep(idle).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_limit_leaves_room_below_the_descriptor_limit() {
        let mut settings = Serve::defaults("N");
        let room = open_files_limit().map_or(usize::MAX, |n| n.saturating_sub(RESERVED_FDS).max(1));
        assert_eq!(connection_limit(&settings), room.min(512));
        settings.max_connections = 100_000;
        assert_eq!(connection_limit(&settings), room.min(100_000));
        assert!(connection_limit(&settings) < open_files_limit().unwrap_or(usize::MAX));
        settings.max_connections = 3;
        assert_eq!(connection_limit(&settings), 3);
    }
}

//! serve cannot be starved: a request's head and body must come within their
//! timeouts, a kept-alive connection may idle only so long, and when the
//! connection limit is reached the connection idle the longest makes room,
//! so idle sockets from one client never block everyone else's requests.

use crate::support::http::RawConnection;
use crate::support::{Newsletter, shared, wait_for};
use std::time::{Duration, Instant};

const TIMEOUTS: &str = "[serve]\nheader_timeout = 2\nbody_timeout = 2\nidle_timeout = 1\n";

#[test]
fn a_thousand_idle_sockets_at_a_1024_descriptor_limit_starve_no_one() {
    let _machine = shared();
    let site = Newsletter::new(TIMEOUTS);
    let server = site.serve_through(&["prlimit", "--nofile=1024:1024", "--"]);
    let addr = server.addr.clone();

    // One client opens 1,020 sockets and sends nothing; another sends half a
    // request head, a byte at a time.
    let mut idle: Vec<RawConnection> = (0..1020)
        .filter_map(|_| RawConnection::open(&addr, Duration::from_secs(2)))
        .collect();
    assert!(idle.len() >= 1000, "only {} connected", idle.len());
    let mut slow = RawConnection::open(&addr, Duration::from_secs(2)).unwrap();
    assert!(slow.send(b"GET /archive HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
    std::thread::sleep(Duration::from_millis(300));

    // A normal request is answered at once.
    let started = Instant::now();
    let mut client = RawConnection::open(&addr, Duration::from_secs(5)).expect("accepted");
    assert!(client.send(b"GET /archive HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    let head = client.response_head(Duration::from_secs(5));
    let took = started.elapsed();
    let head = head.unwrap_or_else(|| panic!("no answer in {took:?}: {}", server.log()));
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert!(took < Duration::from_secs(2), "answered after {took:?}");

    // The half-sent head is cut off at header_timeout, trickle as it may.
    let trickle = Instant::now();
    while trickle.elapsed() < Duration::from_secs(4) && slow.send(b"X") {
        if slow.is_closed(Duration::from_millis(250)) {
            break;
        }
    }
    assert!(
        slow.is_closed(Duration::from_millis(100)),
        "the slow head is still open"
    );
    assert!(trickle.elapsed() < Duration::from_secs(4));

    // And every idle socket is closed soon after, none left hanging.
    wait_for(
        "every idle socket to be closed",
        Duration::from_secs(20),
        || {
            idle.retain_mut(|c| !c.is_closed(Duration::from_millis(1)));
            idle.is_empty()
        },
    );
    // The server is still there.
    assert_eq!(server.get("/archive").status, 200);
    assert!(
        !server.log().contains("Too many open files"),
        "{}",
        server.log()
    );
}

#[test]
fn a_slow_body_gets_408_and_a_kept_alive_connection_may_idle_only_so_long() {
    let _machine = shared();
    let site = Newsletter::new(TIMEOUTS);
    let server = site.serve();

    let mut slow_body = RawConnection::open(&server.addr, Duration::from_secs(2)).unwrap();
    let started = Instant::now();
    assert!(slow_body.send(
        b"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail="
    ));
    let head = slow_body
        .response_head(Duration::from_secs(6))
        .expect("an answer");
    assert!(head.starts_with("HTTP/1.1 408 "), "{head}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(slow_body.is_closed(Duration::from_secs(2)));
    assert_eq!(site.store().counts().unwrap().total(), 0);

    // Kept alive after a response, then idle: closed after idle_timeout.
    let mut kept = RawConnection::open(&server.addr, Duration::from_secs(2)).unwrap();
    assert!(kept.send(b"GET /archive HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    let head = kept
        .response_head(Duration::from_secs(5))
        .expect("an answer");
    assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("connection: close"),
        "{head}"
    );
    let idle = Instant::now();
    assert!(kept.is_closed(Duration::from_secs(4)), "still open");
    let after = idle.elapsed();
    assert!(
        after >= Duration::from_millis(800) && after < Duration::from_millis(2500),
        "{after:?}"
    );
}

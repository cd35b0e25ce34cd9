//! The latency proxy of `benches/rtt.sh`: listens on a free port of
//! 127.0.0.1, prints `PORT <n>`, and forwards each connection to
//! 127.0.0.1:TARGET, delaying every chunk read, in each direction, by
//! ONE_WAY_MS before writing it on, in order (a round trip of twice that).
//!
//!     delay_proxy TARGET ONE_WAY_MS
//!
//! Without those arguments (as under `cargo test --benches` or `cargo bench`)
//! it says how to use it and exits.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

// Threads and the OS's own sleep rather than an async runtime's timer, whose
// millisecond ticks would add up to a millisecond or two to each one-way delay.
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [target, delay] => target.parse::<u16>().ok().zip(delay.parse::<u64>().ok()),
        _ => None,
    };
    let Some((target, delay)) = parsed else {
        eprintln!(
            "usage: delay_proxy TARGET_PORT ONE_WAY_MS (the latency proxy of benches/rtt.sh)"
        );
        return;
    };
    let delay = Duration::from_millis(delay);
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    println!("PORT {port}");
    std::io::stdout().flush().expect("stdout");
    for client in listener.incoming() {
        let Ok(client) = client else { continue };
        thread::spawn(move || {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                return;
            };
            let _ = (client.set_nodelay(true), server.set_nodelay(true));
            let (client2, server2) = (client.try_clone(), server.try_clone());
            let (Ok(client2), Ok(server2)) = (client2, server2) else {
                return;
            };
            let up = thread::spawn(move || pump(client, server, delay));
            pump(server2, client2, delay);
            let _ = up.join();
        });
    }
}

/// Copies `from` to `to`, each chunk `delay` after it was read, in order;
/// the end of the stream too.
fn pump(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (chunks, due) = mpsc::channel::<(Instant, Vec<u8>)>();
    let writer = thread::spawn(move || {
        for (at, bytes) in due {
            let now = Instant::now();
            if at > now {
                thread::sleep(at - now);
            }
            if to.write_all(&bytes).is_err() {
                return;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf) {
        if chunks
            .send((Instant::now() + delay, buf[..n].to_vec()))
            .is_err()
        {
            break;
        }
    }
    drop(chunks);
    let _ = writer.join();
}

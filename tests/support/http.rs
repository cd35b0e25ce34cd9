//! A gazette HTTP server (`serve`, `preview`) and the one HTTP client, ureq:
//! plain HTTP/1.1 to 127.0.0.1, one connection per request, no redirect
//! followed, no proxy, and every status returned as a response.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command as Process, Stdio};
use std::time::Duration;

/// The form encoding of a sign-up.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// A running `gazette serve` or `gazette preview`, killed when dropped.
pub struct Served {
    child: Child,
    /// Kept open so that the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// The first line it printed.
    pub url: String,
    log: PathBuf,
    agent: ureq::Agent,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Such as `HTTP/1.1`.
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Served {
    /// Starts `cmd`, its standard error logged to a file in `dir`, and reads
    /// the URL it prints first.
    pub fn start(cmd: &mut Process, dir: &Path) -> Served {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let log = dir.join(format!("serve-{}.log", N.fetch_add(1, Ordering::Relaxed)));
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_idle_connections(0)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .new_agent();
        let mut served = Served {
            child,
            _stdout: stdout,
            addr: String::new(),
            url: first.trim_end().to_string(),
            log,
            agent,
        };
        let Some(addr) = first
            .trim()
            .strip_prefix("http://")
            .and_then(|r| r.strip_suffix('/'))
        else {
            panic!("the server printed {first:?}; its log: {}", served.log());
        };
        assert!(addr.starts_with("127.0.0.1:"), "{addr}");
        served.addr = addr.to_string();
        served
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    pub fn post(&self, path: &str, content_type: &str, body: &str) -> Response {
        self.request(
            "POST",
            path,
            &[("Content-Type", content_type)],
            body.as_bytes(),
        )
    }

    /// A sign-up from `ip` (as the proxy header says).
    pub fn sign_up(&self, email: &str, ip: &str) -> Response {
        let body = format!("email={}&name=", form_encode(email));
        self.request(
            "POST",
            "/subscribe",
            &[("Content-Type", FORM), ("X-Forwarded-For", ip)],
            body.as_bytes(),
        )
    }

    /// One request on its own connection.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let answer = if method == "GET" {
            assert!(body.is_empty(), "a GET with a body");
            self.agent.run(request.body(()).unwrap())
        } else {
            self.agent.run(request.body(body).unwrap())
        };
        let mut answer = answer.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let headers = answer
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
            .collect();
        Response {
            status: answer.status().as_u16(),
            version: format!("{:?}", answer.version()),
            headers,
            body: answer.body_mut().read_to_string().unwrap(),
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `s` as a form field value.
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The token part of a `/unsubscribe/TOKEN` or `/confirm/TOKEN` path.
pub fn token_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap()
}

/// A raw connection to a server, for what an HTTP client library will not
/// do: stay idle, send half a request, send a body slowly.
pub struct RawConnection {
    stream: std::net::TcpStream,
}

impl RawConnection {
    /// Connects to `addr`, or `None` if it is not accepted within `limit`.
    pub fn open(addr: &str, limit: Duration) -> Option<RawConnection> {
        let addr: std::net::SocketAddr = addr.parse().unwrap();
        let stream = std::net::TcpStream::connect_timeout(&addr, limit).ok()?;
        Some(RawConnection { stream })
    }

    /// Writes `bytes`; false if the connection is gone.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        use std::io::Write;
        self.stream.write_all(bytes).is_ok() && self.stream.flush().is_ok()
    }

    /// Whether the server has closed the connection: a read gives end of
    /// file or a reset within `wait` (anything it sent first is skipped).
    pub fn is_closed(&mut self, wait: Duration) -> bool {
        use std::io::Read;
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) => {
                    return !matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    );
                }
            }
        }
    }

    /// Reads one response's status line and headers (and what came of its
    /// body with them), waiting at most `wait`; `None` if none came.
    pub fn response_head(&mut self, wait: Duration) -> Option<String> {
        use std::io::Read;
        self.stream.set_read_timeout(Some(wait)).unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            match self.stream.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        Some(String::from_utf8_lossy(&got).into_owned())
    }
}

//! A web site for `gazette add` to fetch: canned pages on 127.0.0.1, one
//! thread per connection, `Connection: close`, and a record of each request.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One canned answer.
#[derive(Clone)]
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How long to wait before answering.
    pub delay: Duration,
}

impl Page {
    pub fn html(body: &str) -> Page {
        Page::typed("text/html; charset=utf-8", body.as_bytes().to_vec())
    }

    pub fn typed(media_type: &str, body: Vec<u8>) -> Page {
        Page {
            status: 200,
            headers: vec![("Content-Type".into(), media_type.into())],
            body,
            delay: Duration::ZERO,
        }
    }

    pub fn redirect(to: &str) -> Page {
        Page {
            status: 301,
            headers: vec![("Location".into(), to.into())],
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn status(status: u16) -> Page {
        Page {
            status,
            ..Page::html("no")
        }
    }

    pub fn after(mut self, delay: Duration) -> Page {
        self.delay = delay;
        self
    }
}

/// The site: `base` is `http://127.0.0.1:PORT`; `requests` the request heads seen.
pub struct Site {
    pub base: String,
    pub requests: Arc<Mutex<Vec<String>>>,
}

impl Site {
    /// Serves `pages` by path (the query string is ignored) until the test ends.
    pub fn start(pages: Vec<(&str, Page)>) -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let pages: Arc<HashMap<String, Page>> = Arc::new(
            pages
                .into_iter()
                .map(|(p, page)| (p.to_owned(), page))
                .collect(),
        );
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                let (pages, seen) = (pages.clone(), seen.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut head = String::new();
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                        head.push_str(&line);
                    }
                    seen.lock().unwrap().push(head.clone());
                    let target = head.split(' ').nth(1).unwrap_or("/");
                    let path = target.split('?').next().unwrap_or("/");
                    let page = pages
                        .get(path)
                        .cloned()
                        .unwrap_or_else(|| Page::status(404));
                    std::thread::sleep(page.delay);
                    let mut out = format!(
                        "HTTP/1.1 {} X\r\nConnection: close\r\nContent-Length: {}\r\n",
                        page.status,
                        page.body.len()
                    );
                    for (k, v) in &page.headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    let _ = stream.write_all(out.as_bytes());
                    let _ = stream.write_all(&page.body);
                });
            }
        });
        Site { base, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

//! A forward proxy on 127.0.0.1 for the tests, recording what goes through it. It tunnels
//! `CONNECT host:port` (what ureq sends for http and https targets alike) to 127.0.0.1:port for
//! the host names it is given, so a made-up name such as `authority.test` is reachable only
//! through it and a client cannot bypass it unnoticed. It can require Basic credentials
//! (`Proxy-Authorization`), answering 407 without them.

use super::base64;
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{Shutdown, TcpListener, TcpStream},
    sync::{Arc, Mutex},
    thread,
};

/// One CONNECT the proxy received.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `host:port` as the client asked for it.
    pub target: String,
    /// The `Proxy-Authorization` header, if any.
    pub proxy_authorization: Option<String>,
    /// Whether the tunnel was opened (credentials right, host known).
    pub tunnelled: bool,
    /// The first line of each plain-http request sent through the tunnel, e.g. `POST /… HTTP/1.1`.
    pub requests: Arc<Mutex<Vec<String>>>,
}

pub struct ForwardProxy {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl ForwardProxy {
    /// Tunnels to 127.0.0.1 for `hosts`; with `credentials`, only for clients that send them.
    pub fn start(hosts: &[&str], credentials: Option<(&str, &str)>) -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let hosts: Vec<String> = hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        let expected = credentials.map(|(user, password)| format!("Basic {}", base64(format!("{user}:{password}"))));
        let record = seen.clone();
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (hosts, expected, record) = (hosts.clone(), expected.clone(), record.clone());
                thread::spawn(move || serve(client, &hosts, expected.as_deref(), &record));
            }
        });
        ForwardProxy { url, seen }
    }

    /// Everything received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The plain-http request lines that went through, in order.
    pub fn requests(&self) -> Vec<String> {
        self.seen()
            .iter()
            .flat_map(|seen| seen.requests.lock().unwrap().clone())
            .collect()
    }

    /// The proxy URL with credentials in it.
    pub fn url_with(&self, user: &str, password: &str) -> String {
        self.url.replace("http://", &format!("http://{user}:{password}@"))
    }
}

fn serve(client: TcpStream, hosts: &[String], expected: Option<&str>, record: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut proxy_authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("proxy-authorization") {
                proxy_authorization = Some(value.trim().to_owned());
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("").to_owned());
    let host = target.rsplit_once(':').map_or(target.as_str(), |(host, _)| host);
    let port = target.rsplit_once(':').and_then(|(_, port)| port.parse::<u16>().ok());
    let allowed = expected.is_none_or(|expected| proxy_authorization.as_deref() == Some(expected));
    let known = method == "CONNECT" && hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) && port.is_some();
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    record.lock().unwrap().push(Seen {
        target: target.clone(),
        proxy_authorization,
        tunnelled: allowed && known,
        requests: requests.clone(),
    });
    let mut client_out = client;
    let answer = |stream: &mut TcpStream, head: &str| {
        let _ = stream.write_all(format!("{head}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes());
    };
    if !allowed {
        answer(
            &mut client_out,
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"",
        );
        return;
    }
    if !known {
        answer(&mut client_out, "HTTP/1.1 502 Bad Gateway");
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", port.unwrap())) else {
        answer(&mut client_out, "HTTP/1.1 502 Bad Gateway");
        return;
    };
    if client_out
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    // Upstream to client on a thread of its own; client to upstream here, noting request lines.
    let (mut upstream_in, mut client_back) = (upstream.try_clone().unwrap(), client_out.try_clone().unwrap());
    let back = thread::spawn(move || {
        let _ = std::io::copy(&mut upstream_in, &mut client_back);
        let _ = client_back.shutdown(Shutdown::Write);
    });
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let read = match reader.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let data = &chunk[..read];
        if [&b"GET "[..], b"POST "].iter().any(|method| data.starts_with(method)) {
            let line = data.split(|&b| b == b'\r').next().unwrap_or(data);
            requests
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(line).into_owned());
        }
        if upstream.write_all(data).is_err() {
            break;
        }
    }
    let _ = upstream.shutdown(Shutdown::Write);
    let _ = back.join();
}

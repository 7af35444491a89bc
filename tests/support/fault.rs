//! A fault server: an HTTP server on 127.0.0.1 that answers token requests from a script, for
//! the faults the real authority cannot be told to produce (5xx, Retry-After, slow, truncated,
//! oversized or malformed answers, redirects). It serves a discovery document of its own at
//! `/.well-known/openid-configuration`, which a test may replace.

use std::{
    collections::VecDeque,
    io::{BufRead, BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

/// One scripted answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A complete response.
    Status {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// Waits, then gives the inner reply.
    Delayed(Duration, Box<Reply>),
    /// Headers at once, then the body one byte at a time over `over`.
    SlowBody { body: String, over: Duration },
    /// Announces `announced` body bytes, sends `sent` of them, closes.
    Truncated { announced: usize, sent: usize },
    /// A 200 with a body of `bytes` bytes.
    Huge { bytes: usize },
    /// A 400 `invalid_request` whose description repeats the request's body and Authorization
    /// header, as a careless authority might.
    Echo,
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Reply {
        Reply::Status {
            status,
            headers: vec![("Content-Type", "application/json".into())],
            body: body.into(),
        }
    }

    /// A good token response with this `expires_in` JSON value.
    pub fn token(expires_in: &str) -> Reply {
        Reply::json(
            200,
            &format!(
                r#"{{"access_token":"tok.{}","token_type":"Bearer","expires_in":{expires_in}}}"#,
                unique()
            ),
        )
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Reply {
        if let Reply::Status { headers, .. } = &mut self {
            headers.push((name, value.into()));
        }
        self
    }
}

fn unique() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

pub struct FaultServer {
    pub url: String,
    script: Arc<Mutex<VecDeque<Reply>>>,
    discovery: Arc<Mutex<Discovery>>,
    counts: Arc<Counts>,
    stopped: Arc<AtomicBool>,
}

/// The discovery document served (None: one naming this server), and how long each answer
/// waits.
#[derive(Default)]
struct Discovery {
    document: Option<String>,
    delay: Duration,
}

/// What reached the server: token requests (with when they arrived) and discovery requests.
#[derive(Default)]
struct Counts {
    token_requests: AtomicUsize,
    token_request_times: Mutex<Vec<Instant>>,
    discovery_requests: AtomicUsize,
}

impl FaultServer {
    /// Serves `script` in order; the last reply repeats.
    pub fn start(script: Vec<Reply>) -> FaultServer {
        FaultServer::start_on(0, script)
    }

    /// The same on `port` (0: an ephemeral one), e.g. on a port a client already tried.
    pub fn start_on(port: u16, script: Vec<Reply>) -> FaultServer {
        assert!(!script.is_empty());
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = FaultServer {
            url,
            script: Arc::new(Mutex::new(script.into())),
            discovery: Arc::default(),
            counts: Arc::default(),
            stopped: Arc::default(),
        };
        let (script, discovery, counts, stopped, url) = (
            server.script.clone(),
            server.discovery.clone(),
            server.counts.clone(),
            server.stopped.clone(),
            server.url.clone(),
        );
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (script, discovery, counts, url) = (script.clone(), discovery.clone(), counts.clone(), url.clone());
                thread::spawn(move || serve(stream, &script, &discovery, &counts, &url));
            }
        });
        server
    }

    /// Replaces the discovery document.
    pub fn set_discovery(&self, document: &str) {
        self.discovery.lock().unwrap().document = Some(document.into());
    }

    /// Makes each discovery answer wait `delay` (so concurrent lookups overlap).
    pub fn set_discovery_delay(&self, delay: Duration) {
        self.discovery.lock().unwrap().delay = delay;
    }

    pub fn token_endpoint(&self) -> String {
        format!("{}/connect/token", self.url)
    }

    pub fn token_requests(&self) -> usize {
        self.counts.token_requests.load(Ordering::SeqCst)
    }

    /// When each token request arrived, in order.
    pub fn token_request_times(&self) -> Vec<Instant> {
        self.counts.token_request_times.lock().unwrap().clone()
    }

    pub fn discovery_requests(&self) -> usize {
        self.counts.discovery_requests.load(Ordering::SeqCst)
    }

    /// Stops accepting connections (the port then refuses them).
    pub fn stop(&self) {
        if !self.stopped.swap(true, Ordering::SeqCst) {
            let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(stream: TcpStream, script: &Mutex<VecDeque<Reply>>, discovery: &Mutex<Discovery>, counts: &Counts, url: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut content_length = 0;
    let mut authorization = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("authorization") {
                authorization = value.trim().to_owned();
            }
        }
    }
    let mut body = vec![0; content_length];
    let _ = reader.read_exact(&mut body);

    let reply = if request_line.contains("/.well-known/openid-configuration") {
        counts.discovery_requests.fetch_add(1, Ordering::SeqCst);
        let (document, delay) = {
            let discovery = discovery.lock().unwrap();
            let document = discovery
                .document
                .clone()
                .unwrap_or_else(|| format!(r#"{{"issuer":"{url}","token_endpoint":"{url}/connect/token"}}"#));
            (document, discovery.delay)
        };
        thread::sleep(delay);
        Reply::json(200, &document)
    } else {
        counts.token_request_times.lock().unwrap().push(Instant::now());
        counts.token_requests.fetch_add(1, Ordering::SeqCst);
        let mut script = script.lock().unwrap();
        let next = if script.len() > 1 {
            script.pop_front().unwrap()
        } else {
            script[0].clone()
        };
        match next {
            Reply::Echo => {
                let echoed = format!("got {} with {authorization}", String::from_utf8_lossy(&body));
                let document = serde_json::json!({ "error": "invalid_request", "error_description": echoed });
                Reply::json(400, &document.to_string())
            }
            reply => reply,
        }
    };
    respond(stream, reply);
}

fn respond(mut stream: TcpStream, reply: Reply) {
    // Write errors mean the client gave up (a timeout under test): nothing to do.
    let _ = match reply {
        Reply::Status { status, headers, body } => {
            let mut head = format!(
                "HTTP/1.1 {status} Fault\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            stream.write_all(format!("{head}\r\n{body}").as_bytes())
        }
        Reply::Delayed(wait, inner) => {
            thread::sleep(wait);
            return respond(stream, *inner);
        }
        Reply::SlowBody { body, over } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).and_then(|_| {
                let pause = over / body.len().max(1) as u32;
                for byte in body.bytes() {
                    thread::sleep(pause);
                    stream.write_all(&[byte])?;
                }
                Ok(())
            })
        }
        Reply::Truncated { announced, sent } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {announced}\r\nConnection: close\r\n\r\n"
            );
            stream
                .write_all(head.as_bytes())
                .and_then(|_| stream.write_all(&b"{\"access_token\":\"abc"[..sent.min(20)]))
        }
        Reply::Echo => unreachable!("answered in serve"),
        Reply::Huge { bytes } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {bytes}\r\nConnection: close\r\n\r\n"
            );
            stream.write_all(head.as_bytes()).and_then(|_| {
                let chunk = vec![b' '; 64 * 1024];
                (0..bytes / chunk.len()).try_for_each(|_| stream.write_all(&chunk))
            })
        }
    };
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

//! Starts the dev authority (tests/authority, npm oidc-provider) on an ephemeral 127.0.0.1 port
//! for one test, reads its request counter, and stops it when dropped.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

pub mod fault;
pub mod pki;
pub mod proxy;
pub mod redis_server;
pub mod stress;

use serde_json::Value;
use vidiflow_auth::Options;

pub const POST_CLIENT: (&str, &str) = ("vf-post", "post-secret-0123456789");
pub const BASIC_CLIENT: (&str, &str) = ("vf-basic", "a+b/c=d%e&f:g");
pub const SECOND_CLIENT: (&str, &str) = ("vf-post-2", "second-secret-abcdef");
/// Registered for Basic, with an id that needs form-encoding (RFC 6749 §2.3.1).
pub const RESERVED_CLIENT: (&str, &str) = ("vf:basic id+/%&=", "reserved-secret-7a6b");

/// Ports the authorities of this test binary have listened on.
static USED_PORTS: std::sync::Mutex<std::collections::BTreeSet<u64>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

pub struct Authority {
    child: Child,
    /// `http://127.0.0.1:PORT/Integrations/Authentication/core`
    pub url: String,
    stats_url: String,
}

impl Authority {
    pub fn start() -> Authority {
        Authority::start_with(&[])
    }

    /// Starts one with extra environment, e.g. `[("VF_TEST_TOKEN_TTL", "5")]`.
    pub fn start_with(env: &[(&str, &str)]) -> Authority {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/authority");
        assert!(
            dir.join("node_modules/oidc-provider").exists(),
            "the dev authority is not installed: run `npm ci --prefix tests/authority` (make test does)"
        );
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .env("VF_TEST_EXIT_ON_STDIN_CLOSE", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node is installed");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the authority prints its address");
        let ready: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("the authority did not start: {line:?}"));
        // An ephemeral port an earlier authority of this test binary had gives the same
        // authority URL, so the same process-wide cache key: its tokens would still be cached
        // here. Take a port not used before (unless the test chose the port).
        let port = ready["port"].as_u64().expect("port");
        let fixed_port = env.iter().any(|(name, _)| *name == "VF_TEST_PORT");
        if !fixed_port && !USED_PORTS.lock().unwrap_or_else(|e| e.into_inner()).insert(port) {
            let _ = child.kill();
            let _ = child.wait();
            return Authority::start_with(env);
        }
        let stats_url = ready["stats"].as_str().expect("stats").to_owned();
        // Under a made-up host name (VF_TEST_HOST_NAME=authority.test, reached through a test
        // proxy), the test itself reads the counters directly on loopback.
        let stats_url = match stats_url.strip_prefix("http://") {
            Some(_) => format!("http://127.0.0.1:{}/__test/stats", ready["port"]),
            None => stats_url,
        };
        Authority {
            child,
            url: ready["authority"].as_str().expect("authority").to_owned(),
            stats_url,
        }
    }

    /// Options for `client` = (id, secret) with scope `api1` against this authority.
    pub fn options(&self, (id, secret): (&str, &str)) -> Options {
        Options::new()
            .with("authority", &self.url)
            .and_then(|o| o.with("client_id", id))
            .and_then(|o| o.with("client_secret", secret))
            .and_then(|o| o.with("scope", "api1"))
            .expect("valid options")
    }

    pub fn stats(&self) -> Value {
        let agent: ureq::Agent = ureq::Agent::config_builder().proxy(None).build().into();
        let mut response = agent.get(&self.stats_url).call().expect("stats endpoint answers");
        let text = response.body_mut().read_to_string().expect("stats body");
        serde_json::from_str(&text).expect("stats are JSON")
    }

    pub fn token_requests(&self) -> u64 {
        self.stats()["token_requests"].as_u64().expect("token_requests")
    }

    /// Token requests per client id (as the request named it).
    pub fn token_requests_by_client(&self) -> Value {
        self.stats()["token_requests_by_client"].clone()
    }

    pub fn discovery_requests(&self) -> u64 {
        self.stats()["discovery_requests"].as_u64().expect("discovery_requests")
    }

    /// Every request that reached the token endpoint: method, path, headers, raw body.
    pub fn token_request_log(&self) -> Vec<Value> {
        self.stats()["requests"].as_array().expect("requests").clone()
    }

    /// Stops the authority now (the port then refuses connections).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Authority {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Asserts that `text` contains none of the test secrets.
pub fn assert_no_secret(text: &str) {
    for (_, secret) in [POST_CLIENT, BASIC_CLIENT, SECOND_CLIENT, RESERVED_CLIENT] {
        assert!(!text.contains(secret), "a secret leaked into: {text}");
    }
    assert!(!text.contains("wrong-secret"), "a secret leaked into: {text}");
}

/// Runs `body` in a forked child and returns its exit code, or None if it hung.
pub fn in_child(body: impl FnOnce() -> bool) -> Option<i32> {
    // SAFETY: the child only runs `body` (library calls) and then _exit, never returning into
    // the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(false);
        // SAFETY: ends the child without running the parent's atexit handlers or destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut status = 0;
    while Instant::now() < deadline {
        // SAFETY: waits for our own child.
        if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == pid {
            return Some(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                -1
            });
        }
        thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: our own child, which hung.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    None
}

/// Standard Base64 with padding (RFC 4648 §4), written here independently of the library's own,
/// for the credentials tests expect on the wire.
pub fn base64(bytes: impl AsRef<[u8]>) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.as_ref().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

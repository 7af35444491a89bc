//! The fleet-level cache: tokens shared by every host through sealed entries in a real
//! `redis-server` (started on a free loopback port per test), against the dev authority, and
//! the fault server for a slow or failing token endpoint. A "host" is a process with its own
//! host-level directory (or none): `vf-token` runs, or this test binary run again as a
//! four-thread child (`fleet_child_process`).

mod support;

use std::{
    ffi::c_void,
    fs,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{Arc, Barrier},
    thread,
    time::{Duration, Instant},
};

use support::{
    Authority, POST_CLIENT,
    fault::{FaultServer, Reply},
    redis_server::RedisServer,
};
use vidiflow_auth::{Client, LogLevel, Options};

/// A fresh directory for one test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("vf-fleet-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// `vf-token -v` for POST_CLIENT against `authority` (discovery) with Redis at `redis_url`
/// and no host level: every run is a new host.
fn vf_token(authority: &str, redis_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vf-token"));
    command
        .env_clear()
        .env("VF_AUTHORITY", authority)
        .env("VF_CLIENT_ID", POST_CLIENT.0)
        .env("VF_CLIENT_SECRET", POST_CLIENT.1)
        .env("VF_SCOPE", "api1")
        .env("VF_CACHE_DIR", "none")
        .env("VF_REDIS_URL", redis_url)
        .env("VF_TIMEOUT_MS", "20000")
        .arg("-v")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `vf-token -v` against a fault server's token endpoint (no discovery).
fn vf_token_at(server: &FaultServer, redis_url: &str, timeout_ms: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vf-token"));
    command
        .env_clear()
        .env("VF_TOKEN_ENDPOINT", server.token_endpoint())
        .env("VF_CLIENT_ID", "vf-post")
        .env("VF_CLIENT_SECRET", "fault-secret")
        .env("VF_CACHE_DIR", "none")
        .env("VF_REDIS_URL", redis_url)
        .env("VF_TIMEOUT_MS", timeout_ms)
        .arg("-v")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs it; returns (exit code, token printed, standard error).
fn run(command: &mut Command) -> (i32, String, String) {
    finish(command.output().expect("vf-token runs"))
}

fn finish(output: Output) -> (i32, String, String) {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    support::assert_no_secret(&stderr);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        stderr,
    )
}

const FROM_REDIS: &str = "from the fleet-level cache";
const REDIS_TROUBLE: &str = "fleet-level token cache (";

fn count(text: &str, what: &str) -> usize {
    text.lines().filter(|line| line.contains(what)).count()
}

/// This test binary as a child "host": four threads of one client, started when `go` exists.
fn child_process(authority: &Authority, redis: &RedisServer, host_dir: &Path, go: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "fleet_child_process",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("VF_FLEET_CHILD_GO", go)
        .env("VF_AUTHORITY", &authority.url)
        .env("VF_CLIENT_ID", POST_CLIENT.0)
        .env("VF_CLIENT_SECRET", POST_CLIENT.1)
        .env("VF_SCOPE", "api1")
        .env("VF_CACHE_DIR", host_dir)
        .env("VF_REDIS_URL", redis.url())
        .env("VF_TIMEOUT_MS", "20000")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

extern "C" fn log_to_stderr(_: *mut c_void, level: LogLevel, message: *const std::ffi::c_char) {
    // SAFETY: the library passes a NUL-terminated message valid during the call.
    let message = unsafe { std::ffi::CStr::from_ptr(message) };
    eprintln!("child log {level:?}: {}", message.to_string_lossy());
}

/// Not a test: the body of a child host (see `child_process`). Builds its client from the
/// `VF_*` variables, says it is ready, waits for the go file, then four threads ask at once.
#[test]
#[ignore = "run by the fleet tests as a child process"]
fn fleet_child_process() {
    let go = PathBuf::from(std::env::var_os("VF_FLEET_CHILD_GO").expect("run by a fleet test"));
    vidiflow_auth::set_log_callback(Some(log_to_stderr), std::ptr::null_mut());
    let mut options = Options::new();
    options.load_env().unwrap();
    let client = Arc::new(Client::new(&options).unwrap());
    fs::write(go.with_extension(format!("ready.{}", std::process::id())), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !go.exists() {
        assert!(Instant::now() < deadline, "never told to go");
        thread::sleep(Duration::from_millis(1));
    }
    let barrier = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (client, barrier) = (client.clone(), barrier.clone());
            thread::spawn(move || {
                barrier.wait();
                client.token().map(|token| token.access_token().to_owned())
            })
        })
        .collect();
    for thread in threads {
        match thread.join().unwrap() {
            Ok(token) => println!("fleet-child token={token}"),
            Err(error) => println!("fleet-child error={error}"),
        }
    }
    let stats = client.stats();
    println!(
        "fleet-child stats requests={} redis_hits={} redis_misses={} redis_errors={}",
        stats.requests, stats.redis_hits, stats.redis_misses, stats.redis_errors
    );
}

/// Starts `hosts` child hosts together; returns each one's standard output and error.
fn herd(authority: &Authority, redis: &RedisServer, scratch: &Scratch, hosts: usize) -> Vec<(String, String)> {
    let go = scratch.0.join("go");
    let children: Vec<Child> = (0..hosts)
        .map(|host| {
            child_process(authority, redis, &scratch.0.join(format!("host{host}")), &go)
                .spawn()
                .unwrap()
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let ready = || {
        fs::read_dir(&scratch.0)
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("go.ready.")
            })
            .count()
    };
    while ready() < hosts {
        assert!(Instant::now() < deadline, "the child hosts did not get ready");
        thread::sleep(Duration::from_millis(5));
    }
    fs::write(&go, b"").unwrap();
    children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            assert!(output.status.success(), "{stdout}\n{stderr}");
            support::assert_no_secret(&stderr);
            (stdout, stderr)
        })
        .collect()
}

/// The value of `name=` in a child's stats line.
fn stat(stdout: &str, name: &str) -> u64 {
    let line = stdout
        .lines()
        .find_map(|line| line.split_once("fleet-child stats").map(|(_, stats)| stats))
        .expect("a stats line");
    line.split_whitespace()
        .find_map(|field| field.strip_prefix(&format!("{name}=")))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {line}"))
}

#[test]
fn eight_hosts_of_four_threads_started_together_send_one_token_request() {
    let authority = Authority::start();
    let redis = RedisServer::start("herd", &[]);
    let scratch = Scratch::new("herd");
    let outputs = herd(&authority, &redis, &scratch, 8);
    let tokens: Vec<&str> = outputs
        .iter()
        .flat_map(|(stdout, _)| {
            stdout
                .lines()
                .filter_map(|line| line.split_once("fleet-child token=").map(|(_, token)| token))
        })
        .collect();
    assert_eq!(tokens.len(), 32, "every call got a token");
    assert!(
        tokens.iter().all(|token| *token == tokens[0]),
        "one token for the fleet"
    );
    assert_eq!(authority.token_requests(), 1);
    let redis_hits: u64 = outputs.iter().map(|(stdout, _)| stat(stdout, "redis_hits")).sum();
    let requests: u64 = outputs.iter().map(|(stdout, _)| stat(stdout, "requests")).sum();
    let errors: u64 = outputs.iter().map(|(stdout, _)| stat(stdout, "redis_errors")).sum();
    assert_eq!((redis_hits, requests, errors), (7, 1, 0), "hits, requests, errors");
}

#[test]
fn redis_killed_mid_run_costs_no_call_its_token_and_sharing_resumes_after_a_restart() {
    let authority = Authority::start();
    let mut redis = RedisServer::start("killed", &[]);
    let (code, first, stderr) = run(&mut vf_token(&authority.url, &redis.url()));
    assert_eq!(code, 0, "{stderr}");
    let (code, again, stderr) = run(&mut vf_token(&authority.url, &redis.url()));
    assert_eq!((code, again.as_str()), (0, first.as_str()), "{stderr}");
    assert_eq!(count(&stderr, FROM_REDIS), 1, "{stderr}");
    assert_eq!(authority.token_requests(), 1);

    // Hosts started while Redis dies under them: every one still gets a token.
    redis.cli(&["FLUSHALL"]);
    let hosts: Vec<Child> = (0..8)
        .map(|_| vf_token(&authority.url, &redis.url()).spawn().unwrap())
        .collect();
    redis.kill();
    for host in hosts {
        let (code, token, stderr) = finish(host.wait_with_output().unwrap());
        assert_eq!(code, 0, "{stderr}");
        assert!(!token.is_empty());
        assert!(count(&stderr, REDIS_TROUBLE) <= 1, "logged once: {stderr}");
    }
    // Redis down: a token from the authority, one warning, no error.
    let before = authority.token_requests();
    let (code, token, stderr) = run(&mut vf_token(&authority.url, &redis.url()));
    assert_eq!(code, 0, "{stderr}");
    assert!(!token.is_empty());
    assert_eq!(count(&stderr, REDIS_TROUBLE), 1, "{stderr}");
    assert_eq!(authority.token_requests(), before + 1);

    // Back again: the next host stores its token, the one after takes it.
    redis.restart();
    let (code, stored, stderr) = run(&mut vf_token(&authority.url, &redis.url()));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(count(&stderr, REDIS_TROUBLE), 0, "{stderr}");
    let (code, shared, stderr) = run(&mut vf_token(&authority.url, &redis.url()));
    assert_eq!((code, shared.as_str()), (0, stored.as_str()), "{stderr}");
    assert_eq!(count(&stderr, FROM_REDIS), 1, "{stderr}");
    assert_eq!(authority.token_requests(), before + 2);
}

#[test]
fn a_lock_holder_killed_with_sigkill_is_replaced_by_a_waiter_within_its_timeout() {
    let redis = RedisServer::start("holder", &[]);
    let server = FaultServer::start(vec![
        Reply::Delayed(Duration::from_secs(30), Box::new(Reply::token("3600"))),
        Reply::token("3600"),
    ]);
    // The holder's lock lasts no longer than its own deadline (3 s).
    let mut holder = vf_token_at(&server, &redis.url(), "3000").spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.token_requests() == 0 {
        assert!(Instant::now() < deadline, "the holder never asked");
        thread::sleep(Duration::from_millis(10));
    }
    let started = Instant::now();
    let waiter = vf_token_at(&server, &redis.url(), "20000").spawn().unwrap();
    thread::sleep(Duration::from_millis(300)); // the waiter is polling the lock now
    assert_eq!(server.token_requests(), 1, "the waiter waits for the holder's flight");
    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();
    let (code, token, stderr) = finish(waiter.wait_with_output().unwrap());
    assert_eq!(code, 0, "{stderr}");
    assert!(token.starts_with("tok."), "{token}");
    assert!(
        !stderr.contains("held the lock"),
        "the waiter took the expired lock, it did not give up waiting: {stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "within the waiter's timeout"
    );
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn a_failure_and_its_retry_after_hold_are_shared_through_redis() {
    let redis = RedisServer::start("failure", &[]);
    let server = FaultServer::start(vec![
        Reply::json(503, r#"{"error":"temporarily_unavailable"}"#).with_header("Retry-After", "30"),
        Reply::token("3600"),
    ]);
    let (code, _, stderr) = run(&mut vf_token_at(&server, &redis.url(), "20000"));
    assert_ne!(code, 0, "{stderr}");
    let (code, _, stderr) = run(&mut vf_token_at(&server, &redis.url(), "20000"));
    assert_eq!(code, 20, "VF_STATUS_THROTTLED: {stderr}");
    assert_eq!(server.token_requests(), 1, "the second host did not ask");
}

#[test]
fn a_wrong_redis_password_falls_back_with_one_clear_log_line_that_never_shows_it() {
    let authority = Authority::start();
    let redis = RedisServer::start("password", &["--requirepass", "right-redis-pass-42"]);
    let wrong = format!("redis://:wrong-redis-pass-17@127.0.0.1:{}", redis.port);
    let (code, token, stderr) = run(&mut vf_token(&authority.url, &wrong));
    assert_eq!(code, 0, "{stderr}");
    assert!(!token.is_empty());
    assert_eq!(count(&stderr, REDIS_TROUBLE), 1, "{stderr}");
    let line = stderr.lines().find(|line| line.contains(REDIS_TROUBLE)).unwrap();
    assert!(line.to_lowercase().contains("authentication failed"), "{line}");
    assert!(line.contains("[redacted]"), "the URL is shown redacted: {line}");
    assert!(!stderr.contains("wrong-redis-pass-17"), "{stderr}");

    // The right password from a file: shared again, and never shown either.
    let password_file = redis.path("password");
    fs::write(&password_file, "right-redis-pass-42\n").unwrap();
    let plain = format!("redis://127.0.0.1:{}", redis.port);
    let (code, stored, stderr) = run(vf_token(&authority.url, &plain).env("VF_REDIS_PASSWORD_FILE", &password_file));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(count(&stderr, REDIS_TROUBLE), 0, "{stderr}");
    let (code, shared, stderr) = run(vf_token(&authority.url, &plain).env("VF_REDIS_PASSWORD_FILE", &password_file));
    assert_eq!((code, shared.as_str()), (0, stored.as_str()), "{stderr}");
    assert_eq!(count(&stderr, FROM_REDIS), 1, "{stderr}");
    assert!(!stderr.contains("right-redis-pass-42"));
}

#[test]
fn tls_to_redis_trusts_ca_file_and_an_untrusted_server_is_skipped() {
    let authority = Authority::start();
    let redis = RedisServer::start_tls("tls");
    let ca_file = redis.ca_file();
    let (code, stored, stderr) = run(vf_token(&authority.url, &redis.url()).env("VF_CA_FILE", &ca_file));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(count(&stderr, REDIS_TROUBLE), 0, "{stderr}");
    let (code, shared, stderr) = run(vf_token(&authority.url, &redis.url()).env("VF_CA_FILE", &ca_file));
    assert_eq!((code, shared.as_str()), (0, stored.as_str()), "{stderr}");
    assert_eq!(count(&stderr, FROM_REDIS), 1, "{stderr}");
    assert_eq!(authority.token_requests(), 1);

    // Without the CA the server is not trusted: a token from the authority all the same.
    let (code, own, stderr) = run(&mut vf_token(&authority.url, &redis.url()));
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(own, stored);
    assert_eq!(count(&stderr, REDIS_TROUBLE), 1, "{stderr}");
    assert_eq!(authority.token_requests(), 2);
}

#[test]
fn entries_are_sealed_under_key_names_that_show_nothing_and_expire_with_the_token() {
    let authority = Authority::start();
    let redis = RedisServer::start("sealed", &[]);
    let (code, token, stderr) = run(vf_token(&authority.url, &redis.url()).env("VF_REDIS_PREFIX", "stage7:"));
    assert_eq!(code, 0, "{stderr}");
    let keys = redis.keys();
    assert_eq!(keys.len(), 1, "the token entry (the lock is gone): {keys:?}");
    let key = &keys[0];
    let tag = key
        .strip_prefix("stage7:{")
        .and_then(|rest| rest.strip_suffix("}:token"))
        .unwrap_or_else(|| panic!("PREFIX{{HASH}}:token, got {key}"));
    assert!(tag.len() == 32 && tag.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    let bytes = redis.get(key);
    assert!(bytes.len() > 40, "{} bytes", bytes.len());
    for plain in [token.as_bytes(), POST_CLIENT.1.as_bytes(), b"vf-post", b"api1"] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain),
            "the entry holds {} in plaintext",
            String::from_utf8_lossy(plain)
        );
    }
    for part in token.split('.').filter(|part| part.len() > 8) {
        assert!(!bytes.windows(8).any(|w| w == &part.as_bytes()[..8]));
    }
    // Expires with the token (3600 s) less its safety buffer (60 s).
    let ttl: i64 = redis.cli(&["PTTL", key]).trim().parse().unwrap();
    assert!((3_530_000..=3_540_000).contains(&ttl), "PTTL {ttl}");
}

#[test]
fn invalidate_removes_the_redis_entry_only_while_it_holds_the_rejected_token() {
    let authority = Authority::start();
    let redis = RedisServer::start("invalidate", &[]);
    let (code, first, stderr) = run(&mut vf_token(&authority.url, &redis.url()));
    assert_eq!(code, 0, "{stderr}");
    let options = authority
        .options(POST_CLIENT)
        .with("cache_dir", "none")
        .and_then(|options| options.with("redis_url", &redis.url()))
        .unwrap();
    let client = Client::new(&options).unwrap();
    assert_eq!(client.token().unwrap().access_token(), first);
    assert_eq!(client.stats().redis_hits, 1);
    assert!(!client.invalidate("some-older-token"));
    assert_eq!(redis.keys().len(), 1, "a token it does not hold leaves the entry");
    assert!(client.invalidate(&first));
    assert!(redis.keys().is_empty(), "the rejected token is gone from Redis");
    let second = client.token().unwrap();
    assert_ne!(second.access_token(), first);
    assert_eq!(authority.token_requests(), 2);
    // A host that still holds the rejected token does not remove the newer one.
    assert!(!client.invalidate(&first));
    let (code, shared, stderr) = run(&mut vf_token(&authority.url, &redis.url()));
    assert_eq!((code, shared.as_str()), (0, second.access_token()), "{stderr}");
}

#[test]
fn a_holder_whose_lock_expired_does_not_release_the_lock_another_host_took_since() {
    let redis = RedisServer::start("release", &[]);
    let server = FaultServer::start(vec![Reply::Delayed(
        Duration::from_millis(1500),
        Box::new(Reply::token("3600")),
    )]);
    let holder = vf_token_at(&server, &redis.url(), "20000").spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.token_requests() == 0 {
        assert!(Instant::now() < deadline, "the holder never asked");
        thread::sleep(Duration::from_millis(10));
    }
    let lock = redis
        .keys()
        .into_iter()
        .find(|key| key.ends_with("}:lock"))
        .expect("the holder's lock");
    // As if the holder's lock had expired and another host had taken it.
    redis.cli(&["SET", &lock, "another-host", "PX", "60000"]);
    let (code, _, stderr) = finish(holder.wait_with_output().unwrap());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(redis.cli(&["GET", &lock]).trim(), "another-host");
}

#[test]
fn a_failing_redis_is_skipped_for_a_while_then_used_again_by_the_same_process() {
    let authority = Authority::start();
    let mut redis = RedisServer::start("breaker", &[]);
    redis.kill();
    let options = authority
        .options(POST_CLIENT)
        .with("cache_dir", "none")
        .and_then(|options| options.with("redis_url", &redis.url()))
        .unwrap();
    let client = Client::new(&options).unwrap();
    let mut token = client.token().unwrap().access_token().to_owned();
    assert_eq!(client.stats().redis_errors, 1);
    // Skipped meanwhile: each new token comes straight from the authority, no Redis error.
    for _ in 0..3 {
        assert!(client.invalidate(&token));
        token = client.token().unwrap().access_token().to_owned();
    }
    assert_eq!(client.stats().redis_errors, 1, "Redis was not tried again at once");
    assert_eq!(authority.token_requests(), 4);
    redis.restart();
    thread::sleep(Duration::from_millis(1_200)); // the first pause is 1 s
    assert!(client.invalidate(&token));
    let stored = client.token().unwrap().access_token().to_owned();
    assert_eq!(client.stats().redis_errors, 1);
    assert_eq!(redis.keys().iter().filter(|key| key.ends_with("}:token")).count(), 1);
    let (code, shared, stderr) = run(&mut vf_token(&authority.url, &redis.url()));
    assert_eq!((code, shared.as_str()), (0, stored.as_str()), "{stderr}");
}

#[test]
fn a_token_from_redis_fills_the_host_level_with_its_own_expiry() {
    let authority = Authority::start();
    let redis = RedisServer::start("fill", &[]);
    let scratch = Scratch::new("fill");
    let expires_at = |json: &str| -> i64 {
        let value: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|_| panic!("JSON: {json}"));
        value["expires_at"].as_i64().unwrap()
    };
    let (code, first, stderr) = run(vf_token(&authority.url, &redis.url()).arg("--json"));
    assert_eq!(code, 0, "{stderr}");
    thread::sleep(Duration::from_millis(2_500)); // the token in Redis ages
    let host = || {
        let mut command = vf_token(&authority.url, &redis.url());
        command.env("VF_CACHE_DIR", scratch.0.join("host")).arg("--json");
        command
    };
    let (code, from_redis, stderr) = run(&mut host());
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(count(&stderr, FROM_REDIS), 1, "{stderr}");
    redis.cli(&["FLUSHALL"]);
    let (code, from_host, stderr) = run(&mut host());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("from the host-level cache"), "{stderr}");
    assert_eq!(authority.token_requests(), 1);
    for later in [&from_redis, &from_host] {
        let drift = expires_at(later) - expires_at(&first);
        assert!(drift.abs() <= 1, "the token keeps its expiry, moved by {drift} s");
    }
}

/// A TCP server on loopback that accepts connections and, per connection, either never answers
/// (`reply` None) or answers `reply` and closes. Runs until the test ends.
fn fake_redis(reply: Option<&'static [u8]>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            match reply {
                Some(bytes) => {
                    let mut buffer = [0u8; 512];
                    let _ = stream.read(&mut buffer);
                    let _ = stream.write_all(bytes);
                }
                None => held.push(stream),
            }
        }
    });
    format!("redis://127.0.0.1:{port}")
}

#[test]
fn a_silent_a_garbage_a_full_and_a_read_only_redis_each_cost_one_warning_not_the_token() {
    let authority = Authority::start();
    let full = RedisServer::start("full", &["--maxmemory", "1", "--maxmemory-policy", "noeviction"]);
    let read_only = RedisServer::start("read-only", &["--replicaof", "127.0.0.1", "9"]);
    for (what, url) in [
        // No answer within a twentieth of timeout_ms (200 ms), not the whole 4 s.
        ("silent", fake_redis(None)),
        ("garbage", fake_redis(Some(b"HTTP/1.1 400 Bad Request\r\n\r\n"))),
        ("full", full.url()),
        ("read-only", read_only.url()),
    ] {
        let (code, token, stderr) = run(vf_token(&authority.url, &url).env("VF_TIMEOUT_MS", "4000"));
        assert_eq!(code, 0, "{what}: {stderr}");
        assert!(!token.is_empty(), "{what}");
        assert_eq!(count(&stderr, REDIS_TROUBLE), 1, "{what}: {stderr}");
        let line = stderr.lines().find(|line| line.contains(REDIS_TROUBLE)).unwrap();
        assert!(
            line.contains("Redis is skipped for 1 s"),
            "{what}: one line says it all: {line}"
        );
        if what == "silent" {
            assert!(line.contains("no answer within 200 ms"), "{line}");
        }
        println!("{what}: {line}");
    }
}

//! Faults: for each, what the user sees, that a valid cached token keeps being served, and that
//! nobody waits past the timeout. The fault server answers token requests from a script; the
//! real dev authority is used where it can produce the fault itself (down, restarted).

mod support;

use std::{
    sync::{Arc, Barrier, Mutex},
    thread,
    time::{Duration, Instant},
};

use support::{
    Authority, POST_CLIENT,
    fault::{FaultServer, Reply},
};
use vidiflow_auth::{Client, Error, LogLevel, Options, Status};

const SECRET: &str = "fault-secret-9f8e7d";
const TIMEOUT: Duration = Duration::from_millis(1500);
/// Slack for scheduling on a busy two-core machine.
const SLACK: Duration = Duration::from_millis(700);

static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn collect(_: *mut std::ffi::c_void, _: LogLevel, message: *const std::ffi::c_char) {
    let text = unsafe { std::ffi::CStr::from_ptr(message) }
        .to_string_lossy()
        .into_owned();
    LOGS.lock().unwrap().push(text);
}

fn options(endpoint: &str) -> Options {
    vidiflow_auth::set_log_callback(Some(collect), std::ptr::null_mut());
    Options::new()
        .with("token_endpoint", endpoint)
        .and_then(|o| o.with("client_id", "vf-post"))
        .and_then(|o| o.with("client_secret", SECRET))
        .and_then(|o| o.with("scope", "api1"))
        .and_then(|o| o.with("timeout_ms", &TIMEOUT.as_millis().to_string()))
        .unwrap()
}

fn assert_clean(text: &str) {
    assert!(!text.contains(SECRET), "the secret leaked: {text}");
    assert!(
        LOGS.lock().unwrap().iter().all(|line| !line.contains(SECRET)),
        "the secret leaked into a log line"
    );
}

/// What a caller with an empty cache sees when the authority answers `fault`, and how long it took.
fn first_call(fault: Reply) -> (Error, Duration, FaultServer) {
    let server = FaultServer::start(vec![fault]);
    let client = Client::new(&options(&server.token_endpoint())).unwrap();
    let started = Instant::now();
    let error = client.token().unwrap_err();
    let took = started.elapsed();
    assert!(took < TIMEOUT + SLACK, "waited {took:?}, past the timeout");
    assert_clean(&format!("{error} {error:?}"));
    println!("{} after {took:.1?}: {error}", error.status().name());
    (error, took, server)
}

/// Gets a 6 s token, then lets its refresh run into `fault`: the token must keep being served,
/// at cache-hit speed, until the safety buffer.
fn cached_token_survives(fault: Reply) {
    let server = FaultServer::start(vec![Reply::token("6"), fault]);
    let client = Client::new(&options(&server.token_endpoint())).unwrap();
    let first = client.token().unwrap();
    // Past the refresh point (at most 75 %, 4.5 s), 0.85 s before the safety buffer (5.4 s).
    thread::sleep(Duration::from_millis(4_550));
    for _ in 0..5 {
        let started = Instant::now();
        let token = client.token().unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "a hit never waits for the refresh"
        );
        assert_eq!(token.access_token(), first.access_token());
        thread::sleep(Duration::from_millis(20));
    }
    assert!(server.token_requests() >= 2, "the refresh was attempted");
}

#[test]
fn server_error_twice_then_ok_is_retried_within_one_call() {
    let error = Reply::json(500, r#"{"oops":1}"#);
    let server = FaultServer::start(vec![error.clone(), error, Reply::token("3600")]);
    let client = Client::new(&options(&server.token_endpoint())).unwrap();
    client.token().unwrap();
    assert_eq!(server.token_requests(), 3);
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.failed_requests, stats.misses, stats.errors),
        (3, 2, 1, 0)
    );
}

#[test]
fn server_error_that_persists_is_an_http_error_after_three_attempts() {
    let (error, _, server) = first_call(Reply::json(502, "<html>bad gateway</html>"));
    assert_eq!(error.status(), Status::Http);
    assert_eq!(error.http_status(), 502);
    assert!(error.message().contains("HTTP 502"), "{error}");
    assert_eq!(server.token_requests(), 3);
    cached_token_survives(Reply::json(500, "{}"));
}

#[test]
fn retry_after_on_503_holds_back_every_caller() {
    let (error, _, server) = first_call(Reply::json(503, "{}").with_header("Retry-After", "2"));
    assert_eq!(error.status(), Status::Http);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(server.token_requests(), 1, "Retry-After is not retried at once");
    cached_token_survives(Reply::json(503, "{}").with_header("Retry-After", "2"));
}

#[test]
fn retry_after_on_429_gives_throttled_with_the_remaining_wait() {
    let server = FaultServer::start(vec![
        Reply::json(429, r#"{"error":"slow_down"}"#).with_header("Retry-After", "3"),
    ]);
    let client = Arc::new(Client::new(&options(&server.token_endpoint())).unwrap());
    let first = client.token().unwrap_err();
    assert_eq!(first.http_status(), 429);
    let others: Vec<Error> = (0..8)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || client.token().unwrap_err())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    for error in &others {
        assert_eq!(error.status(), Status::Throttled, "{error}");
        let wait = error.retry_after().unwrap();
        assert!(
            wait > Duration::from_secs(2) && wait <= Duration::from_secs(3),
            "{wait:?}"
        );
        assert!(error.message().contains("Retry-After"), "{error}");
    }
    assert_eq!(server.token_requests(), 1, "nobody sends inside the window");
    cached_token_survives(Reply::json(429, "{}").with_header("Retry-After", "3"));
}

#[test]
fn slow_headers_time_out() {
    let slow = || Reply::Delayed(Duration::from_secs(5), Box::new(Reply::token("60")));
    let (error, took, _server) = first_call(slow());
    assert_eq!(error.status(), Status::Timeout, "{error}");
    assert!(took >= TIMEOUT - Duration::from_millis(100), "{took:?}");
    cached_token_survives(slow());
}

#[test]
fn slow_body_times_out() {
    let slow = || Reply::SlowBody {
        body: r#"{"access_token":"abc","token_type":"Bearer"}"#.into(),
        over: Duration::from_secs(5),
    };
    let (error, _, _server) = first_call(slow());
    assert_eq!(error.status(), Status::Timeout, "{error}");
    cached_token_survives(slow());
}

#[test]
fn truncated_body_is_reported() {
    let truncated = || Reply::Truncated {
        announced: 200,
        sent: 15,
    };
    let (error, _, _server) = first_call(truncated());
    assert!(matches!(error.status(), Status::Protocol | Status::Network), "{error}");
    assert!(error.message().contains("127.0.0.1"), "{error}");
    cached_token_survives(truncated());
}

#[test]
fn invalid_json_is_a_protocol_error() {
    let (error, _, _server) = first_call(Reply::json(200, "{not json"));
    assert_eq!(error.status(), Status::Protocol);
    assert!(error.message().contains("not valid JSON"), "{error}");
    cached_token_survives(Reply::json(200, "{not json"));
}

#[test]
fn ten_mib_body_is_refused() {
    let (error, _, _server) = first_call(Reply::Huge { bytes: 10 << 20 });
    assert_eq!(error.status(), Status::Protocol);
    assert!(error.message().contains("larger than 1024 KiB"), "{error}");
    cached_token_survives(Reply::Huge { bytes: 10 << 20 });
}

#[test]
fn redirect_is_not_followed() {
    let redirect = || Reply::json(302, "").with_header("Location", "http://elsewhere.example/connect/token");
    let (error, _, server) = first_call(redirect());
    assert_eq!(error.status(), Status::Protocol);
    assert_eq!(error.http_status(), 302);
    assert!(
        error.message().contains("redirect") && error.message().contains("elsewhere.example"),
        "{error}"
    );
    assert_eq!(server.token_requests(), 1);
    cached_token_survives(redirect());
}

#[test]
fn token_type_other_than_bearer_is_refused() {
    let mac = || Reply::json(200, r#"{"access_token":"abc","token_type":"MAC","expires_in":60}"#);
    let (error, _, _server) = first_call(mac());
    assert_eq!(error.status(), Status::Protocol);
    assert!(error.message().contains("'MAC'"), "{error}");
    cached_token_survives(mac());
}

#[test]
fn expires_in_missing_string_huge_are_accepted_and_negative_or_zero_refused() {
    for (expires_in, lifetime) in [("null", 300), (r#""120""#, 120), ("1000000000000", 86_400)] {
        let server = FaultServer::start(vec![Reply::token(expires_in)]);
        let token = Client::new(&options(&server.token_endpoint()))
            .unwrap()
            .token()
            .unwrap();
        assert_eq!(
            token.lifetime(),
            Duration::from_secs(lifetime),
            "expires_in {expires_in}"
        );
    }
    for bad in ["-5", "0"] {
        let (error, _, _server) = first_call(Reply::token(bad));
        assert_eq!(error.status(), Status::Protocol);
        assert!(error.message().contains("positive"), "{error}");
    }
    cached_token_survives(Reply::token("0"));
}

#[test]
fn discovery_issuer_mismatch_is_refused() {
    let server = FaultServer::start(vec![Reply::token("60")]);
    server.set_discovery(&format!(
        r#"{{"issuer":"http://127.0.0.1:1/other","token_endpoint":"{}"}}"#,
        server.token_endpoint()
    ));
    let error = Client::new(&options("").with("authority", &server.url).unwrap())
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(error.status(), Status::Discovery);
    assert!(error.message().contains("is not the authority"), "{error}");
    assert_eq!(server.token_requests(), 0);
    assert_clean(&error.to_string());
}

#[test]
fn discovery_endpoint_on_another_host_needs_validate_endpoints_off() {
    let server = FaultServer::start(vec![Reply::token("60")]);
    let elsewhere = server.token_endpoint().replace("127.0.0.1", "localhost");
    server.set_discovery(&format!(
        r#"{{"issuer":"{}","token_endpoint":"{elsewhere}"}}"#,
        server.url
    ));
    let strict = options("").with("authority", &server.url).unwrap();
    let error = Client::new(&strict).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Discovery);
    assert!(error.message().contains("validate_endpoints=false"), "{error}");
    let lax = strict.with("validate_endpoints", "false").unwrap();
    Client::new(&lax).unwrap().token().unwrap();
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn an_authority_echoing_the_request_never_brings_the_secret_into_a_message() {
    for method in ["client_secret_post", "client_secret_basic"] {
        let server = FaultServer::start(vec![Reply::Echo]);
        let options = options(&server.token_endpoint()).with("auth_method", method).unwrap();
        let error = Client::new(&options).unwrap().token().unwrap_err();
        assert_eq!(error.status(), Status::Oauth);
        let description = error.oauth().unwrap().description.as_ref().unwrap().as_str().to_owned();
        assert!(description.contains("[redacted]"), "{description}");
        assert_clean(&format!("{error} {error:?} {description}"));
        assert!(
            !description.contains("ZmF1bHQtc2VjcmV0"),
            "no Basic credential: {description}"
        );
    }
}

#[test]
fn authority_down_keeps_serving_the_cached_token() {
    let server = FaultServer::start(vec![Reply::token("6")]);
    let client = Client::new(&options(&server.token_endpoint())).unwrap();
    let first = client.token().unwrap();
    server.stop();
    thread::sleep(Duration::from_millis(4_550)); // past the refresh point, before the buffer
    assert_eq!(client.token().unwrap().access_token(), first.access_token());
    thread::sleep(Duration::from_millis(150));
    assert_eq!(client.token().unwrap().access_token(), first.access_token());
    // Past the safety buffer (5.4 s) there is nothing valid to serve: the failure shows.
    thread::sleep(Duration::from_millis(1_200));
    let error = client.token().unwrap_err();
    assert!(matches!(error.status(), Status::Network | Status::Throttled), "{error}");
    assert_clean(&error.to_string());
}

#[test]
fn outage_storm_of_1000_calls_makes_a_handful_of_requests() {
    let server = FaultServer::start(vec![Reply::json(503, "{}")]);
    let client = Arc::new(Client::new(&options(&server.token_endpoint())).unwrap());
    let start = Arc::new(Barrier::new(8));
    let started = Instant::now();
    let statuses: Vec<Status> = (0..8)
        .map(|_| {
            let (client, start) = (client.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                (0..125)
                    .map(|_| {
                        thread::sleep(Duration::from_millis(20));
                        client.token().unwrap_err().status()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let requests = server.token_requests();
    println!(
        "outage storm: {} calls over {:?} made {requests} token requests",
        statuses.len(),
        started.elapsed()
    );
    assert_eq!(statuses.len(), 1000);
    assert!(statuses.iter().all(|s| matches!(s, Status::Http | Status::Throttled)));
    assert!(requests <= 15, "{requests} requests");
}

#[test]
fn dev_authority_restarted_mid_run() {
    let authority = Authority::start_with(&[("VF_TEST_TOKEN_TTL", "10")]);
    let port = authority
        .url
        .split(':')
        .nth(2)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let client = Client::new(&authority.options(POST_CLIENT).with("timeout_ms", "2000").unwrap()).unwrap();
    let first = client.token().unwrap();
    drop(authority);

    // Down: the cached token is served through its refresh point.
    thread::sleep(Duration::from_millis(7_600));
    assert_eq!(client.token().unwrap().access_token(), first.access_token());

    // Back on the same port: after at most the backoff, a new token.
    let _restarted = Authority::start_with(&[("VF_TEST_TOKEN_TTL", "10"), ("VF_TEST_PORT", &port)]);
    let deadline = Instant::now() + Duration::from_secs(6);
    let mut seen = Vec::new();
    let fresh = loop {
        match client.token() {
            Ok(token) if token.access_token() != first.access_token() => break token,
            Ok(_) => seen.push("cached".to_owned()),
            Err(error) => seen.push(format!("{:?}", error.status())),
        }
        assert!(
            Instant::now() < deadline,
            "no new token after the restart; saw {seen:?}"
        );
        thread::sleep(Duration::from_millis(100));
    };
    assert!(fresh.remaining(Instant::now()) > Duration::from_secs(8));
    println!("authority restart: while it was down or backing off, callers saw {seen:?}");
}

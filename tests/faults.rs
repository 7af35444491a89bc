//! Faults: for each, what the user sees, that a valid cached token keeps being served, and that
//! nobody waits past the timeout. The fault server answers token requests from a script; the
//! real dev authority is used where it can produce the fault itself (down, restarted).

mod support;

use std::{
    net::TcpListener,
    sync::{Arc, Barrier, Mutex},
    thread,
    time::{Duration, Instant, SystemTime},
};

use support::{
    Authority, POST_CLIENT, base64,
    fault::{FaultServer, Reply},
};
use vidiflow_auth::{Client, Error, LogLevel, Options, Status};

const SECRET: &str = "fault-secret-9f8e7d";
const TIMEOUT: Duration = Duration::from_millis(1500);
/// Slack for scheduling on a busy two-core machine: a call bounded by `timeout_ms` ends within
/// [timeout_ms, timeout_ms + SLACK]; a bug that waits once more per attempt (3 x 1.5 s) does not.
const SLACK: Duration = Duration::from_millis(1000);
/// The shortest time three attempts take: the pauses before the second and third attempt are at
/// least 200 ms and 400 ms (each with up to 100 % jitter on top).
const THREE_ATTEMPTS: Duration = Duration::from_millis(600);

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

/// How many attempts the library logged for requests to `host` (`127.0.0.1:PORT`, unique to a
/// test): one line per retried attempt, one for the last.
fn attempts_logged(host: &str) -> usize {
    LOGS.lock()
        .unwrap()
        .iter()
        .filter(|line| line.contains(host))
        .filter(|line| line.starts_with("token request attempt ") || line.starts_with("token request failed: "))
        .count()
}

fn host_of(url: &str) -> &str {
    url.trim_start_matches("http://").split('/').next().unwrap()
}

/// A port nothing listens on: bound, then closed.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
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

/// Asserts that a call bounded by the timeout ended at `timeout_ms`, within the stated slack.
fn assert_took_the_timeout(took: Duration) {
    assert!(
        took >= TIMEOUT - Duration::from_millis(50) && took <= TIMEOUT + SLACK,
        "took {took:?}; expected {TIMEOUT:?} .. {:?}",
        TIMEOUT + SLACK
    );
}

/// The second caller while the authority's Retry-After holds requests back.
fn assert_throttled_by_retry_after(error: &Error, asked: Duration) {
    assert_eq!(error.status(), Status::Throttled, "{error}");
    let wait = error.retry_after().unwrap();
    assert!(
        wait > asked - Duration::from_millis(900) && wait <= asked,
        "{wait:?} left of {asked:?}"
    );
    let expected = format!(
        "not sent: the authority asked to wait (Retry-After); next attempt in {:.1} s",
        wait.as_secs_f64()
    );
    assert!(error.message().starts_with(&expected), "{error}");
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
    // The refresh runs on its own thread: give it a moment on a busy machine.
    let deadline = Instant::now() + Duration::from_secs(2);
    while server.token_requests() < 2 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
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
    let (error, took, server) = first_call(Reply::json(502, "<html>bad gateway</html>"));
    assert_eq!(error.status(), Status::Http);
    assert_eq!(error.http_status(), 502);
    assert_eq!(
        error.message(),
        format!(
            "the token endpoint at {} answered HTTP 502 without an OAuth error",
            host_of(&server.url)
        )
    );
    assert_eq!(server.token_requests(), 3);
    assert_eq!(attempts_logged(host_of(&server.url)), 3);
    assert!(took >= THREE_ATTEMPTS, "three attempts, two pauses: {took:?}");
    cached_token_survives(Reply::json(500, "{}"));
}

#[test]
fn retry_after_on_503_holds_back_every_caller() {
    let server = FaultServer::start(vec![Reply::json(503, "{}").with_header("Retry-After", "2")]);
    let client = Client::new(&options(&server.token_endpoint())).unwrap();
    let error = client.token().unwrap_err();
    assert_eq!(error.status(), Status::Http);
    assert_eq!(error.http_status(), 503);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
    assert!(
        error
            .message()
            .ends_with(" answered HTTP 503 without an OAuth error; it asked to wait 2 s (Retry-After)"),
        "{error}"
    );
    assert_eq!(server.token_requests(), 1, "Retry-After is not retried at once");
    let second = Client::new(&options(&server.token_endpoint()))
        .unwrap()
        .token()
        .unwrap_err();
    assert_throttled_by_retry_after(&second, Duration::from_secs(2));
    println!("503 with Retry-After: 2: {error}; the next caller: {second}");
    assert_eq!(server.token_requests(), 1, "nobody sends inside the window");
    cached_token_survives(Reply::json(503, "{}").with_header("Retry-After", "2"));
}

#[test]
fn retry_after_on_429_gives_throttled_with_the_remaining_wait() {
    let server = FaultServer::start(vec![Reply::json(429, "{}").with_header("Retry-After", "2")]);
    let client = Arc::new(Client::new(&options(&server.token_endpoint())).unwrap());
    let first = client.token().unwrap_err();
    assert_eq!((first.status(), first.http_status()), (Status::Http, 429));
    assert!(
        first.message().ends_with("; it asked to wait 2 s (Retry-After)"),
        "{first}"
    );
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
        assert_throttled_by_retry_after(error, Duration::from_secs(2));
    }
    assert_eq!(server.token_requests(), 1, "nobody sends inside the window");
    cached_token_survives(Reply::json(429, "{}").with_header("Retry-After", "2"));
}

#[test]
fn slow_headers_time_out() {
    let slow = || Reply::Delayed(Duration::from_secs(5), Box::new(Reply::token("60")));
    let (error, took, server) = first_call(slow());
    assert_eq!(error.status(), Status::Timeout, "{error}");
    assert_eq!(
        error.message(),
        format!("{} did not answer in time (global timed out)", host_of(&server.url))
    );
    assert_took_the_timeout(took);
    cached_token_survives(slow());
}

#[test]
fn slow_body_times_out() {
    let slow = || Reply::SlowBody {
        body: r#"{"access_token":"abc","token_type":"Bearer"}"#.into(),
        over: Duration::from_secs(5),
    };
    let (error, took, server) = first_call(slow());
    assert_eq!(error.status(), Status::Timeout, "{error}");
    assert_eq!(
        error.message(),
        format!("{} did not answer in time (global timed out)", host_of(&server.url))
    );
    assert_took_the_timeout(took);
    cached_token_survives(slow());
}

#[test]
fn truncated_body_is_reported() {
    let truncated = || Reply::Truncated {
        announced: 200,
        sent: 15,
    };
    let (error, _, server) = first_call(truncated());
    assert_eq!(error.status(), Status::Protocol, "{error}");
    assert_eq!(
        error.message(),
        format!(
            "{} closed the connection before the response was complete",
            host_of(&server.url)
        )
    );
    assert_eq!(server.token_requests(), 1, "a malformed answer is not retried");
    cached_token_survives(truncated());
}

#[test]
fn invalid_json_is_a_protocol_error() {
    let (error, _, _server) = first_call(Reply::json(200, "{not json"));
    assert_eq!(error.status(), Status::Protocol);
    assert!(error.message().contains("the body is not valid JSON"), "{error}");
    cached_token_survives(Reply::json(200, "{not json"));
}

#[test]
fn ten_mib_body_is_refused() {
    let (error, _, server) = first_call(Reply::Huge { bytes: 10 << 20 });
    assert_eq!(error.status(), Status::Protocol);
    assert_eq!(
        error.message(),
        format!(
            "the response from {} is larger than 1024 KiB; refused",
            host_of(&server.url)
        )
    );
    cached_token_survives(Reply::Huge { bytes: 10 << 20 });
}

#[test]
fn redirect_is_not_followed() {
    let redirect = || Reply::json(302, "").with_header("Location", "http://elsewhere.example/connect/token");
    let (error, _, server) = first_call(redirect());
    assert_eq!(error.status(), Status::Protocol);
    assert_eq!(error.http_status(), 302);
    assert!(
        error
            .message()
            .contains("answered with a redirect (HTTP 302) to elsewhere.example; redirects are not followed"),
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
    assert!(
        error
            .message()
            .contains("'token_type' is 'MAC', but only Bearer tokens are supported"),
        "{error}"
    );
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
        assert!(
            error
                .message()
                .contains("'expires_in' must be a positive number of seconds"),
            "{error}"
        );
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
    // The Basic credential the request really carries (id and secret need no form-encoding).
    let credential = base64(format!("vf-post:{SECRET}"));
    for method in ["client_secret_post", "client_secret_basic"] {
        let server = FaultServer::start(vec![Reply::Echo]);
        let options = options(&server.token_endpoint()).with("auth_method", method).unwrap();
        let error = Client::new(&options).unwrap().token().unwrap_err();
        assert_eq!(error.status(), Status::Oauth);
        let description = error.oauth().unwrap().description.as_ref().unwrap().as_str().to_owned();
        assert!(description.contains("[redacted]"), "{description}");
        assert_clean(&format!("{error} {error:?} {description}"));
        assert!(
            !description.contains(&credential),
            "the Basic credential: {description}"
        );
        if method == "client_secret_basic" {
            assert!(description.ends_with(" with Basic [redacted]"), "{description}");
        }
        // The secret's own base64 at each of the three alignments it can take in a credential.
        for pad in ["", "x", "xx"] {
            let encoded = base64(format!("{pad}{SECRET}"));
            let inner = &encoded[4..encoded.len() - 4];
            assert!(!description.contains(inner), "base64 of the secret: {description}");
        }
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
fn outage_storm_of_1000_calls_makes_six_requests_and_the_backoff_doubles() {
    let server = FaultServer::start(vec![Reply::json(503, "{}")]);
    let client = Arc::new(Client::new(&options(&server.token_endpoint())).unwrap());
    let start = Arc::new(Barrier::new(8));
    let started = Instant::now();
    // Each thread: 125 calls, 15 ms apart. The first flight (3 attempts, 0.6-1.2 s) is followed by
    // a 1 s hold, the second flight by a 2 s hold, which outlasts the storm (about 0.9 s of calls
    // are left when the second flight lands).
    let statuses: Vec<Status> = (0..8)
        .map(|_| {
            let (client, start) = (client.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                (0..125)
                    .map(|_| {
                        thread::sleep(Duration::from_millis(15));
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
    assert_eq!(requests, 6, "two flights of three attempts");
    let times = server.token_request_times();
    let pause = times[3] - times[2];
    assert!(
        pause >= Duration::from_millis(950),
        "the first backoff is 1 s; the second flight came {pause:?} after the first"
    );

    // 1.4 s after the second flight the hold has doubled to 2 s: still held back, nothing sent.
    thread::sleep((times[5] + Duration::from_millis(1_400)).saturating_duration_since(Instant::now()));
    let held = client.token().unwrap_err();
    assert_eq!(held.status(), Status::Throttled, "{held}");
    assert!(
        held.message().contains("backing off after 2 failed attempt(s)"),
        "{held}"
    );
    assert_eq!(server.token_requests(), 6, "the doubled backoff holds");
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

#[test]
fn authority_down_is_a_network_error_after_three_attempts() {
    let port = closed_port();
    let authority = format!("http://127.0.0.1:{port}/core");
    let client = Client::new(&options("").with("authority", &authority).unwrap()).unwrap();
    let started = Instant::now();
    let error = client.token().unwrap_err();
    let took = started.elapsed();
    println!("authority down: {error}");
    assert_eq!(error.status(), Status::Network, "{error}");
    assert_eq!(
        error.message(),
        format!(
            "discovery at {authority}/.well-known/openid-configuration: connection to 127.0.0.1:{port} failed: Connection refused (os error 111)"
        )
    );
    assert_eq!(attempts_logged(&format!("127.0.0.1:{port}")), 3);
    assert!(took >= THREE_ATTEMPTS && took <= TIMEOUT + SLACK, "{took:?}");
    assert_clean(&error.to_string());
}

#[test]
fn refused_connection_is_retried_within_one_call() {
    let port = closed_port();
    let endpoint = format!("http://127.0.0.1:{port}/connect/token");
    // The authority comes up 100 ms after the first attempt was refused.
    let late = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        FaultServer::start_on(port, vec![Reply::token("3600")])
    });
    let client = Client::new(&options(&endpoint)).unwrap();
    let token = client.token();
    let server = late.join().unwrap();
    let token = token.unwrap();
    assert!(token.access_token().starts_with("tok."));
    assert_eq!(server.token_requests(), 1);
    let stats = client.stats();
    assert_eq!((stats.requests, stats.failed_requests, stats.errors), (2, 1, 0));
    assert_eq!(attempts_logged(&format!("127.0.0.1:{port}")), 1, "one refused attempt");
}

#[test]
fn status_408_and_504_are_retried_within_one_call() {
    for status in [408, 504] {
        let server = FaultServer::start(vec![
            Reply::json(status, "{}"),
            Reply::json(status, "{}"),
            Reply::token("3600"),
        ]);
        let client = Client::new(&options(&server.token_endpoint())).unwrap();
        client.token().unwrap_or_else(|error| panic!("HTTP {status}: {error}"));
        assert_eq!(server.token_requests(), 3, "HTTP {status}");
    }
}

#[test]
fn retry_after_zero_still_waits_for_the_backoff() {
    let server = FaultServer::start(vec![
        Reply::json(503, "{}").with_header("Retry-After", "0"),
        Reply::token("3600"),
    ]);
    let client = Client::new(&options(&server.token_endpoint())).unwrap();
    let error = client.token().unwrap_err();
    assert_eq!(
        (error.status(), error.retry_after()),
        (Status::Http, Some(Duration::ZERO))
    );
    let held = client.token().unwrap_err();
    assert_eq!(held.status(), Status::Throttled, "{held}");
    let wait = held.retry_after().unwrap();
    assert!(
        wait > Duration::from_millis(500) && wait <= Duration::from_secs(1),
        "the library's own 1 s backoff: {wait:?}"
    );
    assert_eq!(server.token_requests(), 1, "Retry-After: 0 sent nothing at once");
    thread::sleep(wait + Duration::from_millis(50));
    client.token().unwrap();
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn retry_after_as_an_http_date_holds_back_every_caller() {
    let until = SystemTime::now() + Duration::from_secs(4);
    let server = FaultServer::start(vec![
        Reply::json(503, "{}").with_header("Retry-After", &http_date(until)),
    ]);
    let client = Client::new(&options(&server.token_endpoint())).unwrap();
    let error = client.token().unwrap_err();
    assert_eq!((error.status(), error.http_status()), (Status::Http, 503), "{error}");
    let asked = error.retry_after().expect("the date was understood");
    // Whole seconds on the wire: 3 to 4 s from now, longer than the 1 s backoff.
    assert!(
        asked > Duration::from_millis(2_500) && asked <= Duration::from_secs(4),
        "{asked:?}"
    );
    let held = Client::new(&options(&server.token_endpoint()))
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(held.status(), Status::Throttled, "{held}");
    assert!(held.retry_after().unwrap() > Duration::from_secs(2), "{held}");
    assert!(held.message().contains("(Retry-After)"), "{held}");
    assert_eq!(server.token_requests(), 1);
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(at: SystemTime) -> String {
    let seconds = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        months[month as usize - 1],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[test]
fn http_date_is_formatted_as_servers_send_it() {
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
    assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
}

#[test]
fn discovery_is_looked_up_again_after_a_network_error() {
    let server = FaultServer::start(vec![Reply::token("3600")]);
    let dead = format!("http://127.0.0.1:{}/connect/token", closed_port());
    server.set_discovery(&format!(r#"{{"issuer":"{}","token_endpoint":"{dead}"}}"#, server.url));
    let lax = options("")
        .with("authority", &server.url)
        .unwrap()
        .with("validate_endpoints", "false")
        .unwrap();
    let error = Client::new(&lax).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Network, "{error}");
    assert_eq!(server.discovery_requests(), 3, "one discovery per attempt");

    // The endpoint moved back: another identity of the same authority finds it at once.
    server.set_discovery(&format!(
        r#"{{"issuer":"{}","token_endpoint":"{}"}}"#,
        server.url,
        server.token_endpoint()
    ));
    Client::new(&lax.with("scope", "api2").unwrap())
        .unwrap()
        .token()
        .unwrap();
    assert_eq!((server.discovery_requests(), server.token_requests()), (4, 1));
}

#[test]
fn discovery_is_looked_up_again_after_a_token_endpoint_404() {
    let server = FaultServer::start(vec![Reply::json(404, "{}"), Reply::token("3600")]);
    let authority = options("").with("authority", &server.url).unwrap();
    let error = Client::new(&authority).unwrap().token().unwrap_err();
    assert_eq!((error.status(), error.http_status()), (Status::Http, 404), "{error}");
    assert_eq!(server.discovery_requests(), 1);
    // Another identity (its own slot, so not held back by the first one's refusal).
    Client::new(&authority.with("scope", "api2").unwrap())
        .unwrap()
        .token()
        .unwrap();
    assert_eq!((server.discovery_requests(), server.token_requests()), (2, 2));
}

#[test]
fn failed_background_refresh_then_a_successful_one_before_the_buffer() {
    // 12 s tokens: the refresh starts at 7.8-9 s and fails (429, Retry-After 1: not retried at
    // once); after the 1 s hold the next caller's refresh succeeds, before the safety buffer
    // (10.8 s) leaves nothing to serve.
    let server = FaultServer::start(vec![
        Reply::token("12"),
        Reply::json(429, "{}").with_header("Retry-After", "1"),
        Reply::token("3600"),
    ]);
    let client = Client::new(&options(&server.token_endpoint())).unwrap();
    let first = client.token().unwrap();
    let started = Instant::now();
    let mut renewed_at = None;
    while started.elapsed() < Duration::from_millis(11_000) {
        let token = client
            .token()
            .unwrap_or_else(|error| panic!("at {:?}: {error}", started.elapsed()));
        if token.access_token() != first.access_token() && renewed_at.is_none() {
            renewed_at = Some(started.elapsed());
        }
        thread::sleep(Duration::from_millis(20));
    }
    println!("failed refresh, then a good one: a new token at {renewed_at:?}");
    assert!(renewed_at.is_some(), "the second refresh brought a new token");
    assert_eq!(server.token_requests(), 3);
    let stats = client.stats();
    assert_eq!((stats.misses, stats.errors), (1, 0), "no caller waited or saw an error");
}

#[test]
fn invalidate_racing_an_in_flight_refresh() {
    // A 4 s token, then a refresh that takes 800 ms to answer.
    let server = FaultServer::start(vec![
        Reply::token("4"),
        Reply::Delayed(Duration::from_millis(800), Box::new(Reply::token("3600"))),
    ]);
    let client = Arc::new(Client::new(&options(&server.token_endpoint())).unwrap());
    let first = client.token().unwrap();
    // Past the refresh point (at most 3 s), before the safety buffer (3.6 s).
    thread::sleep(Duration::from_millis(3_100));
    assert_eq!(client.token().unwrap().access_token(), first.access_token());
    thread::sleep(Duration::from_millis(100));
    assert_eq!(server.token_requests(), 2, "the refresh is in flight");
    assert!(client.invalidate(first.access_token()));
    let tokens: Vec<String> = (0..8)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || client.token().unwrap().access_token().to_owned())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert!(
        tokens.iter().all(|t| t != first.access_token()),
        "nobody gets the invalidated token"
    );
    assert!(tokens.iter().all(|t| t == &tokens[0]), "all share the refresh");
    assert_eq!(server.token_requests(), 2, "the refresh in flight serves them all");
}

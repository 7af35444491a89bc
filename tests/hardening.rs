//! The promises an outside review (issue 11) found broken, each kept here: values of path options
//! never printed, credentials taken exactly as given, a Retry-After hold capped and clearable,
//! discovery shared per transport and kept through transient failures, proxies chosen by scheme
//! with credentials never shown, one cache slot per authority, and `*err` reuse reported.

mod support;

use std::{
    ffi::{CStr, CString, c_char, c_void},
    process::{Command, Output},
    ptr,
    sync::{Arc, Barrier, Mutex, Once},
    thread,
    time::Duration,
};

use support::{
    Authority, POST_CLIENT, SECOND_CLIENT, base64,
    fault::{FaultServer, Reply},
    proxy::ForwardProxy,
};
use vidiflow_auth::{Client, LogLevel, Options, Status, capi};

const SECRET: &str = "fault-secret-9f8e7d";
/// What a user may paste where a path belongs.
const SWAPPED: &str = "Sup3rS3cret!";
const PROXY_PASSWORD: &str = "pr0xy-pa55word";

static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn collect(_: *mut c_void, _: LogLevel, message: *const c_char) {
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    LOGS.lock().unwrap().push(text);
}

/// Log lines so far that contain `needle`.
fn logged(needle: &str) -> Vec<String> {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| vidiflow_auth::set_log_callback(Some(collect), ptr::null_mut()));
    LOGS.lock()
        .unwrap()
        .iter()
        .filter(|line| line.contains(needle))
        .cloned()
        .collect()
}

fn fault_options(server: &FaultServer) -> Options {
    logged(""); // the log callback is installed before anything runs
    Options::new()
        .with("authority", &server.url)
        .and_then(|o| o.with("client_id", "vf-post"))
        .and_then(|o| o.with("client_secret", SECRET))
        .and_then(|o| o.with("scope", "api1"))
        .and_then(|o| o.with("timeout_ms", "3000"))
        .unwrap()
}

/// Runs vf-token with only the environment given (no proxy variable of this machine).
fn vf_token(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vf-token"));
    for (name, _) in std::env::vars() {
        if name.starts_with("VF_") || name.to_ascii_lowercase().ends_with("_proxy") {
            command.env_remove(name);
        }
    }
    command
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("vf-token runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ------------------------------------------------------------------ 1: path values never printed

#[test]
fn vf_token_never_prints_the_value_of_a_path_option() {
    let authority = Authority::start();
    let base = [
        ("VF_AUTHORITY", authority.url.as_str()),
        ("VF_CLIENT_ID", POST_CLIENT.0),
        ("VF_SCOPE", "api1"),
    ];
    let flag = vf_token(&base, &["--client-secret-file", SWAPPED]);
    let mut env = base.to_vec();
    env.push(("VF_CLIENT_SECRET_FILE", SWAPPED));
    let variable = vf_token(&env, &[]);
    let ca_file = vf_token(&base, &["--client-secret", POST_CLIENT.1, "--ca-file", SWAPPED]);
    for (case, output, expect) in [
        (
            "--client-secret-file",
            &flag,
            "the file named by client_secret_file cannot be read",
        ),
        (
            "VF_CLIENT_SECRET_FILE",
            &variable,
            "the file named by client_secret_file cannot be read",
        ),
        (
            "--ca-file",
            &ca_file,
            "option 'ca_file': the file it names cannot be read",
        ),
    ] {
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
        println!("{case}: {}", stderr.trim_end());
        assert!(stderr.contains(expect), "{case}: {stderr}");
        assert!(
            !stdout.contains(SWAPPED) && !stderr.contains(SWAPPED),
            "{case} printed the value: {stderr}"
        );
        support::assert_no_secret(&stderr);
    }
    assert_eq!(flag.status.code(), Some(12), "VF_STATUS_CONFIG");
    assert_eq!(ca_file.status.code(), Some(16), "VF_STATUS_TLS");
}

// ------------------------------------------------------------------ 2: credentials as given

#[test]
fn a_secret_with_edge_spaces_is_sent_as_given_and_warned_about() {
    let authority = Authority::start();
    let padded = format!("{} ", POST_CLIENT.1);
    let before = logged("begins or ends with whitespace").len();
    let client = Client::new(&authority.options((POST_CLIENT.0, &padded))).unwrap();
    let warnings = logged("begins or ends with whitespace");
    assert!(warnings.len() > before, "no warning about the padded secret");
    assert!(
        warnings.iter().any(|line| line.contains("client_secret")),
        "{warnings:?}"
    );
    support::assert_no_secret(&warnings.join("\n"));
    // Sent with its space, it is not the registered secret.
    let error = client.token().unwrap_err();
    assert_eq!(error.status(), Status::Oauth, "{error}");
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client");
    let body = &authority.token_request_log()[0]["body"];
    assert!(
        body.as_str().unwrap().ends_with("post-secret-0123456789+"),
        "the space is sent as +"
    );
}

// ------------------------------------------------------------------ 5: Retry-After capped

#[test]
fn a_retry_after_of_an_hour_holds_for_five_minutes_by_default() {
    let server = FaultServer::start(vec![Reply::json(503, "{}").with_header("Retry-After", "3600")]);
    let client = Client::new(&fault_options(&server)).unwrap();
    let error = client.token().unwrap_err();
    println!("{error}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(300)));
    assert!(
        error
            .message()
            .contains("it asked to wait 3600 s (Retry-After), held to 300 s (max_retry_after)"),
        "{error}"
    );
    let held = client.token().unwrap_err();
    assert_eq!(held.status(), Status::Throttled, "{held}");
    let wait = held.retry_after().unwrap();
    assert!(
        wait > Duration::from_secs(290) && wait <= Duration::from_secs(300),
        "{wait:?}"
    );
    assert_eq!(server.token_requests(), 1);
}

#[test]
fn max_retry_after_shortens_the_hold() {
    let server = FaultServer::start(vec![
        Reply::json(503, "{}").with_header("Retry-After", "3600"),
        Reply::token("3600"),
    ]);
    let client = Client::new(&fault_options(&server).with("max_retry_after", "1").unwrap()).unwrap();
    assert_eq!(client.token().unwrap_err().retry_after(), Some(Duration::from_secs(1)));
    thread::sleep(Duration::from_millis(1_200));
    client.token().unwrap();
    assert_eq!(server.token_requests(), 2);
}

#[test]
fn clear_hold_lets_the_next_call_ask_at_once() {
    let server = FaultServer::start(vec![
        Reply::json(429, "{}").with_header("Retry-After", "120"),
        Reply::token("3600"),
    ]);
    let client = Client::new(&fault_options(&server).with("scope", "api2").unwrap()).unwrap();
    client.token().unwrap_err();
    assert_eq!(client.token().unwrap_err().status(), Status::Throttled);
    assert!(client.clear_hold(), "a hold was in force");
    client.token().unwrap();
    assert_eq!(server.token_requests(), 2);
    // The C function: NULL is refused, a live client is fine.
    assert_eq!(
        unsafe { capi::vf_client_clear_hold(ptr::null()) },
        Status::InvalidArgument
    );
}

// ------------------------------------------------------------------ 6: discovery

#[test]
fn identities_on_one_authority_share_one_discovery() {
    let server = FaultServer::start(vec![Reply::token("3600")]);
    server.set_discovery_delay(Duration::from_millis(300));
    let start = Arc::new(Barrier::new(6));
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let options = fault_options(&server)
                .with("client_id", &format!("identity-{i}"))
                .unwrap();
            let start = start.clone();
            thread::spawn(move || {
                let client = Client::new(&options).unwrap();
                start.wait();
                client.token().map(|_| ())
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap().unwrap();
    }
    assert_eq!(server.token_requests(), 6);
    assert_eq!(server.discovery_requests(), 1, "one discovery for six identities");
}

#[test]
fn a_503_retried_keeps_the_discovered_endpoint_and_a_404_looks_it_up_again() {
    let busy = Reply::json(503, "{}");
    let server = FaultServer::start(vec![
        busy.clone(),
        busy,
        Reply::token("3600"),
        Reply::json(404, "{}"),
        Reply::token("3600"),
    ]);
    let client = Client::new(&fault_options(&server).with("client_id", "retrier").unwrap()).unwrap();
    let token = client.token().unwrap();
    assert_eq!(server.token_requests(), 3, "two 503s, then the token, in one call");
    assert_eq!(
        server.discovery_requests(),
        1,
        "a 503 says nothing about where the endpoint is"
    );
    client.invalidate(token.access_token());
    assert_eq!(client.token().unwrap_err().http_status(), 404);
    client.clear_hold();
    client.token().unwrap();
    assert_eq!(
        server.discovery_requests(),
        2,
        "after a 404 the endpoint is looked up again"
    );
}

#[test]
fn a_discovery_through_one_proxy_does_not_serve_a_direct_client() {
    let authority = Authority::start();
    let proxy = ForwardProxy::start(&["127.0.0.1"], None);
    let through = authority.options(POST_CLIENT).with("proxy", &proxy.url).unwrap();
    let direct = authority.options(SECOND_CLIENT).with("proxy", "none").unwrap();
    Client::new(&through).unwrap().token().unwrap();
    Client::new(&direct).unwrap().token().unwrap();
    assert_eq!(authority.discovery_requests(), 2, "each transport discovers for itself");
    let requests = proxy.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests[0].starts_with("GET ") && requests[0].contains("/.well-known/openid-configuration"));
    assert!(requests[1].starts_with("POST ") && requests[1].contains("/connect/token"));
}

// ------------------------------------------------------------------ 7: proxies

/// The dev authority under a name only the proxy knows.
fn hidden_authority() -> Authority {
    Authority::start_with(&[("VF_TEST_HOST_NAME", "authority.test")])
}

#[test]
fn an_http_authority_goes_through_http_proxy_never_https_proxy() {
    let authority = hidden_authority();
    assert!(authority.url.starts_with("http://authority.test:"), "{}", authority.url);
    let plain = ForwardProxy::start(&["authority.test"], None);
    let secure = ForwardProxy::start(&["authority.test"], None);
    let output = vf_token(
        &[
            ("VF_AUTHORITY", &authority.url),
            ("VF_ALLOW_HTTP", "true"),
            ("VF_CLIENT_ID", POST_CLIENT.0),
            ("VF_CLIENT_SECRET", POST_CLIENT.1),
            ("VF_SCOPE", "api1"),
            ("VF_TIMEOUT_MS", "5000"),
            ("http_proxy", &plain.url),
            ("HTTPS_PROXY", &secure.url),
            ("ALL_PROXY", &secure.url),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        secure.seen().is_empty(),
        "an http URL went through HTTPS_PROXY / ALL_PROXY"
    );
    let requests = plain.requests();
    assert_eq!(
        requests.len(),
        2,
        "discovery and token request through http_proxy: {requests:?}"
    );
    assert_eq!(authority.token_requests(), 1);
}

#[test]
fn no_proxy_sends_a_matching_host_direct() {
    let authority = hidden_authority();
    let proxy = ForwardProxy::start(&["authority.test"], None);
    // Direct, the made-up name does not resolve: the call fails, and the proxy saw nothing.
    let output = vf_token(
        &[
            ("VF_AUTHORITY", &authority.url),
            ("VF_ALLOW_HTTP", "true"),
            ("VF_CLIENT_ID", POST_CLIENT.0),
            ("VF_CLIENT_SECRET", POST_CLIENT.1),
            ("VF_TIMEOUT_MS", "3000"),
            ("http_proxy", &proxy.url),
            ("no_proxy", "localhost,.test"),
        ],
        &[],
    );
    let stderr = text(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(14 | 15)),
        "NETWORK (or TIMEOUT): {stderr}"
    );
    assert!(stderr.contains("authority.test"), "{stderr}");
    assert!(proxy.seen().is_empty(), "a NO_PROXY host went through the proxy");
}

#[test]
fn proxy_credentials_are_accepted_and_never_shown() {
    let authority = hidden_authority();
    let proxy = ForwardProxy::start(&["authority.test"], Some(("vf", PROXY_PASSWORD)));
    let options = |proxy_url: &str| {
        authority
            .options(POST_CLIENT)
            .with("allow_http", "true")
            .and_then(|o| o.with("timeout_ms", "5000"))
            .and_then(|o| o.with("proxy", proxy_url))
            .unwrap()
    };
    let good = options(&proxy.url_with("vf", PROXY_PASSWORD));
    assert!(
        !format!("{good:?}").contains(PROXY_PASSWORD),
        "Debug shows the proxy password"
    );
    Client::new(&good).unwrap().token().unwrap();
    let expected = format!("Basic {}", base64(format!("vf:{PROXY_PASSWORD}")));
    assert!(
        proxy
            .seen()
            .iter()
            .all(|seen| seen.tunnelled && seen.proxy_authorization.as_deref() == Some(expected.as_str()))
    );

    let wrong = options(&proxy.url_with("vf", "not-the-password"));
    let error = Client::new(&wrong).unwrap().token().unwrap_err();
    println!("{error}");
    assert_eq!(error.status(), Status::Network, "{error}");
    assert!(
        error
            .message()
            .contains("through the proxy http://[redacted]@127.0.0.1:"),
        "{error}"
    );
    let shown = format!("{error} {error:?} {wrong:?}");
    assert!(
        !shown.contains("not-the-password") && !shown.contains(PROXY_PASSWORD),
        "{shown}"
    );
    assert!(
        logged("pa55word").is_empty() && logged("not-the-password").is_empty(),
        "a log line showed the proxy password"
    );
}

// ------------------------------------------------------------------ 9: small ones

#[test]
fn an_authority_with_and_without_a_trailing_slash_shares_one_token() {
    let authority = Authority::start();
    let bare = Client::new(&authority.options(POST_CLIENT)).unwrap();
    let slashed = authority
        .options(POST_CLIENT)
        .with("authority", &format!("{}/", authority.url))
        .unwrap();
    let slashed = Client::new(&slashed).unwrap();
    let same = bare.token().unwrap().access_token() == slashed.token().unwrap().access_token();
    assert!(same, "two tokens for one authority");
    assert_eq!(authority.token_requests(), 1, "one cache slot");
}

#[test]
fn a_reused_err_is_overwritten_not_freed_and_the_log_says_so() {
    logged("");
    let key = CString::new("timeout_ms").unwrap();
    let bad = CString::new("soon").unwrap();
    unsafe {
        let options = capi::vf_options_new();
        let mut err = ptr::null_mut();
        assert_eq!(
            capi::vf_options_set(options, key.as_ptr(), bad.as_ptr(), &mut err),
            Status::Config
        );
        let first = err;
        assert!(logged("overwrote *err").is_empty(), "a NULL *err is not reported");
        assert_eq!(
            capi::vf_options_set(options, key.as_ptr(), bad.as_ptr(), &mut err),
            Status::Config
        );
        assert_ne!(err, first);
        let reported = logged("vf_options_set failed and overwrote *err, which was not NULL");
        assert_eq!(reported.len(), 1, "{reported:?}");
        // The first error was not freed: it is still the caller's, and readable.
        assert_eq!(capi::vf_error_status(first), Status::Config);
        capi::vf_error_free(first);
        capi::vf_error_free(err);
        capi::vf_options_free(options);
    }
}

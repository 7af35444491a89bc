//! The fork handler is registered when the library loads, not when a client first touches the
//! process-wide cache: a fork that races the first vf_client_new() is seen too. Its own test
//! binary with one test, so nothing has used the library before.

mod support;

use std::{
    ffi::{CStr, c_char, c_void},
    ptr,
    sync::atomic::{AtomicBool, Ordering},
    thread,
    time::{Duration, Instant},
};

use support::{
    fault::{FaultServer, Reply},
    in_child,
};
use vidiflow_auth::{Client, LogLevel, Options};

static INSIDE: AtomicBool = AtomicBool::new(false);
static RELEASE: AtomicBool = AtomicBool::new(false);

/// Holds on to the first message (the warning about the padded secret) until released.
extern "C" fn slow_logger(_: *mut c_void, _: LogLevel, message: *const c_char) {
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    if text.contains("whitespace") {
        INSIDE.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !RELEASE.load(Ordering::SeqCst) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

fn options(endpoint: &str, secret: &str) -> Options {
    Options::new()
        .with("token_endpoint", endpoint)
        .and_then(|o| o.with("client_id", "vf-post"))
        .and_then(|o| o.with("client_secret", secret))
        .and_then(|o| o.with("timeout_ms", "5000"))
        .unwrap()
}

#[test]
fn a_fork_during_the_first_client_new_gets_a_child_of_its_own() {
    let server = FaultServer::start(vec![Reply::token("60")]);
    vidiflow_auth::set_log_callback(Some(slow_logger), ptr::null_mut());
    // The first client of the process: its options are checked (and the padded secret warned
    // about, in the callback that holds on) before it first touches the cache.
    let endpoint = server.token_endpoint();
    let first = thread::spawn(move || Client::new(&options(&endpoint, " fork-secret")).map(|c| c.token().is_ok()));
    while !INSIDE.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(5));
    }
    let status = in_child(|| {
        // Only the fork handler knows that the parent's thread is gone mid-message.
        vidiflow_auth::set_log_callback(None, ptr::null_mut());
        Client::new(&options(&server.token_endpoint(), "fork-secret"))
            .and_then(|client| client.token())
            .is_ok()
    });
    RELEASE.store(true, Ordering::SeqCst);
    assert!(first.join().unwrap().unwrap(), "the parent's first client works");
    assert_eq!(status, Some(0), "the child failed (1) or hung (None)");
}

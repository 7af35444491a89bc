//! fork(): a child gets a working library with its own cache, and never deadlocks — even when
//! the parent forks while another thread is in the middle of a refresh and others are hitting
//! and invalidating the cache.

mod support;

use std::{
    ffi::{CStr, c_char, c_void},
    ptr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use support::{
    fault::{FaultServer, Reply},
    in_child,
};
use vidiflow_auth::{Client, LogLevel, Options};

fn options(endpoint: &str) -> Options {
    Options::new()
        .with("token_endpoint", endpoint)
        .and_then(|o| o.with("client_id", "vf-post"))
        .and_then(|o| o.with("client_secret", "fork-secret"))
        .and_then(|o| o.with("timeout_ms", "5000"))
        .unwrap()
}

#[test]
fn child_of_a_fork_mid_refresh_gets_its_own_token() {
    // The first token lives 2 s; its refresh is answered only after 3 s; then tokens at once.
    let server = FaultServer::start(vec![
        Reply::token("2"),
        Reply::Delayed(Duration::from_secs(3), Box::new(Reply::token("60"))),
        Reply::token("60"),
    ]);
    let client = Arc::new(Client::new(&options(&server.token_endpoint())).unwrap());
    let parent_token = client.token().unwrap().access_token().to_owned();

    // Hammer the cache from other threads while forking: hits, invalidations of stale tokens.
    let stop = Arc::new(AtomicBool::new(false));
    let hammers: Vec<_> = (0..4)
        .map(|i| {
            let (client, stop) = (client.clone(), stop.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = client.token();
                    if i == 0 {
                        client.invalidate("not-the-current-token");
                    }
                }
            })
        })
        .collect();

    thread::sleep(Duration::from_millis(1_550)); // the refresh is now in flight, answered in 3 s
    assert!(server.token_requests() >= 2, "the refresh is in flight");
    let started = Instant::now();
    let status = in_child(|| {
        // The parent's client, bound to the parent's cache: must rebind, not reuse its locks.
        let inherited = client.token().is_ok_and(|t| t.access_token() != parent_token);
        // Another identity: a cold cache entry, so this one is fetched in the child too.
        let other = options(&server.token_endpoint()).with("scope", "other").unwrap();
        let fresh = Client::new(&other).unwrap().token().is_ok();
        inherited && fresh
    });
    stop.store(true, Ordering::Relaxed);
    hammers.into_iter().for_each(|h| h.join().unwrap());
    assert_eq!(status, Some(0), "the child failed (1) or hung (None)");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the child did not wait for the parent's refresh"
    );
    // The parent goes on as before.
    assert!(client.token().is_ok());
}

static LOGGER_INSIDE: AtomicBool = AtomicBool::new(false);
static LOGGER_RELEASE: AtomicBool = AtomicBool::new(false);

/// Holds on to the message about the 'fork-logger' token until released (at most 5 s).
extern "C" fn slow_logger(_: *mut c_void, _: LogLevel, message: *const c_char) {
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    if text.contains("'fork-logger'") {
        LOGGER_INSIDE.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !LOGGER_RELEASE.load(Ordering::SeqCst) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn child_of_a_fork_while_another_thread_logs_can_replace_the_log_callback() {
    let server = FaultServer::start(vec![Reply::token("60")]);
    vidiflow_auth::set_log_callback(Some(slow_logger), ptr::null_mut());
    let options = options(&server.token_endpoint())
        .with("client_id", "fork-logger")
        .unwrap();
    let client = Arc::new(Client::new(&options).unwrap());
    let logging = {
        let client = client.clone();
        thread::spawn(move || client.token().map(|_| ()))
    };
    while !LOGGER_INSIDE.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(5));
    }
    // Another thread is inside the callback: the child inherits a count of messages in delivery
    // that no thread of its own will ever finish.
    let status = in_child(|| {
        vidiflow_auth::set_log_callback(None, ptr::null_mut());
        client.token().is_ok()
    });
    LOGGER_RELEASE.store(true, Ordering::SeqCst);
    logging.join().unwrap().unwrap();
    vidiflow_auth::set_log_callback(None, ptr::null_mut());
    assert_eq!(
        status,
        Some(0),
        "the child failed (1) or hung in vf_set_log_callback (None)"
    );
}

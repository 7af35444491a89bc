//! fork(): a child gets a working library with its own cache, and never deadlocks — even when
//! the parent forks while another thread is in the middle of a refresh and others are hitting
//! and invalidating the cache.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use support::fault::{FaultServer, Reply};
use vidiflow_auth::{Client, Options};

fn options(endpoint: &str) -> Options {
    Options::new()
        .with("token_endpoint", endpoint)
        .and_then(|o| o.with("client_id", "vf-post"))
        .and_then(|o| o.with("client_secret", "fork-secret"))
        .and_then(|o| o.with("timeout_ms", "5000"))
        .unwrap()
}

/// Runs `body` in a forked child and returns its exit code, or None if it hung.
fn in_child(body: impl FnOnce() -> bool) -> Option<i32> {
    // SAFETY: the child only runs `body` (library calls) and then _exit, never returning into
    // the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or(false);
        // SAFETY: ends the child without running the parent's atexit handlers or destructors.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let deadline = Instant::now() + Duration::from_secs(15);
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

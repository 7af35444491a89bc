//! Refresh-ahead as the process sees it: no thread lives between refreshes, and no log line
//! carries an access token. One test in its own binary, so no other test's threads are counted.

mod support;

use std::{
    ffi::{CStr, c_char, c_void},
    sync::Mutex,
    thread,
    time::{Duration, Instant},
};

use support::{Authority, POST_CLIENT};
use vidiflow_auth::{Client, LogLevel};

static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn collect(_: *mut c_void, _: LogLevel, message: *const c_char) {
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned();
    LOGS.lock().unwrap().push(text);
}

/// The names of this process's threads.
fn threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

/// Waits up to 2 s for the thread count to come back to `count`.
fn settles_at(count: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    while threads().len() != count && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    threads().len() == count
}

#[test]
fn no_thread_lives_between_refreshes_and_no_log_line_carries_the_token() {
    vidiflow_auth::set_log_callback(Some(collect), std::ptr::null_mut());
    let authority = Authority::start_with(&[("VF_TEST_TOKEN_TTL", "4")]);
    let idle = threads();
    let client = Client::new(&authority.options(POST_CLIENT)).unwrap();
    let first = client.token().unwrap();
    assert!(
        settles_at(idle.len()),
        "a thread outlived the first request: {:?}",
        threads()
    );

    // 4 s tokens: the refresh point is at 2.6-3 s, the safety buffer at 3.6 s.
    thread::sleep(Duration::from_millis(3_050));
    assert_eq!(client.token().unwrap().access_token(), first.access_token());
    let deadline = Instant::now() + Duration::from_secs(2);
    let second = loop {
        let token = client.token().unwrap();
        if token.access_token() != first.access_token() {
            break token;
        }
        assert!(Instant::now() < deadline, "the refresh did not land");
        thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(authority.token_requests(), 2);
    assert!(
        settles_at(idle.len()),
        "a thread outlived the refresh: {:?} (before: {idle:?})",
        threads()
    );

    let logs = LOGS.lock().unwrap().clone();
    println!("log lines: {logs:#?}");
    assert!(
        logs.iter().filter(|line| line.contains("fingerprint")).count() >= 2,
        "both fetches were logged"
    );
    for token in [&first, &second] {
        let access = token.access_token();
        for part in std::iter::once(access).chain(access.split('.')) {
            assert!(
                logs.iter().all(|line| !line.contains(part)),
                "an access token (or a part of it) is in a log line"
            );
        }
    }
}

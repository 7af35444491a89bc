//! A token request on a kept-alive connection starts no thread: host name lookups are
//! remembered (src/resolver.rs) instead of run on a new thread per request.
// Counts threads by standing in for glibc's pthread_create.
#![cfg(target_os = "linux")]

mod support;

use std::{
    ffi::{c_int, c_void},
    sync::atomic::{AtomicUsize, Ordering},
};

use support::{Authority, POST_CLIENT};
use vidiflow_auth::Client;

/// Threads this test process started.
static STARTED: AtomicUsize = AtomicUsize::new(0);

type Start = extern "C" fn(*mut c_void) -> *mut c_void;
type Create = unsafe extern "C" fn(*mut libc::pthread_t, *const libc::pthread_attr_t, Start, *mut c_void) -> c_int;

/// Every thread of this process starts here: the executable's own definition is linked in
/// place of libc's, which it counts and calls.
///
/// # Safety
/// As libc's `pthread_create`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pthread_create(
    thread: *mut libc::pthread_t,
    attr: *const libc::pthread_attr_t,
    start: Start,
    arg: *mut c_void,
) -> c_int {
    STARTED.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the next definition of pthread_create is libc's, of this type.
    unsafe {
        let real = libc::dlsym(libc::RTLD_NEXT, c"pthread_create".as_ptr());
        assert!(!real.is_null(), "libc's pthread_create not found");
        std::mem::transmute::<*mut c_void, Create>(real)(thread, attr, start, arg)
    }
}

#[test]
fn token_requests_on_a_kept_alive_connection_start_no_thread() {
    let authority = Authority::start();
    let client = Client::new(&authority.options(POST_CLIENT)).unwrap();
    let before_first = STARTED.load(Ordering::SeqCst);
    let mut token = client.token().unwrap();
    assert!(
        STARTED.load(Ordering::SeqCst) > before_first,
        "the first lookup runs on a thread (with its timeout): the count sees threads"
    );

    let before = STARTED.load(Ordering::SeqCst);
    const REQUESTS: u64 = 5;
    for _ in 0..REQUESTS {
        assert!(client.invalidate(token.access_token()));
        token = client.token().unwrap();
    }
    let started = STARTED.load(Ordering::SeqCst) - before;
    assert_eq!(authority.token_requests(), 1 + REQUESTS);
    assert_eq!(started, 0, "{started} threads started for {REQUESTS} token requests");
}

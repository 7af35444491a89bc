//! Library-wide functions: version, ABI version, status names.

use std::ffi::{c_char, c_void};

use super::guard;
use crate::{
    error::Status,
    log::{self, LogCallback},
};

/// Incremented on every change that breaks binary compatibility.
const ABI_VERSION: u32 = 1;

/// The library version, e.g. "0.1.0". A static string: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn vf_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The ABI version. It changes whenever a release breaks binary compatibility; bindings check
/// it at load time against the version they were written for.
#[unsafe(no_mangle)]
pub extern "C" fn vf_abi_version() -> u32 {
    ABI_VERSION
}

/// The name of a status, e.g. "VF_STATUS_OAUTH", for any value at all: numbers that are not a
/// status give "VF_STATUS_UNKNOWN". A static string: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn vf_status_name(status: u32) -> *const c_char {
    const UNKNOWN: &str = "VF_STATUS_UNKNOWN\0";
    guard(UNKNOWN.as_ptr().cast(), || {
        Status::from_code(status)
            .map_or(UNKNOWN, Status::name_nul)
            .as_ptr()
            .cast()
    })
}

/// Sends the library's log messages to `callback` (NULL: silence, the default), with
/// `user_data` passed back on every call. Messages never contain a secret, a request body or an
/// access token. Process-wide: the last call wins.
///
/// The callback may run on any thread, including the library's short-lived refresh threads,
/// while a token request is in progress: it must return normally (no longjmp, no C++
/// exception) and must not call vf_token_get() / vf_token_get_valid_for() itself (the call
/// could wait for the very request being reported). The message is valid only during the call.
///
/// When vf_set_log_callback() returns, the previous callback is neither running nor called
/// again, so its `user_data` may be freed — except when vf_set_log_callback() is itself called
/// from inside a callback.
///
/// # Safety
/// `callback`, if not NULL, can be called with `user_data` until it is replaced.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_set_log_callback(callback: LogCallback, user_data: *mut c_void) {
    guard((), || log::set_callback(callback, user_data))
}

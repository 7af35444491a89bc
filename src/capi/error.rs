//! `vf_error`: what went wrong, owned by the caller.

use std::{ffi::c_char, ptr};

use super::{arg, guard};
use crate::{
    error::{Error, Result, Status},
    text::CText,
};

/// Reads a field of an error, or returns `default` for NULL.
///
/// # Safety
/// `error` is NULL or a live error.
unsafe fn read<T>(error: *const Error, default: T, field: impl FnOnce(&Error) -> T) -> T {
    // SAFETY: per the caller's contract.
    let error: Result<&Error> = unsafe { arg(error, "error") };
    error.map_or(default, field)
}

fn text_ptr(text: Option<&CText>) -> *const c_char {
    text.map_or(ptr::null(), CText::as_ptr)
}

/// The status of the failure. VF_STATUS_INVALID_ARGUMENT if `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_error_status(error: *const Error) -> Status {
    // SAFETY: forwarded contract.
    unsafe { read(error, Status::InvalidArgument, Error::status) }
}

/// A sentence saying what failed and why, for a log or a person. Never contains the client
/// secret. Lives as long as `error`. NULL if `error` is NULL.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_error_message(error: *const Error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { read(error, ptr::null(), |e| e.message_text().as_ptr()) }
}

/// The OAuth `error` code the authority returned ("invalid_client", "invalid_scope", ...), or
/// NULL when it returned none. Lives as long as `error`.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_error_oauth_error(error: *const Error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { read(error, ptr::null(), |e| text_ptr(e.oauth().map(|o| &o.error))) }
}

/// The OAuth `error_description`, or NULL. Lives as long as `error`.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_error_oauth_description(error: *const Error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe {
        read(error, ptr::null(), |e| {
            text_ptr(e.oauth().and_then(|o| o.description.as_ref()))
        })
    }
}

/// The OAuth `error_uri`, or NULL. Lives as long as `error`.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_error_oauth_uri(error: *const Error) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { read(error, ptr::null(), |e| text_ptr(e.oauth().and_then(|o| o.uri.as_ref()))) }
}

/// The HTTP status of the response that failed, or 0 when no response came (or `error` is
/// NULL).
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_error_http_status(error: *const Error) -> u16 {
    // SAFETY: forwarded contract.
    unsafe { read(error, 0, Error::http_status) }
}

/// How many milliseconds the authority asked callers to wait (Retry-After), or 0.
///
/// # Safety
/// `error` is NULL or a live error.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_error_retry_after_ms(error: *const Error) -> u64 {
    // SAFETY: forwarded contract.
    unsafe { read(error, 0, |e| e.retry_after().map_or(0, |d| d.as_millis() as u64)) }
}

/// Frees an error. NULL is ignored. Any thread may free it.
///
/// # Safety
/// `error` is NULL or an error this library handed out, not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_error_free(error: *mut Error) {
    guard((), || {
        // SAFETY: from `call`, freed once per the contract.
        unsafe { super::ownership::free_c(error) }
    })
}

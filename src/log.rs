//! Log messages, delivered to a callback the host program installs. Silent by default.
//! Messages never hold a secret, a request body or an access token — at most a short
//! fingerprint of a token, to tell tokens apart.

use std::{
    ffi::{c_char, c_void},
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

use crate::text::CText;

/// How much a log message matters.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// A token call failed.
    Error = 1,
    /// Something went wrong that the library worked around (a retry, a failed refresh while
    /// the cached token is still valid).
    Warn = 2,
    /// A token or discovery document was fetched.
    Info = 3,
    /// Details of each attempt.
    Debug = 4,
}

/// A log callback: gets the `user_data` given when it was installed, the level, and the
/// message (valid only during the call). NULL means no callback.
pub type LogCallback = Option<extern "C" fn(user_data: *mut c_void, level: LogLevel, message: *const c_char)>;

struct Sink {
    callback: extern "C" fn(*mut c_void, LogLevel, *const c_char),
    user_data: *mut c_void,
}

static SINK: AtomicPtr<Sink> = AtomicPtr::new(ptr::null_mut());

/// Installs `callback` (or removes it, with `None`). Earlier sinks are leaked on purpose: a
/// message may be on its way to one on another thread, and a few bytes per call is the price
/// of never freeing a sink in use.
pub fn set_callback(callback: LogCallback, user_data: *mut c_void) {
    let sink = callback.map_or(ptr::null_mut(), |callback| {
        Box::into_raw(Box::new(Sink { callback, user_data }))
    });
    SINK.store(sink, Ordering::Release);
}

/// Sends a message to the installed callback, if any.
pub fn log(level: LogLevel, message: impl FnOnce() -> String) {
    // SAFETY: sinks are never freed once stored.
    if let Some(sink) = unsafe { SINK.load(Ordering::Acquire).as_ref() } {
        let text = CText::new(message());
        (sink.callback)(sink.user_data, level, text.as_ptr());
    }
}

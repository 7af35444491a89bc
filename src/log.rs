//! Log messages, delivered to a callback the host program installs. Silent by default.
//! Messages never hold a secret, a request body or an access token — at most a short
//! fingerprint of a token, to tell tokens apart.

use std::{
    ffi::{c_char, c_void},
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

use parking_lot::Mutex;

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
    callback: LogCallback,
    user_data: *mut c_void,
    /// Every sink ever installed stays in this list, so none is freed while a message may be
    /// on its way to it on another thread; installing the same pair again reuses its entry.
    previous: *mut Sink,
}

/// The sink messages go to (NULL: none).
static CURRENT: AtomicPtr<Sink> = AtomicPtr::new(ptr::null_mut());
/// The newest of all sinks ever installed; `previous` links the rest.
static ALL: AtomicPtr<Sink> = AtomicPtr::new(ptr::null_mut());
static INSTALL: Mutex<()> = Mutex::new(());

/// Installs `callback` (or removes it, with `None`) with the `user_data` it is given back.
pub fn set_callback(callback: LogCallback, user_data: *mut c_void) {
    let _installing = INSTALL.lock();
    let mut known = ALL.load(Ordering::Acquire);
    // SAFETY: sinks are never freed; the list is only extended under INSTALL.
    while let Some(sink) = unsafe { known.as_ref() } {
        if sink.callback.map(|f| f as usize) == callback.map(|f| f as usize) && sink.user_data == user_data {
            CURRENT.store(known, Ordering::Release);
            return;
        }
        known = sink.previous;
    }
    let sink = Box::into_raw(Box::new(Sink {
        callback,
        user_data,
        previous: ALL.load(Ordering::Acquire),
    }));
    ALL.store(sink, Ordering::Release);
    CURRENT.store(sink, Ordering::Release);
}

/// Sends a message to the installed callback, if any.
pub fn log(level: LogLevel, message: impl FnOnce() -> String) {
    // SAFETY: sinks are never freed once stored.
    let sink = unsafe { CURRENT.load(Ordering::Acquire).as_ref() };
    if let Some(Sink {
        callback: Some(callback),
        user_data,
        ..
    }) = sink
    {
        let text = CText::new(message());
        callback(*user_data, level, text.as_ptr());
    }
}

#[cfg(test)]
mod tests {
    use std::{
        ffi::CStr,
        sync::atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    static SEEN: AtomicUsize = AtomicUsize::new(0);

    extern "C" fn count(user_data: *mut c_void, level: LogLevel, message: *const c_char) {
        let text = unsafe { CStr::from_ptr(message) }.to_str().unwrap();
        if text == "log test" && level == LogLevel::Warn && user_data as usize == 7 {
            SEEN.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn sinks() -> usize {
        let (mut n, mut at) = (0, ALL.load(Ordering::Acquire));
        while let Some(sink) = unsafe { at.as_ref() } {
            n += 1;
            at = sink.previous;
        }
        n
    }

    #[test]
    fn messages_reach_the_callback_and_reinstalling_reuses_the_entry() {
        set_callback(Some(count), 7 as *mut c_void);
        log(LogLevel::Warn, || "log test".into());
        assert_eq!(SEEN.load(Ordering::SeqCst), 1);
        let installed = sinks();
        set_callback(None, ptr::null_mut());
        log(LogLevel::Warn, || "log test".into());
        set_callback(Some(count), 7 as *mut c_void);
        set_callback(None, ptr::null_mut());
        assert_eq!(SEEN.load(Ordering::SeqCst), 1);
        assert!(sinks() <= installed + 1, "the same pairs do not grow the list");
    }
}

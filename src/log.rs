//! Log messages, delivered to a callback the host program installs. Silent by default.
//! Messages never hold a secret, a request body or an access token — at most a short
//! fingerprint of a token, to tell tokens apart.

use std::{
    cell::Cell,
    ffi::{c_char, c_void},
    ptr,
    sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering},
    thread,
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
/// Held while a sink is installed. A flag rather than a Mutex, so that a fork child can
/// release it (see [`after_fork_in_child`]): a thread of the parent may have held it.
static INSTALLING: AtomicBool = AtomicBool::new(false);

/// How many messages are being delivered right now, on any thread (of this fork generation).
static IN_PROGRESS: AtomicUsize = AtomicUsize::new(0);

/// Resets the state a thread of the parent may have left mid-way: in a fork child only the
/// forking thread exists, so no other message is being delivered and nobody installs a sink.
/// Runs in the atfork child handler: atomics only.
#[cfg(unix)]
pub(crate) fn after_fork_in_child() {
    IN_PROGRESS.store(0, Ordering::SeqCst);
    INSTALLING.store(false, Ordering::SeqCst);
}

/// Counts one message in delivery while it lives, and out when dropped — also when formatting
/// the message panics. A delivery that began before a fork is not counted out in the child,
/// whose count started again from zero.
struct Delivering {
    generation: u64,
}

impl Delivering {
    fn start() -> Delivering {
        // Read before counting in: a fork between the two leaves a count the child reset, and
        // a generation that tells the drop not to take it out again.
        let generation = crate::process::generation();
        IN_PROGRESS.fetch_add(1, Ordering::SeqCst);
        Delivering { generation }
    }
}

impl Drop for Delivering {
    fn drop(&mut self) {
        if crate::process::generation() == self.generation {
            IN_PROGRESS.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Marks this thread as inside a callback while it lives.
struct InsideCallback;

impl InsideCallback {
    fn enter() -> InsideCallback {
        IN_CALLBACK.with(|inside| inside.set(true));
        InsideCallback
    }
}

impl Drop for InsideCallback {
    fn drop(&mut self) {
        IN_CALLBACK.with(|inside| inside.set(false));
    }
}

/// Holds INSTALLING while it lives.
struct Installing;

impl Installing {
    fn acquire() -> Installing {
        while INSTALLING
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            thread::yield_now();
        }
        Installing
    }
}

impl Drop for Installing {
    fn drop(&mut self) {
        INSTALLING.store(false, Ordering::Release);
    }
}

thread_local! {
    /// Whether this thread is inside a callback (which may itself install another).
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// Installs `callback` (or removes it, with `None`) with the `user_data` it is given back.
/// When this returns, no earlier callback is running or will be called again — unless this is
/// called from inside a callback, which cannot wait for itself.
pub fn set_callback(callback: LogCallback, user_data: *mut c_void) {
    {
        let _installing = Installing::acquire();
        CURRENT.store(find_or_add(callback, user_data), Ordering::SeqCst);
    }
    if !IN_CALLBACK.with(Cell::get) {
        // A message that read the old sink counted itself in before reading it (SeqCst), so
        // once the count is zero nobody still holds the old sink.
        while IN_PROGRESS.load(Ordering::SeqCst) != 0 {
            thread::yield_now();
        }
    }
}

/// The sink for this pair, reused if it was installed before. Call with INSTALLING held.
fn find_or_add(callback: LogCallback, user_data: *mut c_void) -> *mut Sink {
    let mut known = ALL.load(Ordering::Acquire);
    // SAFETY: sinks are never freed; the list is only extended under INSTALLING.
    while let Some(sink) = unsafe { known.as_ref() } {
        if sink.callback.map(|f| f as usize) == callback.map(|f| f as usize) && sink.user_data == user_data {
            return known;
        }
        known = sink.previous;
    }
    let previous = ALL.load(Ordering::Acquire);
    let sink = Box::into_raw(Box::new(Sink {
        callback,
        user_data,
        previous,
    }));
    ALL.store(sink, Ordering::Release);
    sink
}

/// Sends a message to the installed callback, if any.
pub fn log(level: LogLevel, message: impl FnOnce() -> String) {
    let _delivering = Delivering::start();
    // SAFETY: sinks are never freed once stored.
    let sink = unsafe { CURRENT.load(Ordering::SeqCst).as_ref() };
    if let Some(Sink {
        callback: Some(callback),
        user_data,
        ..
    }) = sink
    {
        let text = CText::new(message());
        let _inside = InsideCallback::enter();
        callback(*user_data, level, text.as_ptr());
    }
}

#[cfg(test)]
mod tests {
    use std::{
        ffi::CStr,
        sync::atomic::{AtomicBool, AtomicUsize, Ordering},
        time::Duration,
    };

    use super::*;

    static SEEN: AtomicUsize = AtomicUsize::new(0);
    static SLOW_FINISHED: AtomicBool = AtomicBool::new(false);

    fn text<'a>(message: *const c_char) -> &'a str {
        unsafe { CStr::from_ptr(message) }.to_str().unwrap()
    }

    extern "C" fn count(user_data: *mut c_void, level: LogLevel, message: *const c_char) {
        if text(message) == "log test" && level == LogLevel::Warn && user_data as usize == 7 {
            SEEN.fetch_add(1, Ordering::SeqCst);
        }
    }

    extern "C" fn slow(_: *mut c_void, _: LogLevel, message: *const c_char) {
        if text(message) == "slow test" {
            thread::sleep(Duration::from_millis(300));
            SLOW_FINISHED.store(true, Ordering::SeqCst);
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

    // One test: the callback is process-wide state.
    #[test]
    fn messages_reach_the_callback_reinstalling_reuses_and_uninstalling_waits() {
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

        set_callback(Some(slow), ptr::null_mut());
        let messenger = thread::spawn(|| log(LogLevel::Info, || "slow test".into()));
        thread::sleep(Duration::from_millis(100)); // the callback is running now
        set_callback(None, ptr::null_mut());
        assert!(
            SLOW_FINISHED.load(Ordering::SeqCst),
            "set_callback returned while the old callback ran"
        );
        messenger.join().unwrap();

        // A panic while the message is formatted must not leave it counted as in delivery:
        // installing the next callback would then wait forever.
        set_callback(Some(count), 7 as *mut c_void);
        let panicked = std::panic::catch_unwind(|| log(LogLevel::Warn, || panic!("formatting failed")));
        assert!(panicked.is_err());
        let (done, finished) = std::sync::mpsc::channel();
        thread::spawn(move || {
            set_callback(None, ptr::null_mut());
            let _ = done.send(());
        });
        assert!(
            finished.recv_timeout(Duration::from_secs(5)).is_ok(),
            "set_callback hangs after a panic inside log()"
        );
    }
}

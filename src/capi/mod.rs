//! The C ABI: a thin shell over the safe core, one file per C object.
//!
//! Every exported body runs inside [`call`] or [`guard`], which catch panics, so no Rust panic
//! unwinds into C. Pointers from and to C are handled only here; the core keeps its own few
//! (fork-generation bindings in `client.rs` and `process.rs`, log sinks in `log.rs`).

#![allow(non_camel_case_types)]

mod client;
mod error;
mod library;
mod options;
mod ownership;
mod token;

use std::{
    ffi::{CStr, c_char},
    panic::{AssertUnwindSafe, catch_unwind},
};

pub use client::*;
pub use error::*;
pub use library::*;
pub use options::*;
pub use token::*;

use crate::error::{Error, Result, Status};

/// Runs a fallible exported body: a panic becomes `VF_STATUS_INTERNAL`, and on failure the
/// error goes to `*err` when `err` is not NULL.
///
/// `*err` is overwritten, never freed. What it holds may be an error the caller still uses, a
/// copy of a freed one, or an uninitialised value: freeing it could crash or free twice, while
/// leaving it costs at most a leak. A non-NULL `*err` is reported in the log instead, so the
/// leak can be found.
#[inline]
fn call(function: &str, err: *mut *mut Error, body: impl FnOnce() -> Result<()>) -> Status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => Status::Ok,
        Ok(Err(error)) => report(function, err, error),
        Err(_) => report(function, err, panic_error(function)),
    }
}

/// Hands `error` to the caller through `err` (kept out of line: the success path of every call
/// stays small).
#[cold]
fn report(function: &str, err: *mut *mut Error, error: Error) -> Status {
    let status = error.status();
    if !err.is_null() {
        // SAFETY: the caller passes either NULL or a pointer to a writable `vf_error *`;
        // its value is only compared with NULL, never followed.
        if !unsafe { *err }.is_null() {
            crate::log::log(crate::log::LogLevel::Warn, || {
                format!(
                    "{function} failed and overwrote *err, which was not NULL: the error it held was not freed (free each error with vf_error_free() and set the variable to NULL before reusing it)"
                )
            });
        }
        // SAFETY: as above.
        unsafe { *err = ownership::to_c(error) };
    }
    status
}

/// Runs an infallible exported body; a panic gives `on_panic` instead.
#[inline]
fn guard<T>(on_panic: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

fn panic_error(function: &str) -> Error {
    Error::new(
        Status::Internal,
        format!("internal error in {function} (a caught panic); please report it"),
    )
}

/// The object behind a pointer from C, or an error naming the NULL parameter.
///
/// # Safety
/// `pointer` is NULL or points to a live `T` for the duration of the call.
unsafe fn arg<'a, T>(pointer: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: per this function's contract.
    unsafe { pointer.as_ref() }.ok_or_else(|| Error::invalid_argument(format!("'{name}' is NULL")))
}

/// A string from C: NULL and invalid UTF-8 are errors naming the parameter.
///
/// # Safety
/// `pointer` is NULL or points to a NUL-terminated string that lives for the call.
unsafe fn str_arg<'a>(pointer: *const c_char, name: &str) -> Result<&'a str> {
    if pointer.is_null() {
        return Err(Error::invalid_argument(format!("'{name}' is NULL")));
    }
    // SAFETY: non-NULL, and NUL-terminated per this function's contract.
    unsafe { CStr::from_ptr(pointer) }
        .to_str()
        .map_err(|_| Error::invalid_argument(format!("'{name}' is not valid UTF-8")))
}

/// Checks an out-parameter before any work is done, so NULL fails early and cleanly.
fn out_arg<T>(pointer: *mut *mut T, name: &str) -> Result<*mut *mut T> {
    if pointer.is_null() {
        Err(Error::invalid_argument(format!("'{name}' is NULL")))
    } else {
        Ok(pointer)
    }
}

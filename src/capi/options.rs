//! `vf_options`: the builder a client is made from.

use std::ffi::c_char;

use super::{
    arg, call, guard,
    ownership::{free_c, to_c},
    str_arg,
};
use crate::{error::Error, error::Status, options::Options};

/// Options for a client, set by key. Not thread-safe: use one from one thread at a time.
/// Free with vf_options_free().
pub struct vf_options {
    pub(crate) inner: Options,
}

/// A new, empty set of options. Returns NULL only if the library hit an internal error.
/// Free with vf_options_free().
#[unsafe(no_mangle)]
pub extern "C" fn vf_options_new() -> *mut vf_options {
    guard(std::ptr::null_mut(), || to_c(vf_options { inner: Options::new() }))
}

/// Sets option `key` (e.g. "authority", "client_id", "client_secret", "scope") to `value`.
/// An empty value resets the key to its default. Both strings are copied.
///
/// Fails with VF_STATUS_CONFIG for an unknown key, a malformed value, or a value with a CR, LF
/// or NUL; the message names the key, never the value. VF_STATUS_INVALID_ARGUMENT for NULL
/// arguments or invalid UTF-8.
///
/// # Safety
/// `options` is NULL or from vf_options_new(); `key` and `value` are NULL or NUL-terminated;
/// `err` is NULL or points to a writable `vf_error *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_options_set(
    options: *mut vf_options,
    key: *const c_char,
    value: *const c_char,
    err: *mut *mut Error,
) -> Status {
    call("vf_options_set", err, || {
        // SAFETY: per this function's contract.
        let options = unsafe { options.as_mut() }.ok_or_else(|| Error::invalid_argument("'options' is NULL"))?;
        // SAFETY: per this function's contract.
        let (key, value) = unsafe { (str_arg(key, "key")?, str_arg(value, "value")?) };
        options.inner.set(key, value)
    })
}

/// Sets every option whose environment variable is present and not empty: `VF_` and the key
/// in upper case (VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET, VF_CLIENT_SECRET_FILE,
/// VF_SCOPE, ...). Fails like vf_options_set(), naming the variable.
///
/// # Safety
/// `options` is NULL or from vf_options_new(); `err` is NULL or points to a writable
/// `vf_error *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_options_from_env(options: *mut vf_options, err: *mut *mut Error) -> Status {
    call("vf_options_from_env", err, || {
        // SAFETY: per this function's contract.
        let options = unsafe { options.as_mut() }.ok_or_else(|| Error::invalid_argument("'options' is NULL"))?;
        options.inner.load_env()
    })
}

/// Frees options. NULL is ignored. Clients made from them are not affected.
///
/// # Safety
/// `options` is NULL or from vf_options_new() and not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_options_free(options: *mut vf_options) {
    guard((), || {
        // SAFETY: from vf_options_new, freed once per the contract.
        unsafe { free_c(options) }
    })
}

/// Checks `options` for C callers; shared with vf_client_new().
pub(super) unsafe fn options_arg<'a>(options: *const vf_options) -> crate::error::Result<&'a Options> {
    // SAFETY: forwarded contract of the caller.
    unsafe { arg(options, "options") }.map(|o| &o.inner)
}

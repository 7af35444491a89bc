//! Library-wide functions: version, ABI version, status names.

use std::ffi::c_char;

use super::guard;
use crate::error::Status;

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

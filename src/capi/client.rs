//! `vf_client`: thread-safe, shared by all threads of a program.

use super::{call, guard, options::options_arg, out_arg};
use crate::{client::Client, error::Error, error::Status};

use super::options::vf_options;

/// A client for one identity. Thread-safe: share one across all threads. Clients with the same
/// authority, client id, secret, scopes and resource share one cached token, even across
/// libraries of one process. Free with vf_client_free().
pub struct vf_client {
    pub(crate) inner: Client,
}

/// Checks `options` and makes a client in `*out`. Sends no request: the first token call does.
///
/// Fails with VF_STATUS_CONFIG when a required option is missing (authority or token_endpoint,
/// client_id, client_secret or client_secret_file), when they conflict, when the secret file
/// cannot be read, or when a URL uses plain http to a host that is not loopback without
/// allow_http; VF_STATUS_TLS when ca_file cannot be read.
///
/// # Safety
/// `options` is NULL or from vf_options_new(); `out` is NULL or points to a writable
/// `vf_client *`; `err` is NULL or points to a writable `vf_error *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_client_new(
    options: *const vf_options,
    out: *mut *mut vf_client,
    err: *mut *mut Error,
) -> Status {
    call("vf_client_new", err, || {
        // SAFETY: per this function's contract.
        let options = unsafe { options_arg(options)? };
        let out = out_arg(out, "out")?;
        let client = Client::new(options)?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { *out = Box::into_raw(Box::new(vf_client { inner: client })) };
        Ok(())
    })
}

/// Frees a client. NULL is ignored. No other thread may be using it; tokens it handed out stay
/// valid until freed, and the cached token stays available to other clients.
///
/// # Safety
/// `client` is NULL or from vf_client_new() and not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_client_free(client: *mut vf_client) {
    guard((), || {
        if !client.is_null() {
            // SAFETY: from Box::into_raw in vf_client_new, freed once per the contract.
            drop(unsafe { Box::from_raw(client) });
        }
    })
}

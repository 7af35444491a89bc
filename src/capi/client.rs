//! `vf_client`: thread-safe, shared by all threads of a program.

use super::{
    call, guard,
    options::options_arg,
    out_arg,
    ownership::{free_c, to_c},
};
use crate::{
    client::{Client, Stats},
    error::Error,
    error::Status,
};

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
        unsafe { *out = to_c(vf_client { inner: client }) };
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
        // SAFETY: from vf_client_new, freed once per the contract.
        unsafe { free_c(client) }
    })
}

/// Lifts a hold on the client's identity, so the next vf_token_get() that needs a token asks
/// the authority at once: the wait a Retry-After imposed (at most the max_retry_after option,
/// 300 s by default), the backoff after failures, or a remembered refusal such as
/// invalid_client. For an operator who fixed the cause and does not want to wait. The cached
/// token, if any, is kept; every client of the same identity is affected. VF_STATUS_OK whether
/// or not a hold was in force; VF_STATUS_INVALID_ARGUMENT if `client` is NULL.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_client_clear_hold(client: *const vf_client) -> Status {
    call("vf_client_clear_hold", std::ptr::null_mut(), || {
        // SAFETY: per this function's contract.
        let client = unsafe { super::arg(client, "client")? };
        client.inner.clear_hold();
        Ok(())
    })
}

/// Counters of one client since it was made, read with vf_client_stats().
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct vf_stats {
    /// Token calls answered from the cache.
    pub hits: u64,
    /// Token calls not answered from this process's cache: they waited for a request to the
    /// authority, or read the host-level cache.
    pub misses: u64,
    /// Token requests this client sent to the authority, retries included.
    pub requests: u64,
    /// Of those, the ones that failed.
    pub failed_requests: u64,
    /// Token calls that returned an error.
    pub errors: u64,
}

/// Counters of one client's shared cache levels since it was made, read with
/// vf_client_shared_stats(): the host level (option `cache_dir`) and the fleet level in Redis
/// (option `redis_url`). All zero where a level is off.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct vf_shared_stats {
    /// Tokens taken from the host-level cache (fetched by another process) instead of asking
    /// the authority: on a miss, or for a refresh.
    pub shared_hits: u64,
    /// Tokens taken from the fleet-level cache (Redis: fetched by another host or process)
    /// instead of asking the authority.
    pub redis_hits: u64,
    /// Looks in Redis that found no usable token (then one host asked the authority).
    pub redis_misses: u64,
    /// Redis commands that failed; each made the client skip Redis for a while and ask the
    /// authority directly.
    pub redis_errors: u64,
}

/// Copies the client's counters into `*out`. Safe to call while other threads use the client.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or points to a writable vf_stats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_client_stats(client: *const vf_client, out: *mut vf_stats) -> Status {
    // SAFETY: forwarded contract.
    unsafe {
        copy_stats("vf_client_stats", client, out, |stats| vf_stats {
            hits: stats.hits,
            misses: stats.misses,
            requests: stats.requests,
            failed_requests: stats.failed_requests,
            errors: stats.errors,
        })
    }
}

/// Copies the counters of the client's shared cache levels into `*out` (vf_client_stats()
/// has the process-level ones; vf_stats keeps its size, so programs built against it keep
/// working). Safe to call while other threads use the client.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or points to a writable vf_shared_stats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_client_shared_stats(client: *const vf_client, out: *mut vf_shared_stats) -> Status {
    // SAFETY: forwarded contract.
    unsafe {
        copy_stats("vf_client_shared_stats", client, out, |stats| vf_shared_stats {
            shared_hits: stats.shared_hits,
            redis_hits: stats.redis_hits,
            redis_misses: stats.redis_misses,
            redis_errors: stats.redis_errors,
        })
    }
}

/// Puts `pick(the client's counters)` into `*out`: the body of both stats calls.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or points to a writable `T`.
unsafe fn copy_stats<T>(
    function: &str,
    client: *const vf_client,
    out: *mut T,
    pick: impl FnOnce(&Stats) -> T,
) -> Status {
    call(function, std::ptr::null_mut(), || {
        // SAFETY: per this function's contract.
        let client = unsafe { super::arg(client, "client")? };
        // SAFETY: per this function's contract.
        let out = unsafe { out.as_mut() }.ok_or_else(|| Error::invalid_argument("'out' is NULL"))?;
        *out = pick(&client.inner.stats());
        Ok(())
    })
}

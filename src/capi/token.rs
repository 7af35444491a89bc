//! `vf_token`: an immutable snapshot of a cached token, shared by reference counting.

use std::{
    ffi::c_char,
    ptr,
    time::{Duration, Instant},
};

use super::{
    arg, call,
    client::vf_client,
    guard, out_arg,
    ownership::{free_c, to_c_shared},
    str_arg,
};
use crate::{error::Error, error::Result, error::Status, token::Token};

/// Gets a token valid beyond the safety buffer (10 % of its lifetime, at most 60 s) into
/// `*out`: the cached one when there is one, else one fetched now. Concurrent callers that miss
/// share one request. The token is yours until vf_token_free(); it stays readable after later
/// calls replace the cached one.
///
/// Blocks at most the client's `timeout_ms`. Fails with VF_STATUS_OAUTH when the authority
/// refuses (see vf_error_oauth_error()), VF_STATUS_NETWORK / VF_STATUS_TIMEOUT /
/// VF_STATUS_TLS when it cannot be reached, VF_STATUS_DISCOVERY, VF_STATUS_HTTP or
/// VF_STATUS_PROTOCOL when its answer is unusable.
///
/// # Safety
/// `client` is NULL or a live client; `out` is NULL or points to a writable `vf_token *`;
/// `err` is NULL or points to a writable `vf_error *`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_get(client: *const vf_client, out: *mut *mut Token, err: *mut *mut Error) -> Status {
    // SAFETY: forwarded contract.
    unsafe { get(client, Duration::ZERO, out, err, "vf_token_get") }
}

/// Like vf_token_get(), but the token stays valid for at least `seconds` more: a 20-minute
/// transcode asks for 1200. Fetches a new token if the cached one would expire sooner. Fails
/// with VF_STATUS_INVALID_ARGUMENT, without a request, if the authority's tokens cannot last
/// that long (their lifetime less the safety buffer).
///
/// # Safety
/// As vf_token_get().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_get_valid_for(
    client: *const vf_client,
    seconds: u32,
    out: *mut *mut Token,
    err: *mut *mut Error,
) -> Status {
    // SAFETY: forwarded contract.
    unsafe {
        get(
            client,
            Duration::from_secs(seconds.into()),
            out,
            err,
            "vf_token_get_valid_for",
        )
    }
}

unsafe fn get(
    client: *const vf_client,
    min_valid: Duration,
    out: *mut *mut Token,
    err: *mut *mut Error,
    function: &str,
) -> Status {
    // SAFETY: forwarded contract.
    if unsafe { hit(client, min_valid, out) } {
        return Status::Ok;
    }
    call(function, err, || {
        // SAFETY: per the caller's contract.
        let client = unsafe { arg(client, "client")? };
        let out = out_arg(out, "out")?;
        let token = client.inner.token_past_hit(min_valid)?;
        // SAFETY: checked non-NULL; writable per the contract. The Arc is released by vf_token_free.
        unsafe { *out = to_c_shared(token) };
        Ok(())
    })
}

/// Like vf_token_get_valid_for(), but only from the cache: never sends a request and never
/// waits for one, so an event loop may call it. Returns VF_STATUS_OK with `*out` set to the
/// cached token if one is valid for `seconds` more (beyond the safety buffer), or VF_STATUS_OK
/// with `*out` NULL if none is: then call vf_token_get() / vf_token_get_valid_for() where
/// blocking is fine (say, on a worker thread). A refresh that is due is started in the
/// background, as by vf_token_get().
///
/// # Safety
/// As vf_token_get().
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_get_cached(
    client: *const vf_client,
    seconds: u32,
    out: *mut *mut Token,
    err: *mut *mut Error,
) -> Status {
    let min_valid = Duration::from_secs(seconds.into());
    // SAFETY: forwarded contract.
    if unsafe { hit(client, min_valid, out) } {
        return Status::Ok;
    }
    call("vf_token_get_cached", err, || {
        // SAFETY: per this function's contract.
        let client = unsafe { arg(client, "client")? };
        let out = out_arg(out, "out")?;
        let token = client.inner.cached_token_past_hit(min_valid)?;
        // SAFETY: checked non-NULL; writable per the contract. The Arc is released by vf_token_free.
        unsafe { *out = token.map_or(ptr::null_mut(), to_c_shared) };
        Ok(())
    })
}

/// Whether `token`, which you hold, is still the client's cached token and valid for at least
/// `seconds` more (beyond the safety buffer): then keep using it. A cheaper cache hit for a
/// caller that keeps one token between uses: no reference is taken or released, and nothing
/// but the client's hit counter is written, so it costs about a clock read. Counted as a hit
/// when true.
///
/// false means "ask again", not "unusable": the token is not the current one (a newer one is
/// cached, it was invalidated, it came from a client of another identity — clients of one
/// identity share the cache — or from the request that fetched it), or a refresh is due. Then vf_token_free() it and take one from vf_token_get() /
/// vf_token_get_valid_for() (which starts the refresh); a token these gave on a hit is one
/// this function recognises afterwards. Never blocks, never fails: NULL arguments and
/// `seconds` beyond any token's life give false. Keep one token per thread: a true answer
/// bumps the hits counter of the thread that got the token, so threads sharing one token
/// share that counter's cache line and stop scaling with cores.
///
/// ```c
/// if (!vf_token_is_current(client, token, 0)) {
///     vf_token_free(token);
///     token = NULL;
///     if (vf_token_get(client, &token, &err) != VF_STATUS_OK) { /* handle err */ }
/// }
/// ```
///
/// # Safety
/// `client` is NULL or a live client; `token` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_is_current(client: *const vf_client, token: *const Token, seconds: u32) -> bool {
    if client.is_null() || token.is_null() {
        return false;
    }
    guard(false, || {
        // SAFETY: non-NULL, so live per the contract.
        let (client, token) = unsafe { (&*client, &*token) };
        client.inner.is_current(token, Duration::from_secs(seconds.into()))
    })
}

/// The cache hit, tried before anything else: puts this thread's replica of the cached token
/// into `*out` and says true, or says false and leaves the call to the exact path, which also
/// reports NULL arguments. Kept apart so that a hit builds no `Result` and sets up no error.
///
/// # Safety
/// As vf_token_get().
#[inline(always)]
unsafe fn hit(client: *const vf_client, min_valid: Duration, out: *mut *mut Token) -> bool {
    if client.is_null() || out.is_null() {
        return false;
    }
    // SAFETY: non-NULL, so a live client per the contract.
    let Some(token) = guard(None, || unsafe { &*client }.inner.hit(min_valid)) else {
        return false;
    };
    // SAFETY: checked non-NULL; writable per the contract. The Arc is released by vf_token_free.
    unsafe { *out = to_c_shared(token) };
    true
}

/// Tells the cache that the API rejected `rejected_access_token` (say, with HTTP 401): if it
/// is still the cached token, it is dropped and the next vf_token_get() fetches a new one. A
/// newer cached token is kept, so many threads reporting the same old token cause one refetch.
///
/// # Safety
/// `client` is NULL or a live client; `rejected_access_token` is NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_invalidate(client: *const vf_client, rejected_access_token: *const c_char) -> Status {
    call("vf_token_invalidate", ptr::null_mut(), || {
        // SAFETY: per this function's contract.
        let (client, rejected) = unsafe {
            (
                arg(client, "client")?,
                str_arg(rejected_access_token, "rejected_access_token")?,
            )
        };
        client.inner.invalidate(rejected);
        Ok(())
    })
}

/// Releases a token from vf_token_get(). NULL is ignored. Any thread may free it.
///
/// # Safety
/// `token` is NULL or from vf_token_get() / vf_token_get_valid_for() and not freed before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_free(token: *mut Token) {
    guard((), || {
        // SAFETY: from vf_token_get, released once per the contract.
        unsafe { free_c(token) }
    })
}

/// Reads a field of a token, or returns `default` for NULL.
///
/// # Safety
/// `token` is NULL or a live token.
unsafe fn read<T>(token: *const Token, default: T, field: impl FnOnce(&Token) -> T) -> T {
    // SAFETY: per the caller's contract.
    let token: Result<&Token> = unsafe { arg(token, "token") };
    token.map_or(default, field)
}

/// The access token, NUL-terminated. Lives as long as `token`. NULL if `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_access_token(token: *const Token) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { read(token, ptr::null(), |t| t.access_token.as_ptr()) }
}

/// "Bearer <access token>": the value of an HTTP Authorization header. Lives as long as
/// `token`. NULL if `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_authorization(token: *const Token) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { read(token, ptr::null(), |t| t.authorization.as_ptr()) }
}

/// The token type: always "Bearer" (other types are refused). NULL if `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_type(token: *const Token) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { read(token, ptr::null(), |t| t.token_type.as_ptr()) }
}

/// The granted scopes, space-separated (as requested if the authority did not say); "" when
/// none. Lives as long as `token`. NULL if `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_scope(token: *const Token) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { read(token, ptr::null(), |t| t.scope.as_ptr()) }
}

/// When the token expires, in seconds since the Unix epoch (from the time the request was
/// sent plus `expires_in`). 0 if `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_expires_at(token: *const Token) -> i64 {
    // SAFETY: forwarded contract.
    unsafe { read(token, 0, Token::expires_at_unix) }
}

/// Seconds the token stays valid from now, on the monotonic clock (immune to wall-clock
/// changes); 0 once expired or if `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vf_token_expires_in(token: *const Token) -> i64 {
    // SAFETY: forwarded contract.
    unsafe { read(token, 0, |t| t.remaining(Instant::now()).as_secs() as i64) }
}

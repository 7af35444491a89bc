//! The C contract, exercised through the exported functions exactly as C calls them.

mod support;

use std::{
    ffi::{CStr, CString, c_char},
    ptr, thread,
};

use support::{Authority, POST_CLIENT, assert_no_secret, in_child};
use vidiflow_auth::{Status, capi::*};

fn c(text: &str) -> CString {
    CString::new(text).unwrap()
}

fn text(pointer: *const c_char) -> Option<String> {
    (!pointer.is_null()).then(|| unsafe { CStr::from_ptr(pointer) }.to_str().unwrap().to_owned())
}

/// Takes an error out-parameter: its status, message, and frees it.
fn take_error(error: *mut vidiflow_auth::Error) -> (Status, String) {
    assert!(!error.is_null(), "a failure hands out an error");
    let result = unsafe { (vf_error_status(error), text(vf_error_message(error)).unwrap()) };
    unsafe { vf_error_free(error) };
    result
}

fn options_for(authority: &Authority, (id, secret): (&str, &str)) -> *mut vf_options {
    let options = vf_options_new();
    for (key, value) in [
        ("authority", authority.url.as_str()),
        ("client_id", id),
        ("client_secret", secret),
        ("scope", "api1"),
        // No host level unless a test sets one: request counts stay this process's own.
        ("cache_dir", "none"),
    ] {
        assert_eq!(
            unsafe { vf_options_set(options, c(key).as_ptr(), c(value).as_ptr(), ptr::null_mut()) },
            Status::Ok
        );
    }
    options
}

fn client_for(authority: &Authority, identity: (&str, &str)) -> *mut vf_client {
    let options = options_for(authority, identity);
    let mut client = ptr::null_mut();
    assert_eq!(
        unsafe { vf_client_new(options, &mut client, ptr::null_mut()) },
        Status::Ok
    );
    unsafe { vf_options_free(options) };
    client
}

#[test]
fn token_through_the_c_api() {
    let authority = Authority::start();
    let client = client_for(&authority, POST_CLIENT);
    let mut token = ptr::null_mut();
    assert_eq!(unsafe { vf_token_get(client, &mut token, ptr::null_mut()) }, Status::Ok);
    let access = text(unsafe { vf_token_access_token(token) }).unwrap();
    assert_eq!(
        text(unsafe { vf_token_authorization(token) }).unwrap(),
        format!("Bearer {access}")
    );
    assert_eq!(text(unsafe { vf_token_type(token) }).unwrap(), "Bearer");
    assert_eq!(text(unsafe { vf_token_scope(token) }).unwrap(), "api1");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now + 3590..=now + 3601).contains(&unsafe { vf_token_expires_at(token) }));
    assert!((3590..=3600).contains(&unsafe { vf_token_expires_in(token) }));

    let mut again = ptr::null_mut();
    assert_eq!(
        unsafe { vf_token_get_valid_for(client, 1200, &mut again, ptr::null_mut()) },
        Status::Ok
    );
    assert_eq!(text(unsafe { vf_token_access_token(again) }).unwrap(), access);
    assert_eq!(authority.token_requests(), 1);

    assert_eq!(
        unsafe { vf_token_invalidate(client, vf_token_access_token(token)) },
        Status::Ok
    );
    unsafe { vf_token_free(again) };
    assert_eq!(unsafe { vf_token_get(client, &mut again, ptr::null_mut()) }, Status::Ok);
    assert_ne!(text(unsafe { vf_token_access_token(again) }).unwrap(), access);
    assert_eq!(
        access,
        text(unsafe { vf_token_access_token(token) }).unwrap(),
        "a held token stays readable"
    );
    unsafe {
        vf_token_free(token);
        vf_token_free(again);
        vf_client_free(client);
    }
}

fn hits(client: *const vf_client) -> u64 {
    let mut stats = vf_stats::default();
    assert_eq!(unsafe { vf_client_stats(client, &mut stats) }, Status::Ok);
    stats.hits
}

fn get(client: *const vf_client) -> *mut vidiflow_auth::Token {
    let mut token = ptr::null_mut();
    assert_eq!(unsafe { vf_token_get(client, &mut token, ptr::null_mut()) }, Status::Ok);
    token
}

#[test]
fn a_kept_token_is_current_until_the_cache_moves_on() {
    let authority = Authority::start();
    let client = client_for(&authority, POST_CLIENT);
    let fetched = get(client);
    assert!(
        !unsafe { vf_token_is_current(client, fetched, 0) },
        "the token of the request itself is not a hit's token: ask again"
    );
    let held = get(client);
    let before = hits(client);
    assert!(unsafe { vf_token_is_current(client, held, 0) });
    assert!(unsafe { vf_token_is_current(client, held, 1200) });
    assert_eq!(hits(client), before + 2, "each true answer counts as a hit");
    assert!(
        !unsafe { vf_token_is_current(client, held, 3600) },
        "an hour token cannot promise another hour"
    );
    assert!(!unsafe { vf_token_is_current(client, held, u32::MAX) });
    assert!(!unsafe { vf_token_is_current(ptr::null(), held, 0) });
    assert!(!unsafe { vf_token_is_current(client, ptr::null(), 0) });
    assert_eq!(hits(client), before + 2, "false answers count nothing");

    // Another client of the same identity shares the cache; one of another scope does not.
    let twin = client_for(&authority, POST_CLIENT);
    assert!(unsafe { vf_token_is_current(twin, held, 0) });
    let options = options_for(&authority, POST_CLIENT);
    unsafe { vf_options_set(options, c("scope").as_ptr(), c("api2").as_ptr(), ptr::null_mut()) };
    let mut other_scope = ptr::null_mut();
    assert_eq!(
        unsafe { vf_client_new(options, &mut other_scope, ptr::null_mut()) },
        Status::Ok
    );
    unsafe { vf_options_free(options) };
    let other_token = get(other_scope);
    let other_token = {
        unsafe { vf_token_free(other_token) };
        get(other_scope)
    };
    assert!(unsafe { vf_token_is_current(other_scope, other_token, 0) });
    assert!(!unsafe { vf_token_is_current(client, other_token, 0) });
    assert!(!unsafe { vf_token_is_current(other_scope, held, 0) });

    // A token another thread got on a hit is as current here.
    let client_address = client as usize;
    let from_thread = thread::spawn(move || get(client_address as *const vf_client) as usize)
        .join()
        .unwrap() as *mut vidiflow_auth::Token;
    assert_ne!(from_thread, held, "each thread has its own copy");
    assert!(unsafe { vf_token_is_current(client, from_thread, 0) });

    // A forked child starts with a cache of its own, whose versions continue the parent's
    // counter: once it has a token of its own, the parent's is still not current there.
    let held_address = held as usize;
    assert_eq!(
        in_child(move || {
            let client = client_address as *const vf_client;
            let own = get(client);
            let own_again = get(client);
            let answers = unsafe {
                (
                    vf_token_is_current(client, held_address as *const _, 0),
                    vf_token_is_current(client, own_again, 0),
                )
            };
            unsafe {
                vf_token_free(own);
                vf_token_free(own_again);
            }
            answers == (false, true)
        }),
        Some(0)
    );
    assert!(
        unsafe { vf_token_is_current(client, held, 0) },
        "and still is in the parent"
    );

    // Invalidated: not current any more, and the next token is a new one.
    let access = text(unsafe { vf_token_access_token(held) }).unwrap();
    assert_eq!(unsafe { vf_token_invalidate(client, c(&access).as_ptr()) }, Status::Ok);
    assert!(!unsafe { vf_token_is_current(client, held, 0) });
    assert!(!unsafe { vf_token_is_current(client, from_thread, 0) });
    let renewed = get(client);
    let renewed = {
        unsafe { vf_token_free(renewed) };
        get(client)
    };
    assert_ne!(text(unsafe { vf_token_access_token(renewed) }).unwrap(), access);
    assert!(unsafe { vf_token_is_current(client, renewed, 0) });
    assert_eq!(
        text(unsafe { vf_token_access_token(held) }).unwrap(),
        access,
        "a token that is not current stays readable"
    );
    // The first, the one for another scope, the forked child's own, and the renewed one.
    assert_eq!(authority.token_requests(), 4);
    unsafe {
        for token in [fetched, held, from_thread, renewed, other_token] {
            vf_token_free(token);
        }
        for client in [client, twin, other_scope] {
            vf_client_free(client);
        }
    }
}

#[test]
fn a_kept_token_is_not_current_once_its_refresh_is_due() {
    // 4-second tokens: a refresh is due after at most 3 s (75 %), usable until 3.6 s.
    let authority = Authority::start_with(&[("VF_TEST_TOKEN_TTL", "4")]);
    let client = client_for(&authority, POST_CLIENT);
    unsafe { vf_token_free(get(client)) };
    let held = get(client);
    assert!(unsafe { vf_token_is_current(client, held, 0) });
    thread::sleep(std::time::Duration::from_millis(3100));
    assert!(
        !unsafe { vf_token_is_current(client, held, 0) },
        "past the refresh point: false, so the caller's vf_token_get starts the refresh"
    );
    let during_refresh = get(client);
    assert_eq!(
        text(unsafe { vf_token_access_token(during_refresh) }),
        text(unsafe { vf_token_access_token(held) }),
        "the still-valid token is served while the refresh runs"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while authority.token_requests() < 2 && std::time::Instant::now() < deadline {
        thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(authority.token_requests(), 2, "one refresh");
    // Until the refresh lands the held token stays current (it is still served).
    while unsafe { vf_token_is_current(client, held, 0) } {
        assert!(
            std::time::Instant::now() < deadline,
            "the refresh never replaced the token"
        );
        thread::sleep(std::time::Duration::from_millis(20));
    }
    unsafe {
        vf_token_free(held);
        vf_token_free(during_refresh);
        vf_client_free(client);
    }
}

#[test]
fn shared_stats_count_a_token_another_process_left_in_the_host_level() {
    let authority = Authority::start();
    let cache = std::env::temp_dir().join(format!("vf-capi-shared-stats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let options = options_for(&authority, POST_CLIENT);
    let cache_text = c(cache.to_str().unwrap());
    assert_eq!(
        unsafe { vf_options_set(options, c("cache_dir").as_ptr(), cache_text.as_ptr(), ptr::null_mut()) },
        Status::Ok
    );
    let new_client = || {
        let mut client = ptr::null_mut();
        assert_eq!(
            unsafe { vf_client_new(options, &mut client, ptr::null_mut()) },
            Status::Ok
        );
        client
    };
    let shared_stats = |client: *const vf_client| {
        let mut stats = vf_shared_stats::default();
        assert_eq!(unsafe { vf_client_shared_stats(client, &mut stats) }, Status::Ok);
        stats
    };
    let parent = new_client();
    unsafe { vf_token_free(get(parent)) };
    assert_eq!(
        shared_stats(parent),
        vf_shared_stats::default(),
        "the parent asked the authority"
    );

    // A child process starts with an empty process cache and finds the token on the host level.
    let child = in_child(|| {
        let client = new_client();
        unsafe { vf_token_free(get(client)) };
        let mut stats = vf_stats::default();
        unsafe { vf_client_stats(client, &mut stats) };
        shared_stats(client)
            == vf_shared_stats {
                shared_hits: 1,
                ..Default::default()
            }
            && stats.requests == 0
            && stats.misses == 1
    });
    assert_eq!(child, Some(0), "the child counts one shared hit and sends no request");
    assert_eq!(authority.token_requests(), 1);

    let mut stats = vf_shared_stats::default();
    assert_eq!(
        unsafe { vf_client_shared_stats(ptr::null(), &mut stats) },
        Status::InvalidArgument
    );
    assert_eq!(
        unsafe { vf_client_shared_stats(parent, ptr::null_mut()) },
        Status::InvalidArgument
    );
    unsafe {
        vf_client_free(parent);
        vf_options_free(options);
    }
    let _ = std::fs::remove_dir_all(&cache);
}

#[test]
fn cached_only_get_never_requests() {
    let authority = Authority::start();
    let client = client_for(&authority, POST_CLIENT);
    let mut token = ptr::dangling_mut();
    assert_eq!(
        unsafe { vf_token_get_cached(client, 0, &mut token, ptr::null_mut()) },
        Status::Ok
    );
    assert!(token.is_null(), "nothing cached yet: NULL, and no request");
    assert_eq!(authority.token_requests(), 0);

    let mut fetched = ptr::null_mut();
    assert_eq!(
        unsafe { vf_token_get(client, &mut fetched, ptr::null_mut()) },
        Status::Ok
    );
    for seconds in [0, 1200] {
        assert_eq!(
            unsafe { vf_token_get_cached(client, seconds, &mut token, ptr::null_mut()) },
            Status::Ok
        );
        assert_eq!(
            text(unsafe { vf_token_access_token(token) }),
            text(unsafe { vf_token_access_token(fetched) })
        );
        unsafe { vf_token_free(token) };
    }
    // Longer than the hour token can promise: none cached for that, still no request.
    assert_eq!(
        unsafe { vf_token_get_cached(client, 3600, &mut token, ptr::null_mut()) },
        Status::Ok
    );
    assert!(token.is_null());
    let mut error = ptr::null_mut();
    assert_eq!(
        unsafe { vf_token_get_cached(ptr::null(), 0, &mut token, &mut error) },
        Status::InvalidArgument
    );
    assert!(take_error(error).1.contains("'client'"));
    assert_eq!(authority.token_requests(), 1);
    unsafe {
        vf_token_free(fetched);
        vf_client_free(client);
    }
}

#[test]
fn oauth_error_fields_reach_c() {
    let authority = Authority::start();
    let client = client_for(&authority, (POST_CLIENT.0, "wrong-secret"));
    let mut token = ptr::null_mut();
    let mut error = ptr::null_mut();
    assert_eq!(unsafe { vf_token_get(client, &mut token, &mut error) }, Status::Oauth);
    assert!(token.is_null(), "out-parameters are written only on success");
    unsafe {
        assert_eq!(text(vf_error_oauth_error(error)).as_deref(), Some("invalid_client"));
        assert!(text(vf_error_oauth_description(error)).is_some());
        assert_eq!(vf_error_http_status(error), 401);
        assert_eq!(vf_error_retry_after_ms(error), 0);
        assert_no_secret(&text(vf_error_message(error)).unwrap());
        vf_error_free(error);
        // The status alone, with no error object.
        assert_eq!(vf_token_get(client, &mut token, ptr::null_mut()), Status::Oauth);
        vf_client_free(client);
    }
}

#[test]
fn null_pointers_are_invalid_arguments_and_outputs_stay_untouched() {
    let options = vf_options_new();
    let key = c("scope");
    let sentinel = ptr::dangling_mut::<vf_client>();
    let mut client = sentinel;
    let mut token = ptr::dangling_mut::<vidiflow_auth::Token>();
    let mut error = ptr::null_mut();
    unsafe {
        assert_eq!(
            vf_options_set(ptr::null_mut(), key.as_ptr(), key.as_ptr(), &mut error),
            Status::InvalidArgument
        );
        assert!(take_error(error).1.contains("'options' is NULL"));
        assert_eq!(
            vf_options_set(options, ptr::null(), key.as_ptr(), &mut error),
            Status::InvalidArgument
        );
        assert!(take_error(error).1.contains("'key' is NULL"));
        assert_eq!(
            vf_options_set(options, key.as_ptr(), ptr::null(), &mut error),
            Status::InvalidArgument
        );
        assert!(take_error(error).1.contains("'value' is NULL"));
        assert_eq!(
            vf_options_from_env(ptr::null_mut(), &mut error),
            Status::InvalidArgument
        );
        take_error(error);
        assert_eq!(
            vf_client_new(ptr::null(), &mut client, &mut error),
            Status::InvalidArgument
        );
        assert!(take_error(error).1.contains("'options' is NULL"));
        assert_eq!(
            vf_client_new(options, ptr::null_mut(), &mut error),
            Status::InvalidArgument
        );
        assert!(take_error(error).1.contains("'out' is NULL"));
        assert_eq!(client, sentinel);
        assert_eq!(
            vf_token_get(ptr::null(), &mut token, &mut error),
            Status::InvalidArgument
        );
        assert!(take_error(error).1.contains("'client' is NULL"));
        assert_eq!(
            vf_token_get_valid_for(ptr::null(), 5, &mut token, &mut error),
            Status::InvalidArgument
        );
        take_error(error);
        assert_eq!(token, ptr::dangling_mut::<vidiflow_auth::Token>());
        assert_eq!(vf_token_invalidate(ptr::null(), key.as_ptr()), Status::InvalidArgument);

        assert!(vf_token_access_token(ptr::null()).is_null());
        assert!(vf_token_authorization(ptr::null()).is_null());
        assert!(vf_token_type(ptr::null()).is_null());
        assert!(vf_token_scope(ptr::null()).is_null());
        assert_eq!(vf_token_expires_at(ptr::null()), 0);
        assert_eq!(vf_token_expires_in(ptr::null()), 0);
        assert_eq!(vf_error_status(ptr::null()), Status::InvalidArgument);
        assert!(vf_error_message(ptr::null()).is_null());
        assert!(vf_error_oauth_error(ptr::null()).is_null());
        assert!(vf_error_oauth_description(ptr::null()).is_null());
        assert!(vf_error_oauth_uri(ptr::null()).is_null());
        assert_eq!(vf_error_http_status(ptr::null()), 0);
        assert_eq!(vf_error_retry_after_ms(ptr::null()), 0);

        vf_options_free(ptr::null_mut());
        vf_client_free(ptr::null_mut());
        vf_token_free(ptr::null_mut());
        vf_error_free(ptr::null_mut());
        vf_options_free(options);
    }
}

#[test]
fn invalid_utf8_is_an_error_not_a_crash() {
    let options = vf_options_new();
    let bad = b"sc\xffope\0";
    let mut error = ptr::null_mut();
    unsafe {
        assert_eq!(
            vf_options_set(options, bad.as_ptr().cast(), c("x").as_ptr(), &mut error),
            Status::InvalidArgument
        );
        assert!(take_error(error).1.contains("'key' is not valid UTF-8"));
        assert_eq!(
            vf_options_set(options, c("scope").as_ptr(), bad.as_ptr().cast(), &mut error),
            Status::InvalidArgument
        );
        assert!(take_error(error).1.contains("'value' is not valid UTF-8"));
        vf_options_free(options);
    }
}

#[test]
fn bad_options_name_the_key_never_the_secret() {
    let options = vf_options_new();
    let mut error = ptr::null_mut();
    unsafe {
        let status = vf_options_set(
            options,
            c("client_secret").as_ptr(),
            c("top\r\nsecret").as_ptr(),
            &mut error,
        );
        assert_eq!(status, Status::Config);
        let (_, message) = take_error(error);
        assert!(
            message.contains("client_secret") && message.contains("line break"),
            "{message}"
        );
        assert!(!message.contains("top"), "{message}");
        assert_eq!(
            vf_options_set(options, c("colour").as_ptr(), c("red").as_ptr(), &mut error),
            Status::Config
        );
        assert!(
            take_error(error)
                .1
                .contains("unknown option key (6 characters, not repeated here)")
        );
        let mut client = ptr::null_mut();
        assert_eq!(vf_client_new(options, &mut client, &mut error), Status::Config);
        assert!(take_error(error).1.contains("'authority'"));
        assert!(client.is_null());
        vf_options_free(options);
    }
}

#[test]
fn tokens_errors_and_clients_may_be_freed_on_another_thread() {
    let authority = Authority::start();
    let client = client_for(&authority, POST_CLIENT) as usize;
    let mut token = ptr::null_mut();
    let mut error = ptr::null_mut();
    let access = unsafe {
        assert_eq!(
            vf_token_get(client as *const vf_client, &mut token, ptr::null_mut()),
            Status::Ok
        );
        vf_options_set(ptr::null_mut(), ptr::null(), ptr::null(), &mut error);
        text(vf_token_access_token(token)).unwrap()
    };
    let (token, error) = (token as usize, error as usize);
    // The other thread reads what it was handed, then frees all three.
    let seen = thread::spawn(move || unsafe {
        let seen = (
            text(vf_token_access_token(token as *const vidiflow_auth::Token)),
            text(vf_error_message(error as *const vidiflow_auth::Error)),
        );
        vf_token_free(token as *mut vidiflow_auth::Token);
        vf_error_free(error as *mut vidiflow_auth::Error);
        vf_client_free(client as *mut vf_client);
        seen
    })
    .join()
    .unwrap();
    assert_eq!(seen.0.as_deref(), Some(access.as_str()));
    assert!(seen.1.unwrap().contains("'options' is NULL"));

    // Freeing a client on another thread leaves the process-wide cache working: a new client
    // of the same identity gets the cached token, without a request.
    let again = client_for(&authority, POST_CLIENT);
    let mut token = ptr::null_mut();
    unsafe {
        assert_eq!(vf_token_get(again, &mut token, ptr::null_mut()), Status::Ok);
        assert_eq!(text(vf_token_access_token(token)).as_deref(), Some(access.as_str()));
        vf_token_free(token);
        vf_client_free(again);
    }
    assert_eq!(authority.token_requests(), 1);
}

#[test]
fn status_names_for_any_number() {
    // Written out from the README's status table, not from the library's own table.
    let expected = [
        "VF_STATUS_OK",
        "VF_STATUS_INVALID_ARGUMENT",
        "VF_STATUS_CONFIG",
        "VF_STATUS_DISCOVERY",
        "VF_STATUS_NETWORK",
        "VF_STATUS_TIMEOUT",
        "VF_STATUS_TLS",
        "VF_STATUS_OAUTH",
        "VF_STATUS_HTTP",
        "VF_STATUS_PROTOCOL",
        "VF_STATUS_THROTTLED",
        "VF_STATUS_INTERNAL",
    ];
    for (number, name) in expected.iter().enumerate() {
        assert_eq!(
            text(vf_status_name(number as u32)).as_deref(),
            Some(*name),
            "status {number}"
        );
    }
    assert_eq!(Status::ALL.len(), expected.len(), "a status the README does not list");
    for unknown in [12, 1000, u32::MAX] {
        assert_eq!(text(vf_status_name(unknown)).unwrap(), "VF_STATUS_UNKNOWN");
    }
}

#[test]
fn versions() {
    assert_eq!(text(vf_version()).unwrap(), env!("CARGO_PKG_VERSION"));
    assert_eq!(vf_abi_version(), 1);
}

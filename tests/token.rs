//! The core against the real dev authority: the request on the wire, both client
//! authentication methods, OAuth errors, and the process-wide single-flight cache.

mod support;

use std::{
    sync::{Arc, Barrier},
    thread,
    time::{Duration, Instant},
};

use support::{Authority, BASIC_CLIENT, POST_CLIENT, RESERVED_CLIENT, SECOND_CLIENT, assert_no_secret};
use vidiflow_auth::{Client, Status};

#[test]
fn seed_request_is_sent_exactly_as_documented() {
    let authority = Authority::start();
    let token = Client::new(&authority.options(POST_CLIENT)).unwrap().token().unwrap();
    assert_eq!(token.access_token().split('.').count(), 3, "a JWT access token");
    assert_eq!(token.authorization(), format!("Bearer {}", token.access_token()));
    assert_eq!(token.scope(), "api1");

    let log = authority.token_request_log();
    assert_eq!(log.len(), 1);
    let request = &log[0];
    assert_eq!(request["method"], "POST");
    assert_eq!(request["path"], "/Integrations/Authentication/core/connect/token");
    assert_eq!(request["headers"]["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(request["headers"]["accept"], "application/json");
    assert!(request["headers"].get("authorization").is_none());
    assert_eq!(
        request["body"],
        "grant_type=client_credentials&scope=api1&client_id=vf-post&client_secret=post-secret-0123456789"
    );
}

#[test]
fn basic_authentication_encodes_an_awkward_secret() {
    // The dev authority is strict: vf-basic is refused unless it really uses Basic.
    let authority = Authority::start();
    let options = authority
        .options(BASIC_CLIENT)
        .with("auth_method", "client_secret_basic")
        .unwrap();
    Client::new(&options).unwrap().token().unwrap();

    let request = &authority.token_request_log()[0];
    assert_eq!(request["body"], "grant_type=client_credentials&scope=api1");
    assert_eq!(
        request["headers"]["authorization"],
        "Basic dmYtYmFzaWM6YSUyQmIlMkZjJTNEZCUyNWUlMjZmJTNBZw=="
    );
}

#[test]
fn basic_authentication_encodes_a_client_id_with_reserved_characters() {
    let authority = Authority::start();
    let options = authority
        .options(RESERVED_CLIENT)
        .with("auth_method", "client_secret_basic")
        .unwrap();
    let token = Client::new(&options).unwrap().token().unwrap();
    assert_eq!(token.scope(), "api1");
    let request = &authority.token_request_log()[0];
    // base64("vf%3Abasic+id%2B%2F%25%26%3D:reserved-secret-7a6b"): the colon in the id is
    // encoded, so the authority splits id and secret at the right place.
    assert_eq!(
        request["headers"]["authorization"],
        "Basic dmYlM0FiYXNpYytpZCUyQiUyRiUyNSUyNiUzRDpyZXNlcnZlZC1zZWNyZXQtN2E2Yg=="
    );
    assert_eq!(authority.token_requests_by_client()[RESERVED_CLIENT.0], 1);
}

#[test]
fn authority_with_a_path_works_with_and_without_trailing_slash() {
    let authority = Authority::start();
    for url in [authority.url.clone(), format!("{}/", authority.url)] {
        let options = authority
            .options(POST_CLIENT)
            .with("authority", &url)
            .unwrap()
            .with("scope", "api2")
            .unwrap();
        assert_eq!(Client::new(&options).unwrap().token().unwrap().scope(), "api2");
    }
}

#[test]
fn explicit_token_endpoint_skips_discovery() {
    let authority = Authority::start();
    let options = authority
        .options(POST_CLIENT)
        .with("authority", "")
        .unwrap()
        .with("token_endpoint", &format!("{}/connect/token", authority.url))
        .unwrap();
    Client::new(&options).unwrap().token().unwrap();
    assert_eq!(authority.discovery_requests(), 0);
    assert_eq!(authority.token_requests(), 1);
}

#[test]
fn discovery_is_fetched_once_per_authority() {
    let authority = Authority::start();
    for scope in ["api1", "api2", "api1 api2"] {
        let options = authority.options(POST_CLIENT).with("scope", scope).unwrap();
        Client::new(&options).unwrap().token().unwrap();
    }
    assert_eq!(authority.token_requests(), 3);
    assert_eq!(authority.discovery_requests(), 1);
}

#[test]
fn wrong_secret_is_an_oauth_invalid_client_error_without_the_secret() {
    let authority = Authority::start();
    let options = authority
        .options(POST_CLIENT)
        .with("client_secret", "wrong-secret")
        .unwrap();
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Oauth);
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client");
    assert_eq!(error.http_status(), 401);
    assert!(error.message().contains("invalid_client"), "{error}");
    assert_no_secret(&format!("{error} {error:?}"));
}

#[test]
fn wrong_basic_secret_is_invalid_client_too() {
    let authority = Authority::start();
    let options = authority
        .options(BASIC_CLIENT)
        .with("client_secret", "wrong-secret")
        .unwrap()
        .with("auth_method", "client_secret_basic")
        .unwrap();
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client");
    assert_eq!(error.http_status(), 401);
    assert_no_secret(&format!("{error} {error:?}"));
    // Refused for the secret, not the method: the request really used Basic.
    let request = &authority.token_request_log()[0];
    assert!(
        request["headers"]["authorization"]
            .as_str()
            .is_some_and(|value| value.starts_with("Basic ")),
        "{request}"
    );
    assert_eq!(request["body"], "grant_type=client_credentials&scope=api1");
}

#[test]
fn a_client_using_another_method_than_registered_is_refused() {
    // What makes the Basic tests above able to fail: the dev authority checks the method.
    let authority = Authority::start();
    let error = Client::new(&authority.options(BASIC_CLIENT))
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client", "{error}");
    let options = authority
        .options(POST_CLIENT)
        .with("auth_method", "client_secret_basic")
        .unwrap();
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client", "{error}");
}

#[test]
fn unknown_scope_is_invalid_scope() {
    // invalid_scope is written by tests/authority/server.mjs, as IdentityServer answers;
    // oidc-provider alone would drop the unknown scope.
    let authority = Authority::start();
    let options = authority.options(POST_CLIENT).with("scope", "api1 nope").unwrap();
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Oauth);
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_scope");
    assert_eq!(error.http_status(), 400);
    assert_no_secret(&format!("{error} {error:?}"));
}

#[test]
fn authority_down_is_a_network_error_naming_the_host() {
    let mut authority = Authority::start();
    let options = authority.options(POST_CLIENT);
    authority.stop();
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Network, "{error}");
    assert!(error.message().contains("127.0.0.1"), "{error}");
    println!("authority down: {error}");
    assert_no_secret(&format!("{error} {error:?}"));
}

#[test]
fn herd_of_64_threads_on_a_cold_cache_sends_one_request() {
    let authority = Authority::start();
    let client = Arc::new(Client::new(&authority.options(POST_CLIENT)).unwrap());
    let start = Arc::new(Barrier::new(64));
    let tokens: Vec<String> = (0..64)
        .map(|_| {
            let (client, start) = (client.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                client.token().unwrap().access_token().to_owned()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect();
    let requests = authority.token_requests();
    println!("herd of 64 threads on a cold cache: {requests} token request(s) at the authority");
    assert_eq!(requests, 1);
    assert!(tokens.iter().all(|token| token == &tokens[0]));
}

#[test]
fn clients_with_the_same_identity_share_one_token() {
    let authority = Authority::start();
    let first = Client::new(&authority.options(POST_CLIENT)).unwrap().token().unwrap();
    let second = Client::new(&authority.options(POST_CLIENT)).unwrap().token().unwrap();
    assert_eq!(first.access_token(), second.access_token());
    assert_eq!(authority.token_requests(), 1);
}

#[test]
fn a_different_scope_resource_client_or_acceptance_setting_gets_its_own_token() {
    let authority = Authority::start();
    let base = Client::new(&authority.options(POST_CLIENT)).unwrap().token().unwrap();
    let others = [
        authority.options(POST_CLIENT).with("scope", "api2").unwrap(),
        authority
            .options(POST_CLIENT)
            .with("resource", "urn:vidiflow:other")
            .unwrap(),
        authority.options(SECOND_CLIENT),
        // Settings that change which token is acceptable split the cache too.
        authority.options(POST_CLIENT).with("default_expires_in", "30").unwrap(),
        authority
            .options(POST_CLIENT)
            .with("validate_endpoints", "false")
            .unwrap(),
        authority.options(POST_CLIENT).with("allow_http", "true").unwrap(),
        // Settings that change how the authority is reached, too (ca_file: tests/tls.rs).
        authority.options(POST_CLIENT).with("proxy", "none").unwrap(),
    ];
    for options in &others {
        let token = Client::new(options).unwrap().token().unwrap();
        assert_ne!(token.access_token(), base.access_token());
    }
    assert_eq!(authority.token_requests(), 1 + others.len() as u64);

    // The method too: vf-post with Basic is not handed vf-post's token; it asks, and the
    // (strict) authority refuses.
    let basic = authority
        .options(POST_CLIENT)
        .with("auth_method", "client_secret_basic")
        .unwrap();
    let error = Client::new(&basic).unwrap().token().unwrap_err();
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client", "{error}");
    assert_eq!(authority.token_requests(), 2 + others.len() as u64);
}

#[test]
fn two_identities_under_concurrency_get_one_request_each() {
    let authority = Authority::start();
    let clients =
        [POST_CLIENT, SECOND_CLIENT].map(|identity| Arc::new(Client::new(&authority.options(identity)).unwrap()));
    let start = Arc::new(Barrier::new(32));
    let tokens: Vec<(usize, String)> = (0..32)
        .map(|n| {
            let (client, start) = (clients[n % 2].clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                (n % 2, client.token().unwrap().access_token().to_owned())
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|handle| handle.join().unwrap())
        .collect();
    let by_client = authority.token_requests_by_client();
    println!("two identities, 16 threads each: {by_client}");
    assert_eq!(by_client, serde_json::json!({ "vf-post": 1, "vf-post-2": 1 }));
    for identity in 0..2 {
        let mine: Vec<&String> = tokens.iter().filter(|(i, _)| *i == identity).map(|(_, t)| t).collect();
        assert_eq!(mine.len(), 16);
        assert!(mine.iter().all(|t| *t == mine[0]), "one token per identity");
    }
    assert_ne!(tokens[0].1, tokens[1].1, "each identity its own token");
}

#[test]
fn scope_order_does_not_split_the_cache() {
    let authority = Authority::start();
    let a = authority.options(POST_CLIENT).with("scope", "api1 api2").unwrap();
    let b = authority.options(POST_CLIENT).with("scope", "api2  api1").unwrap();
    let first = Client::new(&a).unwrap().token().unwrap();
    assert_eq!(
        Client::new(&b).unwrap().token().unwrap().access_token(),
        first.access_token()
    );
    assert_eq!(authority.token_requests(), 1);
}

#[test]
fn a_different_secret_never_gets_the_cached_token() {
    let authority = Authority::start();
    Client::new(&authority.options(POST_CLIENT)).unwrap().token().unwrap();
    let wrong = authority
        .options(POST_CLIENT)
        .with("client_secret", "wrong-secret")
        .unwrap();
    let error = Client::new(&wrong).unwrap().token().unwrap_err();
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client");
    assert_eq!(authority.token_requests(), 2);
}

#[test]
fn five_second_tokens_at_20_calls_a_second_are_fetched_once_per_lifetime() {
    let authority = Authority::start_with(&[("VF_TEST_TOKEN_TTL", "5")]);
    let client = Client::new(&authority.options(POST_CLIENT)).unwrap();
    let start = Instant::now();
    let mut calls: u64 = 0;
    while start.elapsed() < Duration::from_secs(12) {
        let token = client.token().unwrap();
        assert!(
            token.remaining(Instant::now()) > Duration::from_millis(400),
            "served within the safety buffer"
        );
        calls += 1;
        thread::sleep(Duration::from_millis(50));
    }
    let requests = authority.token_requests();
    println!("5 s tokens, {calls} calls over 12 s: {requests} token requests");
    // Each token is refreshed ahead, at 65-75 % of its 5 s: requests at 0 s, 3.25-3.75 s,
    // 6.5-7.5 s and 9.75-11.25 s (plus at most a call interval each), so 4 in 12 s. Without
    // refresh-ahead a token is fetched only once it is unusable (at 4.5 s): 3 requests.
    assert_eq!(requests, 4, "{requests} requests for {calls} calls");
    let stats = client.stats();
    assert_eq!(
        (stats.misses, stats.hits, stats.errors),
        (1, calls - 1, 0),
        "nobody but the first caller waited for a request"
    );
}

#[test]
fn invalidating_the_current_token_refetches_but_an_old_one_does_not() {
    let authority = Authority::start();
    let client = Client::new(&authority.options(POST_CLIENT)).unwrap();
    let first = client.token().unwrap();
    assert!(client.invalidate(first.access_token()));
    let second = client.token().unwrap();
    assert_ne!(second.access_token(), first.access_token());
    assert_eq!(authority.token_requests(), 2);

    assert!(
        !client.invalidate(first.access_token()),
        "an old token leaves the newer one alone"
    );
    assert_eq!(client.token().unwrap().access_token(), second.access_token());
    assert_eq!(authority.token_requests(), 2);
}

#[test]
fn minimum_validity_is_honoured_or_refused_when_impossible() {
    let authority = Authority::start_with(&[("VF_TEST_TOKEN_TTL", "600")]);
    let client = Client::new(&authority.options(POST_CLIENT)).unwrap();
    let token = client.token_valid_for(Duration::from_secs(300)).unwrap();
    assert!(token.remaining(Instant::now()) > Duration::from_secs(300));
    let error = client.token_valid_for(Duration::from_secs(1200)).unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    assert!(
        error.message().contains("1200") && error.message().contains("600"),
        "{error}"
    );
}

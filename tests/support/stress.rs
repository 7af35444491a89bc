//! The concurrency stress run: 64 threads mixing gets (with and without a minimum validity),
//! invalidations and expiries across several identities against the dev authority, checking
//! that every token belongs to the identity that asked for it. Used by `tests/stress.rs` (a
//! short run) and `examples/stress.rs` (as long as you like).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
        mpsc,
    },
    thread,
    time::{Duration, Instant},
};

use serde_json::Value;
use vidiflow_auth::{Client, Status};

use super::{Authority, BASIC_CLIENT, POST_CLIENT, SECOND_CLIENT};

/// What a run did.
#[derive(Debug)]
pub struct Report {
    pub calls: u64,
    pub invalidations: u64,
    pub throttled: u64,
    pub token_requests: u64,
    pub elapsed: Duration,
}

/// The `client_id` and `scope` claims of a JWT access token.
fn claims(token: &str) -> (String, String) {
    let payload = token.split('.').nth(1).expect("a JWT");
    let json: Value = serde_json::from_slice(&base64url(payload)).expect("JSON claims");
    (
        json["client_id"].as_str().unwrap().to_owned(),
        json["scope"].as_str().unwrap().to_owned(),
    )
}

fn base64url(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        _ => 63,
    };
    let bits: Vec<u8> = text.bytes().map(value).collect();
    bits.chunks(4)
        .flat_map(|c| {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, v)| n | u32::from(*v) << (18 - 6 * i));
            [(n >> 16) as u8, (n >> 8) as u8, n as u8].into_iter().take(c.len() - 1)
        })
        .collect()
}

/// Runs 64 threads for `duration` with tokens that live `ttl_seconds`.
pub fn run(duration: Duration, ttl_seconds: u32) -> Report {
    let authority = Authority::start_with(&[("VF_TEST_TOKEN_TTL", &ttl_seconds.to_string())]);
    let identities: Vec<(Arc<Client>, &str, &str)> = [
        (POST_CLIENT, "api1", "client_secret_post"),
        (POST_CLIENT, "api2", "client_secret_post"),
        (POST_CLIENT, "api1 api2", "client_secret_post"),
        (SECOND_CLIENT, "api1", "client_secret_post"),
        (BASIC_CLIENT, "api1", "client_secret_basic"),
    ]
    .into_iter()
    .map(|(client @ (id, _), scope, method)| {
        let options = authority
            .options(client)
            .with("scope", scope)
            .unwrap()
            .with("auth_method", method)
            .unwrap();
        (Arc::new(Client::new(&options).unwrap()), id, scope)
    })
    .collect();
    let identities = Arc::new(identities);
    let (calls, invalidations, throttled) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let started = Instant::now();
    // Each thread says when it is done (its sender drops, also when it panics), so a stuck
    // thread fails the run at the watchdog instead of hanging it in join().
    let (done, finished) = mpsc::channel::<()>();
    let threads: Vec<_> = (0..64u64)
        .map(|n| {
            let (identities, calls, invalidations, throttled, done) = (
                identities.clone(),
                calls.clone(),
                invalidations.clone(),
                throttled.clone(),
                done.clone(),
            );
            thread::spawn(move || {
                let _done = done;
                let mut state = n * 0x9E37_79B9 + 1;
                let mut next = move || {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state
                };
                while started.elapsed() < duration {
                    let (client, id, scope) = &identities[next() as usize % identities.len()];
                    let min_valid = Duration::from_secs(next() % 2);
                    match client.token_valid_for(min_valid) {
                        Ok(token) => {
                            assert_eq!(
                                claims(token.access_token()),
                                (id.to_string(), scope.to_string()),
                                "a token for another identity"
                            );
                            if next() % 100 == 0 {
                                client.invalidate(token.access_token());
                                invalidations.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        // Invalidations in a tight loop can run into the backoff of a failed
                        // refresh; anything else is a failure of the run.
                        Err(error) if error.status() == Status::Throttled => {
                            throttled.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => panic!("{id} {scope}: {error}"),
                    }
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    drop(done);
    let watchdog = started + duration + Duration::from_secs(30);
    // Disconnected once every thread's sender is gone; a timeout means some thread is stuck.
    while let Err(mpsc::RecvTimeoutError::Timeout) =
        finished.recv_timeout(watchdog.saturating_duration_since(Instant::now()))
    {
        assert!(
            Instant::now() < watchdog,
            "stress threads did not finish {:?} after the run ended: a deadlock?",
            Duration::from_secs(30)
        );
    }
    for handle in threads {
        handle.join().expect("a stress thread failed");
    }
    Report {
        calls: calls.load(Ordering::Relaxed),
        invalidations: invalidations.load(Ordering::Relaxed),
        throttled: throttled.load(Ordering::Relaxed),
        token_requests: authority.token_requests(),
        elapsed: started.elapsed(),
    }
}

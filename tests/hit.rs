//! The cache hit's fast path (per-thread replicas, see src/hit.rs) against the real dev
//! authority: what it serves after an invalidation, and that every hit is counted.

mod support;

use std::{sync::Arc, thread};

use support::{Authority, POST_CLIENT};
use vidiflow_auth::Client;

#[test]
fn no_thread_is_served_the_invalidated_token_from_its_replica() {
    let authority = Authority::start();
    let client = Arc::new(Client::new(&authority.options(POST_CLIENT)).unwrap());
    let first = client.token().unwrap();
    // Every thread below makes its replica of `first` and is served from it.
    let hold = |client: Arc<Client>| {
        thread::spawn(move || {
            for _ in 0..3 {
                client.token().unwrap();
            }
            client
        })
    };
    let workers: Vec<_> = (0..4).map(|_| hold(client.clone())).collect();
    let workers: Vec<_> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    for _ in 0..3 {
        assert_eq!(client.token().unwrap().access_token(), first.access_token());
    }
    assert_eq!(authority.token_requests(), 1);

    assert!(client.invalidate(first.access_token()));
    let second = client.token().unwrap();
    assert_ne!(second.access_token(), first.access_token(), "the replica was served");
    for client in workers {
        let seen = thread::spawn(move || client.token().unwrap().access_token().to_owned());
        assert_eq!(
            seen.join().unwrap(),
            second.access_token(),
            "another thread's replica was served"
        );
    }
    assert_eq!(authority.token_requests(), 2);
}

#[test]
fn hits_from_many_threads_are_all_counted() {
    let authority = Authority::start();
    let client = Arc::new(Client::new(&authority.options(POST_CLIENT)).unwrap());
    client.token().unwrap();
    let threads: Vec<_> = (0..24)
        .map(|_| {
            let client = client.clone();
            thread::spawn(move || {
                for _ in 0..2_000 {
                    client.token().unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let stats = client.stats();
    assert_eq!((stats.misses, stats.hits, stats.errors), (1, 24 * 2_000, 0));
}

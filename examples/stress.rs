//! The concurrency stress run, as long as you like, against the dev authority:
//!
//!     cargo run --release --example stress -- [SECONDS] [TOKEN_TTL_SECONDS]
//!
//! 64 threads, five identities, gets with and without a minimum validity, invalidations and
//! expiries; every token is checked to belong to the identity that asked. Prints what it did.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("whole seconds"));
    let seconds = args.next().unwrap_or(60);
    let ttl = args.next().unwrap_or(5);
    let report = support::stress::run(Duration::from_secs(seconds), ttl as u32);
    println!(
        "{} calls from 64 threads in {:.1?} ({:.0}/s); {} invalidations; {} throttled; {} token requests for {} s tokens",
        report.calls,
        report.elapsed,
        report.calls as f64 / report.elapsed.as_secs_f64(),
        report.invalidations,
        report.throttled,
        report.token_requests,
        ttl
    );
}

//! A short concurrency stress run (the long one: `make stress`).

mod support;

use std::time::Duration;

#[test]
fn sixty_four_threads_mixing_gets_invalidations_and_expiries_for_five_seconds() {
    let report = support::stress::run(Duration::from_secs(5), 2);
    println!("{report:?}");
    assert!(report.calls > 1_000, "{report:?}");
    assert!(report.invalidations > 0, "{report:?}");
}

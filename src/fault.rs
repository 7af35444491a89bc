//! Panics on request, so tests can prove a panic never crosses the C boundary. Compiled only
//! with the `fault-injection` feature.

/// Panics if the environment variable `VF_TEST_PANIC_AT` names `place`.
pub fn maybe_panic(place: &str) {
    if std::env::var("VF_TEST_PANIC_AT").is_ok_and(|at| at == place) {
        panic!("fault injection: panic at {place}");
    }
}

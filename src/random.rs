//! Jitter for retry delays and refresh times. Not for anything secret.

use std::{
    collections::hash_map::RandomState,
    hash::{BuildHasher, Hasher},
};

/// A number in `[0, 1)`, different on every call.
pub fn unit() -> f64 {
    // Each RandomState has fresh keys, so hashing nothing still gives a new value each time.
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u8(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_in_range_and_vary() {
        let values: Vec<f64> = (0..100).map(|_| super::unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        assert!(values.windows(2).any(|w| w[0] != w[1]));
    }
}

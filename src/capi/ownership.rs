//! Who owns a C object, declared once per type (after rustls-ffi's `Castable`).
//!
//! Each type C sees through a pointer implements [`CObject`] and names its [`Ownership`]:
//!
//! | C type       | Rust type   | ownership | handed out by                  | given back by     |
//! |--------------|-------------|-----------|--------------------------------|-------------------|
//! | `vf_options` | `vf_options`| [`Boxed`] | vf_options_new                 | vf_options_free   |
//! | `vf_client`  | `vf_client` | [`Boxed`] | vf_client_new                  | vf_client_free    |
//! | `vf_error`   | `Error`     | [`Boxed`] | any call's `err` out-parameter | vf_error_free     |
//! | `vf_token`   | `Token`     | [`Shared`]| vf_token_get(_valid_for)       | vf_token_free     |
//!
//! A Boxed object has one owner, the C caller, and is freed once. A Shared object is one strong
//! reference of an `Arc` (the cache keeps its own): the C caller releases its reference once.
//! [`to_c`]/[`to_c_shared`] and [`free_c`] pick the matching `Box`/`Arc` call from the type, so a
//! pointer cannot be handed out as one and taken back as the other, and a new C object must say
//! which it is before it compiles.

use std::sync::Arc;

use super::{client::vf_client, options::vf_options};
use crate::{error::Error, token::Token};

/// How a C object's memory is owned.
pub(crate) trait Ownership {}

/// One owner: `Box::into_raw` out, `Box::from_raw` back.
pub(crate) enum Boxed {}
impl Ownership for Boxed {}

/// Reference counted: `Arc::into_raw` out, `Arc::from_raw` back.
pub(crate) enum Shared {}
impl Ownership for Shared {}

/// A type handed to C by pointer. A type has exactly one ownership.
pub(crate) trait CObject: Sized {
    type Ownership: Ownership;
}

impl CObject for vf_options {
    type Ownership = Boxed;
}
impl CObject for vf_client {
    type Ownership = Boxed;
}
impl CObject for Error {
    type Ownership = Boxed;
}
impl CObject for Token {
    type Ownership = Shared;
}

/// Hands a Boxed object to C; give it back with [`free_c`].
pub(crate) fn to_c<T: CObject<Ownership = Boxed>>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Hands one reference of a Shared object to C; give it back with [`free_c`].
pub(crate) fn to_c_shared<T: CObject<Ownership = Shared>>(value: Arc<T>) -> *mut T {
    Arc::into_raw(value).cast_mut()
}

/// Takes back what [`to_c`] or [`to_c_shared`] handed out and drops it. NULL is ignored.
///
/// # Safety
/// `pointer` is NULL, or came from [`to_c`] / [`to_c_shared`] for this type and is not used
/// again.
pub(crate) unsafe fn free_c<T: CObject>(pointer: *mut T)
where
    T::Ownership: Release<T>,
{
    if !pointer.is_null() {
        // SAFETY: per this function's contract.
        unsafe { T::Ownership::release(pointer) }
    }
}

/// The matching `from_raw` of each ownership.
pub(crate) trait Release<T> {
    /// # Safety
    /// `pointer` is not NULL and came from the matching `into_raw`, not released before.
    unsafe fn release(pointer: *mut T);
}

impl<T> Release<T> for Boxed {
    unsafe fn release(pointer: *mut T) {
        // SAFETY: from Box::into_raw in `to_c`, per the contract.
        drop(unsafe { Box::from_raw(pointer) });
    }
}

impl<T> Release<T> for Shared {
    unsafe fn release(pointer: *mut T) {
        // SAFETY: from Arc::into_raw in `to_c_shared`, per the contract.
        drop(unsafe { Arc::from_raw(pointer.cast_const()) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts its drops.
    struct BoxedProbe(Arc<AtomicUsize>);
    impl Drop for BoxedProbe {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    impl CObject for BoxedProbe {
        type Ownership = Boxed;
    }

    struct SharedProbe;
    impl CObject for SharedProbe {
        type Ownership = Shared;
    }

    #[test]
    fn a_boxed_object_is_dropped_when_c_frees_it() {
        let drops = Arc::new(AtomicUsize::new(0));
        let pointer = to_c(BoxedProbe(Arc::clone(&drops)));
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        // SAFETY: from to_c, freed once.
        unsafe { free_c(pointer) };
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // SAFETY: NULL is ignored.
        unsafe { free_c(std::ptr::null_mut::<BoxedProbe>()) };
    }

    #[test]
    fn a_shared_object_loses_one_reference_when_c_frees_it() {
        let cached = Arc::new(SharedProbe);
        let pointer = to_c_shared(Arc::clone(&cached));
        assert_eq!(Arc::strong_count(&cached), 2);
        // SAFETY: from to_c_shared, released once.
        unsafe { free_c(pointer) };
        assert_eq!(Arc::strong_count(&cached), 1, "the cache's own reference remains");
    }
}

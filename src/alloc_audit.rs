//! What the code leaves in freed memory: a global allocator for the unit tests that, on a
//! thread that asks for it, looks at every block as it is freed or moved by a reallocation and
//! counts the ones still holding a secret. A buffer that grows by `push` frees (or moves) its
//! old block unwiped, and is caught here; one sized up front and wiped on drop is not.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    ptr,
};

struct Auditing;

#[global_allocator]
static ALLOCATOR: Auditing = Auditing;

/// What the current thread is looking for.
struct Watch<'a> {
    needles: &'a [&'a [u8]],
    found: Cell<usize>,
}

thread_local! {
    // A const-initialised Cell: reading it never allocates, so the allocator may use it.
    static WATCH: Cell<*const Watch<'static>> = const { Cell::new(ptr::null()) };
}

/// Any run of this many bytes of a needle counts: a block that held part of a secret before
/// it grew is as bad as one that held all of it.
const WINDOW: usize = 8;

/// Counts a block that is about to be freed or moved if it holds part of a needle.
fn inspect(block: *const u8, size: usize) {
    WATCH.with(|watch| {
        let current = watch.get();
        // SAFETY: set only by `freed_copies`, which outlives the pointer's use.
        let Some(current) = (unsafe { current.as_ref() }) else {
            return;
        };
        watch.set(ptr::null()); // no auditing of our own work
        // SAFETY: the allocator is handing this block back; it is `size` readable bytes.
        let bytes = unsafe { std::slice::from_raw_parts(block, size) };
        let holds = current
            .needles
            .iter()
            .any(|needle| needle.windows(WINDOW.min(needle.len())).any(|w| contains(bytes, w)));
        if holds {
            current.found.set(current.found.get() + 1);
        }
        watch.set(current);
    });
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

// SAFETY: every call is forwarded to the system allocator; `inspect` only reads the block
// before it is handed back. Blocks are handed out zeroed: otherwise the unused capacity of a
// block could still hold what another thread left in that memory, and be counted here.
unsafe impl GlobalAlloc for Auditing {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        inspect(block, layout.size());
        // SAFETY: forwarded.
        unsafe { System.dealloc(block, layout) }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // A move to a new zeroed block, then the old one freed as it is (and inspected): what
        // a growing buffer leaves behind, without stale bytes in the new block's spare room.
        // SAFETY: `new_size` is non-zero and fits the alignment, per `realloc`'s contract.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: forwarded.
        let moved = unsafe { System.alloc_zeroed(new_layout) };
        if !moved.is_null() {
            // SAFETY: both blocks are valid for the smaller of the two sizes, and distinct.
            unsafe { ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size)) };
            // SAFETY: `block` was allocated with `layout` by this allocator.
            unsafe { self.dealloc(block, layout) };
        }
        moved
    }
}

/// Runs `body` and returns how many blocks it freed or moved while they held part of one of
/// `needles`. Only this thread's frees are looked at.
pub fn freed_copies(needles: &[&[u8]], body: impl FnOnce()) -> usize {
    let watch = Watch {
        needles,
        found: Cell::new(0),
    };
    // The lifetime is erased for the thread-local; it is cleared before `watch` goes away.
    let erased = (&watch as *const Watch<'_>).cast::<Watch<'static>>();
    WATCH.with(|current| current.set(erased));
    body();
    WATCH.with(|current| current.set(ptr::null()));
    watch.found.get()
}

#[cfg(test)]
mod tests {
    use std::{
        io::Read,
        time::{Duration, Instant, SystemTime},
    };

    use super::*;
    use crate::{
        oauth::form::{FormBody, basic_authorization},
        options::BasicAuthStyle,
        secret::Secret,
        token::Token,
    };

    /// Long enough that every growing buffer reallocates while it holds part of it; letters
    /// and digits only, so its form-urlencoded form is itself.
    const SECRET: &str =
        "AuditSecret0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopq";
    const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2Zi1wb3N0Iiwic2NvcGUiOiJhcGkxIn0.AuditTokenSignature0123456789abcdefghijklmnopqrstuvwxyz";

    /// The audit itself: a string grown by `push` leaves copies behind, and it sees them.
    #[test]
    fn the_audit_sees_a_growing_buffer() {
        let found = freed_copies(&[SECRET.as_bytes()], || {
            let mut grown = String::new();
            SECRET.chars().for_each(|c| grown.push(c));
            zeroize::Zeroize::zeroize(&mut grown);
        });
        assert!(found > 0, "the audit missed the copies a growing String leaves");
    }

    #[test]
    fn form_body_leaves_no_copy_of_the_secret() {
        let found = freed_copies(&[SECRET.as_bytes()], || {
            let body = FormBody::default()
                .field("grant_type", "client_credentials")
                .field("scope", "api1")
                .field("client_id", "vf-post")
                .field("client_secret", SECRET);
            assert!(body.as_bytes().ends_with(SECRET.as_bytes()));
        });
        assert_eq!(found, 0, "freed blocks held the secret");
    }

    #[test]
    fn basic_credential_leaves_no_copy_of_the_secret() {
        for style in [BasicAuthStyle::Rfc6749, BasicAuthStyle::Rfc2617] {
            let expected = basic_authorization("vf-basic", SECRET, style);
            let credential = expected.trim_start_matches("Basic ").to_owned();
            let found = freed_copies(&[SECRET.as_bytes(), credential.as_bytes()], || {
                let header = basic_authorization("vf-basic", SECRET, style);
                assert_eq!(header.as_str(), expected.as_str());
            });
            assert_eq!(
                found, 0,
                "{style:?}: freed blocks held the secret or its Basic credential"
            );
        }
    }

    #[test]
    fn redaction_leaves_no_copy_of_the_secret() {
        let secret = Secret::new(SECRET.to_owned());
        let echoed = zeroize::Zeroizing::new(format!("got client_id=vf-post&client_secret={SECRET}, {SECRET}"));
        let found = freed_copies(&[SECRET.as_bytes()], || {
            let redacted = secret.redact(&echoed, "vf-post");
            assert_eq!(redacted, "got client_id=vf-post&client_secret=[redacted], [redacted]");
        });
        assert_eq!(found, 0, "an intermediate string held the secret");
    }

    #[test]
    fn an_oauth_error_echoing_the_secret_leaves_no_copy() {
        let secret = Secret::new(SECRET.to_owned());
        let body = zeroize::Zeroizing::new(format!(
            r#"{{"error":"invalid_request","error_description":"got client_secret={SECRET}"}}"#
        ));
        let found = freed_copies(&[SECRET.as_bytes()], || {
            let error = crate::oauth::oauth_error(body.as_bytes(), |text| secret.redact(text, "vf-post")).unwrap();
            assert_eq!(error.description.unwrap().as_str(), "got client_secret=[redacted]");
        });
        assert_eq!(found, 0, "the parsed document held the secret when freed");
    }

    #[test]
    fn token_texts_leave_no_copy_of_the_token() {
        let found = freed_copies(&[TOKEN.as_bytes()], || {
            let token = Token::new(
                TOKEN,
                "api1",
                Duration::from_secs(60),
                Instant::now(),
                SystemTime::now(),
            );
            assert_eq!(token.authorization().strip_prefix("Bearer "), Some(TOKEN));
            assert_eq!(token.access_token(), TOKEN);
        });
        assert_eq!(found, 0, "the token's texts left copies of it");
    }

    #[test]
    fn a_response_body_read_in_pieces_leaves_no_copy() {
        /// Hands out its data a few bytes at a time, as a slow network does.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(self.0.len()).min(7);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let body = format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":3600}}"#).repeat(4);
        let std_found = freed_copies(&[TOKEN.as_bytes()], || {
            let mut grown = zeroize::Zeroizing::new(Vec::new());
            Trickle(body.as_bytes()).read_to_end(&mut grown).unwrap();
        });
        assert!(
            std_found > 0,
            "std's read_to_end grows its buffer unwiped (what ureq's read_to_vec does)"
        );
        let found = freed_copies(&[TOKEN.as_bytes()], || {
            let read = crate::wipe::read_to_end(Trickle(body.as_bytes()), 1 << 20).unwrap();
            assert_eq!(read.as_slice(), body.as_bytes());
        });
        assert_eq!(found, 0, "a growing read left the token behind");
    }
}

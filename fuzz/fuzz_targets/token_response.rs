//! A token endpoint's response body (RFC 6749 §5.1), as any bytes: parsing must never panic,
//! and a body that is accepted must grant a non-empty token for at most a day
//! (both checked inside `fuzz_response`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    vidiflow_auth::fuzzing::token_response(body);
});

//! An OpenID Connect discovery document, as any bytes: checking it against the authority
//! `https://auth.example.com/core`, with and without `validate_endpoints`, must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    vidiflow_auth::fuzzing::discovery_document(body);
});

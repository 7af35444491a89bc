//! A panic inside the library must come out of the C API as VF_STATUS_INTERNAL, and the cache
//! must work afterwards. Needs the `fault-injection` feature (make test enables it).

mod support;

use std::{ffi::CStr, ptr};

use support::{Authority, POST_CLIENT};
use vidiflow_auth::{Status, capi::*};

#[test]
fn panic_during_a_fetch_becomes_internal_and_the_next_call_works() {
    let authority = Authority::start();
    let options = vf_options_new();
    for (key, value) in [
        ("authority", authority.url.as_str()),
        ("client_id", POST_CLIENT.0),
        ("client_secret", POST_CLIENT.1),
    ] {
        let (key, value) = (
            std::ffi::CString::new(key).unwrap(),
            std::ffi::CString::new(value).unwrap(),
        );
        assert_eq!(
            unsafe { vf_options_set(options, key.as_ptr(), value.as_ptr(), ptr::null_mut()) },
            Status::Ok
        );
    }
    let mut client = ptr::null_mut();
    assert_eq!(
        unsafe { vf_client_new(options, &mut client, ptr::null_mut()) },
        Status::Ok
    );

    // SAFETY: this test binary has one test, so no other thread reads the environment.
    unsafe { std::env::set_var("VF_TEST_PANIC_AT", "fetch") };
    let mut token = ptr::null_mut();
    let mut error = ptr::null_mut();
    assert_eq!(
        unsafe { vf_token_get(client, &mut token, &mut error) },
        Status::Internal
    );
    assert!(token.is_null());
    let message = unsafe { CStr::from_ptr(vf_error_message(error)) }
        .to_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("internal error"), "{message}");
    unsafe { vf_error_free(error) };

    unsafe { std::env::remove_var("VF_TEST_PANIC_AT") };
    // A failed request holds the next one back for a second (the backoff); then all is well.
    let mut held = ptr::null_mut();
    assert_eq!(
        unsafe { vf_token_get(client, &mut token, &mut held) },
        Status::Throttled
    );
    assert!(unsafe { vf_error_retry_after_ms(held) } <= 1000);
    unsafe { vf_error_free(held) };
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(unsafe { vf_token_get(client, &mut token, ptr::null_mut()) }, Status::Ok);
    unsafe {
        vf_token_free(token);
        vf_client_free(client);
        vf_options_free(options);
    }
}

//! `Options::set(key, value)` with any key and value: it must never panic, and an error must
//! never repeat the value (it may be the client secret).
//!
//! Input layout: the first byte picks the key. `byte % (OPTION_KEYS.len() + 1)` below
//! `OPTION_KEYS.len()` picks that known key and the rest of the input is the value; otherwise
//! the rest is split at its first `=` into a raw key and a value. Both are read as lossy UTF-8.
//!
//! The leak check: an unknown key gives `unknown option key …`, which must repeat neither the
//! key (it may be a secret given in the wrong place) nor the value. For a known key, the
//! message is `option '<key>': <why>` (the prefix is
//! learnt from the library itself, see `key_prefix`). `<why>` must not contain the value, nor
//! the value trimmed (what the parsers see), whenever that text is at least 8 bytes long and is
//! not part of the key or of one of the library's fixed messages (`fixed_messages`), where it
//! could only appear by coincidence.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vidiflow_auth::{OPTION_KEYS, Options};

/// Shorter values match fixed text by chance too easily to mean anything.
const MIN_CHECKED_LEN: usize = 8;

/// What `set` answers for a value with a line break, whatever the key (checked before the key).
const LINE_BREAK_MESSAGE: &str = "the value contains a line break (CR or LF), which is not allowed";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let choice = usize::from(selector) % (OPTION_KEYS.len() + 1);
    let (key, value) = match OPTION_KEYS.get(choice) {
        Some(known) => (known.name.to_owned(), String::from_utf8_lossy(rest).into_owned()),
        None => {
            let (key, value) = match rest.iter().position(|&b| b == b'=') {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &[][..]),
            };
            (
                String::from_utf8_lossy(key).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            )
        }
    };

    let Err(error) = Options::new().set(&key, &value) else {
        return;
    };
    let message = error.message();
    if !OPTION_KEYS.iter().any(|known| known.name == key) {
        // An unknown key is never repeated (it may be a secret given in the wrong place).
        assert!(message.starts_with("unknown option key"), "{message:?}");
        for candidate in [key.as_str(), key.trim(), value.as_str(), value.trim()] {
            let coincidence = candidate.len() < MIN_CHECKED_LEN
                || fixed_messages().iter().any(|fixed| fixed.contains(candidate));
            assert!(coincidence || !message.contains(candidate), "the error repeats {candidate:?}: {message:?}");
        }
        return;
    }
    let prefix = key_prefix(&key);
    let why = message
        .strip_prefix(prefix.as_str())
        .unwrap_or_else(|| panic!("the error does not start with the key's prefix {prefix:?}: {message:?}"));
    for candidate in [value.as_str(), value.trim()] {
        let coincidence = candidate.len() < MIN_CHECKED_LEN
            || key.contains(candidate)
            || fixed_messages().iter().any(|fixed| fixed.contains(candidate));
        assert!(
            coincidence || !why.contains(candidate),
            "option {key:?}: the error repeats the value {candidate:?}: {message:?}"
        );
    }
});

/// The `option '<key>': ` prefix `set` puts on every error for `key`, as the library writes
/// it (control characters dropped, long keys cut), taken from an error whose text is known.
fn key_prefix(key: &str) -> String {
    let error = Options::new()
        .set(key, "\n")
        .expect_err("a value with a line break is always refused");
    let message = error.message();
    message
        .strip_suffix(LINE_BREAK_MESSAGE)
        .unwrap_or_else(|| panic!("the line-break error changed; update LINE_BREAK_MESSAGE: {message:?}"))
        .to_owned()
}

/// Every message `set` can give after the key's prefix, numbers aside (src/options.rs and the
/// URL checks in src/url.rs). Only used to excuse a value that is itself part of one of them;
/// a new message missing here can only cause a false alarm, never hide a leak.
fn fixed_messages() -> &'static [String] {
    static MESSAGES: OnceLock<Vec<String>> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        let known_keys = OPTION_KEYS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ");
        let mut messages = vec![
            "the value is too long (".to_owned(),
            " bytes; at most 65536)".to_owned(),
            LINE_BREAK_MESSAGE.to_owned(),
            "the value contains a NUL character, which is not allowed".to_owned(),
            "expected client_secret_post or client_secret_basic".to_owned(),
            "expected a whole number from 1 to 600000".to_owned(),
            "expected a whole number from 1 to 86400".to_owned(),
            "expected true or false".to_owned(),
            format!("characters, not repeated here); did you mean ''? Known keys: {known_keys}"),
        ];
        let url_problems = [
            "a URL with a fragment ('#') is not allowed",
            "not a valid absolute URL (expected https://host/path)",
            "the URL scheme must be https (or http)",
            "not an absolute URL (expected https://host/path)",
            "the URL has no host",
            "user info in the URL is not allowed; set client_id and client_secret instead",
        ];
        for what in ["not a URL", "not a proxy URL"] {
            for problem in url_problems {
                messages.push(format!("{what}: {problem}"));
            }
        }
        messages
    })
}

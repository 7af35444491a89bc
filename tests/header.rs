//! The committed C header must be what cbindgen generates from the sources now.
//! `make header` (VF_UPDATE_HEADER=1) refreshes it.

use std::{fs, path::Path};

#[test]
fn committed_header_matches_the_sources() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/vidiflow_auth.h"));
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/vidiflow_auth.h");
    if std::env::var_os("VF_UPDATE_HEADER").is_some() {
        fs::write(&committed_path, generated).expect("include/vidiflow_auth.h is writable");
        return;
    }
    let committed = fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/vidiflow_auth.h is out of date with the Rust sources; run `make header` and commit the result"
    );
}

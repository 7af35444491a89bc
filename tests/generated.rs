//! The binding pieces generated from the Rust tables ([`vidiflow_auth::OPTION_KEYS`],
//! [`vidiflow_auth::Status::ALL`]) must be what is committed. `make generate`
//! (VF_UPDATE_GENERATED=1) rewrites them.

mod generate;

use std::{fs, path::Path};

#[test]
fn committed_binding_files_match_the_rust_tables() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("VF_UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for file in generate::files() {
        let path = root.join(file.path);
        let committed = fs::read_to_string(&path).unwrap_or_default();
        let generated = match file.region {
            None => file.text.clone(),
            Some(marker) => generate::replace_region(&committed, marker, &file.text)
                .unwrap_or_else(|problem| panic!("{}: {problem}", file.path)),
        };
        if committed == generated {
            continue;
        }
        if update {
            fs::write(&path, generated).unwrap_or_else(|e| panic!("{}: {e}", file.path));
        } else {
            stale.push(file.path);
        }
    }
    assert!(
        stale.is_empty(),
        "out of date with src/options.rs and src/error.rs: {}; run `make generate` and commit the result",
        stale.join(", ")
    );
}

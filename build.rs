//! Generates the C header from the exported functions' signatures and doc comments.
//! It goes to `OUT_DIR`; `tests/header.rs` checks that `include/vidiflow_auth.h` matches it.

use std::{env, path::PathBuf};

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");

    // The shared library's SONAME, for `make install` (which adds the libvidiflow_auth.so.N
    // link). Release builds only: programs linked against target/debug find the library there,
    // where no .so.N link exists. ELF targets only. A program linked against target/release
    // asks for the SONAME at run time, so the .so.N link is left there too (see below).
    let elf = matches!(
        env::var("CARGO_CFG_TARGET_OS").as_deref(),
        Ok("linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly")
    );
    if elf && env::var("PROFILE").as_deref() == Ok("release") {
        let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets CARGO_PKG_VERSION_MAJOR");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvidiflow_auth.so.{major}");
        link_soname_in_profile_dir(&out_dir, &format!("libvidiflow_auth.so.{major}"));
    }

    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is readable and valid");
    cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can parse the crate")
        .write_to_file(out_dir.join("vidiflow_auth.h"));
}

/// Leaves `target/<profile>/<soname>` → `libvidiflow_auth.so`, so that `cc app.c
/// -Ltarget/release -lvidiflow_auth` makes a program that starts (with LD_LIBRARY_PATH): the
/// program asks for the SONAME, which cargo itself never creates. The link may dangle until
/// cargo links the library, moments later. Best effort: a read-only or unusual target directory
/// only costs the convenience.
fn link_soname_in_profile_dir(out_dir: &std::path::Path, soname: &str) {
    // OUT_DIR is <profile dir>/build/<package>-<hash>/out; anything else (a separate build
    // directory, say) is left alone rather than guessed at.
    let Some(profile_dir) = out_dir.ancestors().nth(3) else {
        return;
    };
    let build_dir = out_dir.ancestors().nth(2).and_then(|dir| dir.file_name());
    if build_dir != Some(std::ffi::OsStr::new("build")) {
        return;
    }
    let link = profile_dir.join(soname);
    if std::fs::symlink_metadata(&link).is_err() {
        #[cfg(unix)]
        let _ = std::os::unix::fs::symlink("libvidiflow_auth.so", &link);
    }
}

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

    // A version resource in the Windows DLL (file properties, GetFileVersionInfo).
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        windows_version_resource(&out_dir);
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

/// Compiles a VERSIONINFO resource naming the crate's version and links it into the DLL. With the
/// GNU toolchain only (windres, from mingw-w64 binutils; `WINDRES` overrides it): an MSVC build
/// gets no resource, the version is still `vf_version()`.
fn windows_version_resource(out_dir: &std::path::Path) {
    if env::var("CARGO_CFG_TARGET_ENV").as_deref() != Ok("gnu") {
        return;
    }
    println!("cargo:rerun-if-env-changed=WINDRES");
    let version = env::var("CARGO_PKG_VERSION").expect("cargo sets CARGO_PKG_VERSION");
    let number = |part: &str| env::var(part).expect("cargo sets the version parts");
    let numeric = format!(
        "{},{},{},0",
        number("CARGO_PKG_VERSION_MAJOR"),
        number("CARGO_PKG_VERSION_MINOR"),
        number("CARGO_PKG_VERSION_PATCH")
    );
    let description = env::var("CARGO_PKG_DESCRIPTION").expect("cargo sets CARGO_PKG_DESCRIPTION");
    // 0x40004: VOS_NT_WINDOWS32; 0x2: VFT_DLL; 0x409/1200: US English, UTF-16 strings.
    let script = format!(
        r#"1 VERSIONINFO
FILEVERSION {numeric}
PRODUCTVERSION {numeric}
FILEOS 0x40004
FILETYPE 0x2
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "FileDescription", "{description}"
      VALUE "FileVersion", "{version}"
      VALUE "InternalName", "vidiflow_auth"
      VALUE "OriginalFilename", "vidiflow_auth.dll"
      VALUE "ProductName", "vidiflow-auth"
      VALUE "ProductVersion", "{version}"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
"#,
        description = description.replace('"', "\"\"")
    );
    let script_path = out_dir.join("version.rc");
    let object = out_dir.join("version.o");
    std::fs::write(&script_path, script).expect("OUT_DIR is writable");
    let windres = env::var("WINDRES").unwrap_or_else(|_| {
        // Cross builds use the target-prefixed tool; on Windows (MSYS2) it is plain windres.
        let host_is_windows = env::var("HOST").is_ok_and(|host| host.contains("windows"));
        if host_is_windows {
            "windres".to_owned()
        } else {
            let arch = env::var("CARGO_CFG_TARGET_ARCH").expect("cargo sets CARGO_CFG_TARGET_ARCH");
            format!("{arch}-w64-mingw32-windres")
        }
    });
    let status = std::process::Command::new(&windres)
        .arg("--input")
        .arg(&script_path)
        .arg("--output")
        .arg(&object)
        .arg("--output-format=coff")
        .status()
        .unwrap_or_else(|error| panic!("cannot run {windres} for the DLL's version resource: {error}"));
    assert!(status.success(), "{windres} failed on {}", script_path.display());
    println!("cargo:rustc-cdylib-link-arg={}", object.display());
}

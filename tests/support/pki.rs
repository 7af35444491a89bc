//! Throw-away certificates for TLS tests, made with the `openssl` command.

use std::{fs, path::Path, process::Command};

/// Runs `openssl ARGS` in `dir`; a failure fails the test with openssl's message.
pub fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA (`ca.pem`, `ca.key`) and a server certificate (`server.pem`, `server.key`) for
/// `/CN=localhost` with `subject_alt_name` (say `DNS:localhost`), signed by it, in `dir`.
pub fn ca_and_server(dir: &Path, subject_alt_name: &str) {
    fs::write(dir.join("san.ext"), format!("subjectAltName={subject_alt_name}\n")).unwrap();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=vidiflow-auth test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

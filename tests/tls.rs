//! TLS against the dev authority served over https with a CA this test generates (openssl).

mod support;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use support::{Authority, POST_CLIENT};
use vidiflow_auth::{Client, Options, Status};

/// A throw-away CA and a server certificate for `localhost` signed by it.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("vf-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        support::pki::ca_and_server(&dir, "DNS:localhost");
        Pki { dir }
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_str().unwrap().to_owned()
    }

    fn authority(&self) -> Authority {
        Authority::start_with(&[
            ("VF_TEST_TLS_CERT", &self.path("server.pem")),
            ("VF_TEST_TLS_KEY", &self.path("server.key")),
            ("VF_TEST_HOST_NAME", "localhost"),
        ])
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn options(authority: &Authority, url: &str) -> Options {
    authority.options(POST_CLIENT).with("authority", url).unwrap()
}

#[test]
fn https_authority_is_trusted_through_ca_file() {
    let pki = Pki::new("trusted");
    let authority = pki.authority();
    assert!(authority.url.starts_with("https://localhost:"), "{}", authority.url);
    let options = options(&authority, &authority.url)
        .with("ca_file", &pki.path("ca.pem"))
        .unwrap();
    let token = Client::new(&options).unwrap().token().unwrap();
    assert_eq!(token.scope(), "api1");
}

#[test]
fn a_different_ca_file_gets_its_own_cache_slot() {
    let pki = Pki::new("slots");
    let authority = pki.authority();
    std::fs::copy(pki.path("ca.pem"), pki.path("same-ca.pem")).unwrap();
    let tokens: Vec<String> = ["ca.pem", "same-ca.pem", "ca.pem"]
        .iter()
        .map(|file| {
            let options = options(&authority, &authority.url)
                .with("ca_file", &pki.path(file))
                .unwrap();
            Client::new(&options)
                .unwrap()
                .token()
                .unwrap()
                .access_token()
                .to_owned()
        })
        .collect();
    assert_ne!(tokens[0], tokens[1], "another ca_file, another slot");
    assert_eq!(tokens[0], tokens[2], "the same ca_file, the same slot");
}

#[test]
fn untrusted_certificate_is_a_tls_error_naming_the_host() {
    let pki = Pki::new("untrusted");
    let authority = pki.authority();
    let error = Client::new(&options(&authority, &authority.url))
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(error.status(), Status::Tls, "{error}");
    let port = authority.url.split(':').nth(2).unwrap().split('/').next().unwrap();
    assert!(
        error.message().contains(&format!(
            "TLS with localhost:{port} failed: invalid peer certificate: UnknownIssuer"
        )),
        "{error}"
    );
    println!("untrusted: {error}");
}

#[test]
fn wrong_host_name_is_a_tls_error_naming_the_host() {
    let pki = Pki::new("wrong-host");
    let authority = pki.authority();
    let by_address = authority.url.replace("localhost", "127.0.0.1");
    let options = options(&authority, &by_address)
        .with("ca_file", &pki.path("ca.pem"))
        .unwrap();
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Tls, "{error}");
    assert!(
        error.message().contains("TLS with 127.0.0.1:")
            && error
                .message()
                .contains(r#"certificate not valid for name "127.0.0.1""#),
        "{error}"
    );
    println!("wrong host: {error}");
}

#[test]
fn https_to_a_plain_http_server_is_a_tls_error() {
    let authority = Authority::start();
    let error = Client::new(&options(&authority, &authority.url.replace("http://", "https://")))
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(error.status(), Status::Tls, "{error}");
    assert!(error.message().contains("127.0.0.1"), "{error}");
}

#[test]
fn unreadable_or_empty_ca_file_is_refused_when_the_client_is_made() {
    let pki = Pki::new("bad-ca");
    std::fs::write(pki.dir.join("empty.pem"), "not a certificate\n").unwrap();
    let authority_url = "https://localhost:1/core";
    let base = Options::new()
        .with("authority", authority_url)
        .unwrap()
        .with("client_id", "x")
        .unwrap();
    let base = base.with("client_secret", "s").unwrap();
    for (file, expect) in [("missing.pem", "cannot be read"), ("empty.pem", "no certificate")] {
        let path = Path::new(&pki.path(file)).to_str().unwrap().to_owned();
        let error = Client::new(&base.clone().with("ca_file", &path).unwrap())
            .err()
            .expect("refused");
        assert_eq!(error.status(), Status::Tls, "{error}");
        assert!(
            error.message().contains(expect) && error.message().contains("ca_file"),
            "{error}"
        );
        // The path is never repeated: a value given to the wrong option would be printed.
        assert!(!error.message().contains(file), "{error}");
    }
}

/// A certificate made the everyday way, `openssl req -x509 …`: self-signed and marked
/// `CA:TRUE`. With `-addext subjectAltName=…` or, as many do, with only a common name.
fn plain_self_signed(dir: &Path, name: &str, extra: &[&str]) -> (String, String) {
    let (cert, key) = (dir.join(format!("{name}.pem")), dir.join(format!("{name}.key")));
    let output = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args(extra)
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = |path: PathBuf| path.to_str().unwrap().to_owned();
    (text(cert), text(key))
}

fn serve(cert: &str, key: &str) -> Authority {
    Authority::start_with(&[
        ("VF_TEST_TLS_CERT", cert),
        ("VF_TEST_TLS_KEY", key),
        ("VF_TEST_HOST_NAME", "localhost"),
    ])
}

#[test]
fn plain_openssl_self_signed_certificate_named_in_ca_file_is_trusted() {
    let pki = Pki::new("self-signed");
    for (name, extra) in [
        ("with-san", &["-addext", "subjectAltName=DNS:localhost"][..]),
        ("cn-only", &[][..]),
    ] {
        let (cert, key) = plain_self_signed(&pki.dir, name, extra);
        let authority = serve(&cert, &key);
        let options = options(&authority, &authority.url).with("ca_file", &cert).unwrap();
        let token = Client::new(&options)
            .unwrap()
            .token()
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(token.scope(), "api1", "{name}");
    }
}

#[test]
fn a_pinned_self_signed_certificate_is_still_checked_for_the_host_name() {
    let pki = Pki::new("self-signed-host");
    for (name, extra) in [
        ("with-san", &["-addext", "subjectAltName=DNS:localhost"][..]),
        ("cn-only", &[][..]),
    ] {
        let (cert, key) = plain_self_signed(&pki.dir, name, extra);
        let authority = serve(&cert, &key);
        let by_address = authority.url.replace("localhost", "127.0.0.1");
        let options = options(&authority, &by_address).with("ca_file", &cert).unwrap();
        let error = Client::new(&options).unwrap().token().unwrap_err();
        assert_eq!(error.status(), Status::Tls, "{name}: {error}");
        assert!(error.message().contains("not valid for name"), "{name}: {error}");
    }
}

#[test]
fn another_self_signed_certificate_in_ca_file_does_not_vouch_for_the_served_one() {
    let pki = Pki::new("self-signed-other");
    let san = ["-addext", "subjectAltName=DNS:localhost"];
    let (served, key) = plain_self_signed(&pki.dir, "served", &san);
    let (other, _) = plain_self_signed(&pki.dir, "other", &san);
    let authority = serve(&served, &key);
    let options = options(&authority, &authority.url).with("ca_file", &other).unwrap();
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Tls, "{error}");
    assert!(
        error.message().contains("is not one of the certificates in ca_file"),
        "{error}"
    );
}

#[test]
fn a_pinned_certificate_for_another_purpose_is_refused() {
    let pki = Pki::new("self-signed-purpose");
    let extra = [
        "-addext",
        "subjectAltName=DNS:localhost",
        "-addext",
        "extendedKeyUsage=clientAuth",
    ];
    let (cert, key) = plain_self_signed(&pki.dir, "client-only", &extra);
    let authority = serve(&cert, &key);
    let options = options(&authority, &authority.url).with("ca_file", &cert).unwrap();
    let error = Client::new(&options).unwrap().token().unwrap_err();
    assert_eq!(error.status(), Status::Tls, "{error}");
    assert!(error.message().contains("InvalidPurpose"), "{error}");
}

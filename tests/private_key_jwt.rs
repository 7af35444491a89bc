//! Client authentication without a shared secret, against the dev authority (oidc-provider's own
//! private_key_jwt and tls_client_auth): keys and certificates made here with openssl.

mod support;

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    thread,
};

use serde_json::Value;
use support::Authority;
use vidiflow_auth::{Client, Options, Status};

/// Keys in every form the library reads, public halves, and certificates, in a temp directory.
struct Keys {
    dir: PathBuf,
}

impl Keys {
    fn new(name: &str) -> Keys {
        let dir = std::env::temp_dir().join(format!("vf-keys-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let keys = Keys { dir };
        keys.openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa8.pem");
        keys.openssl("rsa -in rsa8.pem -traditional -out rsa1.pem");
        keys.openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem");
        keys.openssl("ecparam -name prime256v1 -genkey -noout -out ec-sec1.pem");
        keys.openssl("pkcs8 -topk8 -nocrypt -in ec-sec1.pem -out ec8.pem");
        keys.openssl("ecparam -name secp384r1 -genkey -noout -out p384.pem");
        for key in ["rsa8", "other", "ec8", "p384"] {
            keys.openssl(&format!("pkey -in {key}.pem -pubout -out {key}.pub"));
        }
        keys.openssl("req -new -x509 -key rsa8.pem -subj /CN=vf-jwt -days 2 -out rsa8.crt");
        keys
    }

    /// Runs `openssl` with these space-separated arguments in the key directory.
    fn openssl(&self, args: &str) {
        let output = Command::new("openssl")
            .args(args.split_whitespace())
            .current_dir(&self.dir)
            .output()
            .expect("openssl is installed");
        assert!(
            output.status.success(),
            "openssl {args}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_str().unwrap().to_owned()
    }

    /// `VF_TEST_JWT_CLIENTS` for the standard clients.
    fn clients(&self) -> String {
        [
            ("vf-jwt-rsa", "rsa8.pub"),
            ("vf-jwt-ec", "ec8.pub"),
            ("vf-jwt-p384", "p384.pub"),
            ("vf-jwt-rotating", "rsa8.pub+other.pub"),
            ("vf-jwt-kid", "rsa8.pub@vf-jwt-2026"),
        ]
        .iter()
        .map(|(client, public)| {
            // "file@kid": the key id rides along with the path.
            let files: Vec<String> = public.split('+').map(|file| self.path(file)).collect();
            format!("{client}={}", files.join("+"))
        })
        .collect::<Vec<_>>()
        .join(",")
    }

    fn authority(&self) -> Authority {
        self.authority_with(&[])
    }

    fn authority_with(&self, extra: &[(&str, &str)]) -> Authority {
        let clients = self.clients();
        let mut env = vec![("VF_TEST_JWT_CLIENTS", clients.as_str())];
        env.extend_from_slice(extra);
        Authority::start_with(&env)
    }

    /// The base64 lines of a PEM file: none may appear in any message.
    fn pem_body_lines(&self, file: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.join(file))
            .unwrap()
            .lines()
            .filter(|line| !line.starts_with("-----") && line.len() > 16)
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn jwt_options(authority: &Authority, client_id: &str, key_file: &str) -> Options {
    Options::new()
        .with("authority", &authority.url)
        .and_then(|o| o.with("client_id", client_id))
        .and_then(|o| o.with("auth_method", "private_key_jwt"))
        .and_then(|o| o.with("private_key_file", key_file))
        .and_then(|o| o.with("scope", "api1"))
        .unwrap()
}

fn form(body: &str) -> Vec<(String, String)> {
    body.split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_owned(), decode(value))
        })
        .collect()
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&value[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn base64url_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut bits, mut count, mut out) = (0u32, 0, Vec::new());
    for byte in text.bytes() {
        bits = bits << 6 | ALPHABET.iter().position(|a| *a == byte).expect("base64url") as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// The decoded header and claims of the assertion in the `index`th token request.
fn assertion(authority: &Authority, index: usize) -> (Value, Value, Vec<(String, String)>) {
    let body = authority.token_request_log()[index]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    let fields = form(&body);
    let jwt = &fields.iter().find(|(name, _)| name == "client_assertion").unwrap().1;
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let json = |part: &str| serde_json::from_slice::<Value>(&base64url_decode(part)).unwrap();
    (json(parts[0]), json(parts[1]), fields)
}

#[test]
fn every_key_form_gets_a_token_with_the_algorithm_it_implies() {
    let keys = Keys::new("forms");
    let authority = keys.authority();
    let endpoint = format!("{}/connect/token", authority.url);
    let cases = [
        ("vf-jwt-rsa", "rsa8.pem", None, "RS256"),
        ("vf-jwt-rsa", "rsa1.pem", Some("PS256"), "PS256"),
        ("vf-jwt-ec", "ec-sec1.pem", None, "ES256"),
        ("vf-jwt-ec", "ec8.pem", None, "ES256"),
        ("vf-jwt-p384", "p384.pem", None, "ES384"),
    ];
    for (index, (client_id, key, signing_alg, alg)) in cases.into_iter().enumerate() {
        let mut options = jwt_options(&authority, client_id, &keys.path(key));
        if let Some(signing_alg) = signing_alg {
            options = options.with("signing_alg", signing_alg).unwrap();
        }
        let client = Client::new(&options).unwrap();
        let token = client.token().unwrap_or_else(|error| panic!("{key}: {error}"));
        assert!(token.access_token().starts_with("eyJ"), "{key}");
        // The next case may be the same key in another form, which is the same identity: drop
        // the token so that it asks again.
        assert!(client.invalidate(token.access_token()));
        let (header, claims, fields) = assertion(&authority, index);
        assert_eq!(header["alg"], alg, "{key}");
        assert_eq!(header["typ"], "JWT");
        assert!(header.get("x5t").is_none() && header.get("kid").is_none(), "{header}");
        assert_eq!(claims["iss"], client_id);
        assert_eq!(claims["sub"], client_id);
        assert_eq!(claims["aud"], endpoint.as_str());
        assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 60);
        assert_eq!(claims["nbf"], claims["iat"]);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
        let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            [
                "grant_type",
                "scope",
                "client_id",
                "client_assertion_type",
                "client_assertion"
            ]
        );
        assert_eq!(fields[3].1, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
        if index == 0 {
            println!("assertion header: {header}\nassertion claims: {claims}");
        }
    }
}

#[test]
fn a_certificate_and_key_id_go_in_the_header() {
    let keys = Keys::new("x5t");
    let authority = keys.authority();
    let options = jwt_options(&authority, "vf-jwt-kid", &keys.path("rsa8.pem"))
        .with("client_certificate_file", &keys.path("rsa8.crt"))
        .and_then(|o| o.with("key_id", "vf-jwt-2026"))
        .unwrap();
    Client::new(&options).unwrap().token().unwrap();
    let (header, claims, _) = assertion(&authority, 0);
    println!("assertion header: {header}\nassertion claims: {claims}");
    let der_base64: String = keys.pem_body_lines("rsa8.crt").concat();
    let short_lines: String = std::fs::read_to_string(keys.dir.join("rsa8.crt"))
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    assert!(short_lines.starts_with(&der_base64[..16]));
    assert_eq!(header["x5c"][0], short_lines.as_str());
    assert_eq!(header["kid"], "vf-jwt-2026");
    let fingerprint = Command::new("openssl")
        .args(["x509", "-in", &keys.path("rsa8.crt"), "-noout", "-fingerprint", "-sha1"])
        .output()
        .unwrap();
    let hex = String::from_utf8(fingerprint.stdout).unwrap();
    let sha1: Vec<u8> = hex
        .trim()
        .split('=')
        .nth(1)
        .unwrap()
        .split(':')
        .map(|byte| u8::from_str_radix(byte, 16).unwrap())
        .collect();
    assert_eq!(base64url_decode(header["x5t"].as_str().unwrap()), sha1);
}

#[test]
fn each_request_has_a_fresh_jti_and_a_replayed_assertion_is_refused() {
    let keys = Keys::new("replay");
    let authority = keys.authority();
    let client = Client::new(&jwt_options(&authority, "vf-jwt-rsa", &keys.path("rsa8.pem"))).unwrap();
    let first = client.token().unwrap();
    assert!(client.invalidate(first.access_token()));
    client.token().unwrap();
    let (_, first_claims, first_fields) = assertion(&authority, 0);
    let (_, second_claims, _) = assertion(&authority, 1);
    assert_ne!(first_claims["jti"], second_claims["jti"]);

    // The first request's body again, byte for byte: the authority remembers the jti.
    let body = authority.token_request_log()[0]["body"].as_str().unwrap().to_owned();
    assert!(first_fields.iter().any(|(name, _)| name == "client_assertion"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .build()
        .into();
    let mut replay = agent
        .post(&format!("{}/connect/token", authority.url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send(body.as_bytes())
        .unwrap();
    assert_eq!(replay.status().as_u16(), 401);
    let answer = replay.body_mut().read_to_string().unwrap();
    assert!(answer.contains("invalid_client"), "{answer}");
}

#[test]
fn a_key_the_authority_does_not_know_is_invalid_client() {
    let keys = Keys::new("wrong");
    let authority = keys.authority();
    let error = Client::new(&jwt_options(&authority, "vf-jwt-rsa", &keys.path("other.pem")))
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(error.status(), Status::Oauth, "{error}");
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client");
}

#[test]
fn herd_of_32_threads_sends_one_request() {
    let keys = Keys::new("herd");
    let authority = keys.authority();
    let client = Arc::new(Client::new(&jwt_options(&authority, "vf-jwt-ec", &keys.path("ec8.pem"))).unwrap());
    let tokens: Vec<String> = thread::scope(|scope| {
        let handles: Vec<_> = (0..32)
            .map(|_| {
                let client = client.clone();
                scope.spawn(move || client.token().unwrap().access_token().to_owned())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(tokens.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(authority.token_requests(), 1);
}

#[test]
fn a_rotated_key_gets_its_own_token() {
    let keys = Keys::new("rotation");
    let authority = keys.authority();
    let old = Client::new(&jwt_options(&authority, "vf-jwt-rotating", &keys.path("rsa8.pem"))).unwrap();
    let old_token = old.token().unwrap();
    let new = Client::new(&jwt_options(&authority, "vf-jwt-rotating", &keys.path("other.pem"))).unwrap();
    let new_token = new.token().unwrap();
    assert_ne!(old_token.access_token(), new_token.access_token());
    assert_eq!(authority.token_requests(), 2);
    // The old key again, in its PKCS#1 form: the same key, so the cached token.
    let again = Client::new(&jwt_options(&authority, "vf-jwt-rotating", &keys.path("rsa1.pem"))).unwrap();
    assert_eq!(again.token().unwrap().access_token(), old_token.access_token());
    assert_eq!(authority.token_requests(), 2);
}

#[test]
fn identityserver3_behind_service_fabric_gets_its_issuer_token_endpoint_in_the_audience() {
    let keys = Keys::new("idsrv3");
    let authority = keys.authority_with(&[
        ("VF_TEST_ISSUER_ORIGIN", "http://VIDIFLOWHOST:19081"),
        ("VF_TEST_IDENTITYSERVER3", "1"),
    ]);
    let options = jwt_options(&authority, "vf-jwt-rsa", &keys.path("rsa8.pem"))
        .with("validate_issuer", "false")
        .unwrap();
    Client::new(&options).unwrap().token().unwrap();
    let (_, claims, _) = assertion(&authority, 0);
    assert_eq!(
        claims["aud"],
        serde_json::json!([
            format!("{}/connect/token", authority.url),
            "http://VIDIFLOWHOST:19081/Integrations/Authentication/core/connect/token"
        ])
    );
}

#[test]
fn bad_keys_and_settings_are_config_errors_naming_the_option_never_the_key() {
    let keys = Keys::new("bad");
    keys.openssl("genpkey -algorithm ed25519 -out ed25519.pem");
    keys.openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:x -out encrypted.pem");
    let base = || {
        Options::new()
            .with("authority", "http://127.0.0.1:1/core")
            .and_then(|o| o.with("client_id", "vf-jwt-rsa"))
            .and_then(|o| o.with("auth_method", "private_key_jwt"))
            .unwrap()
    };
    let rsa = keys.path("rsa8.pem");
    let cases: Vec<(Options, &str)> = vec![
        (base(), "needs 'private_key_file'"),
        (
            base().with("private_key_file", &keys.path("missing.pem")).unwrap(),
            "no such file",
        ),
        (
            base().with("private_key_file", &keys.path("rsa8.crt")).unwrap(),
            "holds no private key",
        ),
        (
            base().with("private_key_file", &keys.path("encrypted.pem")).unwrap(),
            "encrypted",
        ),
        (
            base().with("private_key_file", &keys.path("ed25519.pem")).unwrap(),
            "unsupported key",
        ),
        (
            base()
                .with("private_key_file", &keys.path("other.pem"))
                .and_then(|o| o.with("client_certificate_file", &keys.path("rsa8.crt")))
                .unwrap(),
            "not for the key",
        ),
        (
            base()
                .with("private_key_file", &rsa)
                .and_then(|o| o.with("signing_alg", "ES256"))
                .unwrap(),
            "does not suit",
        ),
        (
            base()
                .with("private_key_file", &rsa)
                .and_then(|o| o.with("client_secret", "s3cr3t"))
                .unwrap(),
            "unset 'client_secret'",
        ),
        (
            base()
                .with("authority", "https://localhost:1/core")
                .and_then(|o| o.with("auth_method", "tls_client_auth"))
                .and_then(|o| o.with("private_key_file", &rsa))
                .unwrap(),
            "needs 'client_certificate_file'",
        ),
        (
            base()
                .with("auth_method", "tls_client_auth")
                .and_then(|o| o.with("private_key_file", &rsa))
                .and_then(|o| o.with("client_certificate_file", &keys.path("rsa8.crt")))
                .unwrap(),
            "must be https",
        ),
        (
            base()
                .with("authority", "https://localhost:1/core")
                .and_then(|o| o.with("auth_method", "tls_client_auth"))
                .and_then(|o| o.with("private_key_file", &rsa))
                .and_then(|o| o.with("client_certificate_file", &keys.path("rsa8.crt")))
                .and_then(|o| o.with("key_id", "k1"))
                .unwrap(),
            "'key_id' and 'signing_alg' are for private_key_jwt",
        ),
        (
            base()
                .with("auth_method", "client_secret_post")
                .and_then(|o| o.with("client_secret", "s3cr3t"))
                .and_then(|o| o.with("private_key_file", &rsa))
                .unwrap(),
            "'private_key_file' is set but auth_method is client_secret_post",
        ),
    ];
    let secret_lines: Vec<String> = ["rsa8.pem", "other.pem", "encrypted.pem", "ed25519.pem"]
        .iter()
        .flat_map(|file| keys.pem_body_lines(file))
        .collect();
    for (options, expect) in cases {
        let error = Client::new(&options).err().expect("refused");
        assert_eq!(error.status(), Status::Config, "{error}");
        assert!(error.message().contains(expect), "{expect}: {error}");
        assert!(!error.message().contains(keys.dir.to_str().unwrap()), "{error}");
        for line in &secret_lines {
            assert!(!error.message().contains(&line[..16]), "{error}");
        }
    }
    let error = Options::new().set("signing_alg", "HS256").unwrap_err();
    assert!(
        error.message().contains("expected RS256, PS256, ES256 or ES384"),
        "{error}"
    );
}

/// A CA for the server and one for clients, a server certificate for localhost, and a client
/// certificate CN=vf-mtls for the RSA key.
fn mutual_tls_pki(keys: &Keys) {
    std::fs::write(keys.dir.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    for ca in ["server-ca", "client-ca"] {
        keys.openssl(&format!(
            "req -x509 -newkey rsa:2048 -nodes -keyout {ca}.key -out {ca}.pem -days 2 -subj /CN={ca}"
        ));
    }
    keys.openssl("req -new -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost");
    keys.openssl("x509 -req -in server.csr -CA server-ca.pem -CAkey server-ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext");
    // An extension makes it an X.509 v3 certificate; TLS refuses v1 ones.
    std::fs::write(keys.dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").unwrap();
    keys.openssl("req -new -key ec8.pem -out client.csr -subj /CN=vf-mtls");
    keys.openssl("x509 -req -in client.csr -CA client-ca.pem -CAkey client-ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext");
    // Self-signed certificates of the same key: one registered at the authority, one not.
    for name in ["self", "stranger"] {
        keys.openssl(&format!(
            "req -new -x509 -key ec8.pem -subj /CN=vf-mtls -days 2 -out {name}.pem"
        ));
    }
}

fn mtls_authority(keys: &Keys) -> Authority {
    mutual_tls_pki(keys);
    let paths = ["server.pem", "server.key", "client-ca.pem", "self.pem"].map(|file| keys.path(file));
    keys.authority_with(&[
        ("VF_TEST_TLS_CERT", &paths[0]),
        ("VF_TEST_TLS_KEY", &paths[1]),
        ("VF_TEST_HOST_NAME", "localhost"),
        ("VF_TEST_TLS_CLIENT_CA", &paths[2]),
        ("VF_TEST_TLS_SELF_SIGNED_CLIENT_CERT", &paths[3]),
    ])
}

fn mtls_options(authority: &Authority, keys: &Keys, method: &str, certificate: &str) -> Options {
    let client_id = if method == "tls_client_auth" {
        "vf-mtls"
    } else {
        "vf-mtls-self"
    };
    Options::new()
        .with("authority", &authority.url)
        .and_then(|o| o.with("client_id", client_id))
        .and_then(|o| o.with("auth_method", method))
        .and_then(|o| o.with("private_key_file", &keys.path("ec8.pem")))
        .and_then(|o| o.with("client_certificate_file", &keys.path(certificate)))
        .and_then(|o| o.with("ca_file", &keys.path("server-ca.pem")))
        .and_then(|o| o.with("scope", "api1"))
        .unwrap()
}

#[test]
fn tls_client_auth_presents_the_certificate_and_sends_only_the_client_id() {
    let keys = Keys::new("mtls");
    let authority = mtls_authority(&keys);
    let token = Client::new(&mtls_options(&authority, &keys, "tls_client_auth", "client.pem"))
        .unwrap()
        .token()
        .unwrap();
    assert!(token.access_token().starts_with("eyJ"));
    // The authority's own log, read over https with the server's CA.
    let stats_url = format!("{}/__test/stats", authority.url.split("/Integrations").next().unwrap());
    let ca = std::fs::read(keys.path("server-ca.pem")).unwrap();
    let roots = vec![ureq::tls::Certificate::from_pem(&ca).unwrap()];
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .proxy(None)
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
                .build(),
        )
        .build()
        .into();
    let stats: Value = serde_json::from_str(
        &agent
            .get(&stats_url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap(),
    )
    .unwrap();
    let body = stats["requests"][0]["body"].as_str().unwrap();
    assert_eq!(body, "grant_type=client_credentials&scope=api1&client_id=vf-mtls");

    // The same key and subject, but a certificate no CA the authority trusts issued: refused
    // (and not served the token cached for the first certificate).
    let error = Client::new(&mtls_options(&authority, &keys, "tls_client_auth", "self.pem"))
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(error.status(), Status::Oauth, "{error}");
    assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client");
}

#[test]
fn self_signed_tls_client_auth_works_with_the_registered_certificate_only() {
    let keys = Keys::new("mtls-self");
    let authority = mtls_authority(&keys);
    let method = "self_signed_tls_client_auth";
    let token = Client::new(&mtls_options(&authority, &keys, method, "self.pem"))
        .unwrap()
        .token()
        .unwrap();
    assert!(token.access_token().starts_with("eyJ"));
    let error = Client::new(&mtls_options(&authority, &keys, method, "stranger.pem"))
        .unwrap()
        .token()
        .unwrap_err();
    assert_eq!(
        error.oauth().map(|oauth| oauth.error.as_str()),
        Some("invalid_client"),
        "{error}"
    );
}

#[test]
fn key_files_are_read_when_the_client_is_made_not_later() {
    let keys = Keys::new("early");
    let copy: PathBuf = keys.dir.join("copy.pem");
    std::fs::copy(keys.dir.join("rsa8.pem"), &copy).unwrap();
    let authority = keys.authority();
    let client = Client::new(&jwt_options(&authority, "vf-jwt-rsa", copy.to_str().unwrap())).unwrap();
    std::fs::remove_file(&copy).unwrap();
    assert!(!Path::new(&copy).exists());
    client.token().unwrap();
}

#[test]
fn vf_token_takes_the_key_by_flag_and_never_prints_it() {
    let keys = Keys::new("cli");
    let authority = keys.authority();
    let run = |key: &str| {
        Command::new(env!("CARGO_BIN_EXE_vf-token"))
            .args([
                "--authority",
                &authority.url,
                "--client-id",
                "vf-jwt-ec",
                "--scope",
                "api1",
            ])
            .args([
                "--auth-method",
                "private_key_jwt",
                "--private-key-file",
                &keys.path(key),
                "--header",
            ])
            .env("NO_PROXY", "*")
            .env_remove("VF_CLIENT_SECRET")
            .env_remove("VF_CLIENT_SECRET_FILE")
            .output()
            .expect("vf-token runs")
    };
    let good = run("ec-sec1.pem");
    let stdout = String::from_utf8(good.stdout).unwrap();
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    assert!(stdout.starts_with("Authorization: Bearer eyJ"), "{stdout}");
    // Not a key: exit 12 (10 + CONFIG), the option named, nothing of the file shown.
    let bad = run("rsa8.crt");
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert_eq!(bad.status.code(), Some(12), "{stderr}");
    assert!(stderr.contains("option 'private_key_file'"), "{stderr}");
    for line in keys
        .pem_body_lines("rsa8.crt")
        .iter()
        .chain(&keys.pem_body_lines("ec-sec1.pem"))
    {
        assert!(!stderr.contains(&line[..16]) && !stdout.contains(&line[..16]));
    }
}

#[test]
fn tls_client_auth_without_ca_file_trusts_the_system_roots() {
    // vf-token in a process of its own, so that SSL_CERT_FILE (read with the system's roots)
    // names the test CA without touching this process.
    let keys = Keys::new("mtls-system");
    let authority = mtls_authority(&keys);
    let output = Command::new(env!("CARGO_BIN_EXE_vf-token"))
        .args([
            "--authority",
            &authority.url,
            "--client-id",
            "vf-mtls",
            "--scope",
            "api1",
        ])
        .args([
            "--auth-method",
            "tls_client_auth",
            "--private-key-file",
            &keys.path("ec8.pem"),
        ])
        .args(["--client-certificate-file", &keys.path("client.pem"), "--header"])
        .env("SSL_CERT_FILE", keys.path("server-ca.pem"))
        .env("NO_PROXY", "*")
        .env_remove("VF_CLIENT_SECRET")
        .env_remove("VF_CA_FILE")
        .output()
        .expect("vf-token runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.starts_with("Authorization: Bearer eyJ"), "{stdout}");
}

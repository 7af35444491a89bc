//! The client's private key, for `private_key_jwt` (RFC 7523 client assertions) and mutual TLS
//! (RFC 8705): read from PEM (PKCS#8, PKCS#1 RSA or SEC1 EC), checked against its certificate,
//! never printed. Signing is `ring`'s, the crypto library already in the build through rustls.

use std::{
    fmt,
    path::Path,
    time::{SystemTime, UNIX_EPOCH},
};

use ring::{
    digest,
    rand::{SecureRandom, SystemRandom},
    signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair},
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::{
    der::der_element,
    error::{Error, Result, Status},
    oauth::form::{base64_len, push_base64},
    secret::Secret,
    wipe::{io_reason, read_to_end},
};

/// How long a client assertion is valid: long enough for clock skew and a slow network, short
/// enough that a captured one is soon useless.
const ASSERTION_LIFETIME_SECS: u64 = 60;

/// A JWS algorithm for client assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// ECDSA P-256 with SHA-256.
    Es256,
    /// ECDSA P-384 with SHA-384.
    Es384,
}

impl SigningAlg {
    /// The JWS name, e.g. `RS256`.
    pub fn name(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Ps256 => "PS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::Es384 => "ES384",
        }
    }

    /// Parses a JWS name (any case).
    pub fn parse(text: &str) -> Option<SigningAlg> {
        [
            SigningAlg::Rs256,
            SigningAlg::Ps256,
            SigningAlg::Es256,
            SigningAlg::Es384,
        ]
        .into_iter()
        .find(|alg| alg.name().eq_ignore_ascii_case(text))
    }
}

enum Signer {
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair, SigningAlg),
}

/// A client's private key with what goes with it. `Debug` never shows the key.
pub struct ClientKey {
    signer: Signer,
    alg: SigningAlg,
    key_id: Option<String>,
    /// The certificate of the key, then any intermediate certificates, DER; empty when no
    /// certificate was given.
    chain: Vec<Vec<u8>>,
    /// The key as read (DER) and its PEM form, for the TLS handshake. Wiped on drop.
    der: Zeroizing<Vec<u8>>,
    form: KeyForm,
    /// The key whatever file encoding it came in (RSA: PKCS#1; EC: curve and private scalar):
    /// what the cache key's fingerprint and shared cache levels derive from. Wiped on drop.
    canonical: Zeroizing<Vec<u8>>,
}

/// The three encodings of a private key in PEM, by label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyForm {
    /// `RSA PRIVATE KEY`
    Pkcs1,
    /// `PRIVATE KEY`
    Pkcs8,
    /// `EC PRIVATE KEY`
    Sec1,
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientKey({}, [redacted])", self.alg.name())
    }
}

impl ClientKey {
    /// Reads the key (and its certificate) and checks that they fit together and that
    /// `signing_alg`, if given, suits the key. Errors name the option, never the key or the path.
    pub fn load(
        key_file: &Path,
        certificate_file: Option<&Path>,
        key_id: Option<&str>,
        signing_alg: Option<SigningAlg>,
    ) -> Result<ClientKey> {
        let pem = read("private_key_file", key_file)?;
        let (form, der) = private_key_block(&pem)?;
        let (signer, canonical) = signer_for(form, &der)?;
        let alg = match (&signer, signing_alg) {
            (Signer::Rsa(_), None) => SigningAlg::Rs256,
            (Signer::Rsa(_), Some(alg @ (SigningAlg::Rs256 | SigningAlg::Ps256))) => alg,
            (Signer::Ecdsa(_, curve_alg), None) => *curve_alg,
            (Signer::Ecdsa(_, curve_alg), Some(alg)) if alg == *curve_alg => alg,
            (_, Some(alg)) => {
                return Err(Error::config(format!(
                    "option 'signing_alg': {} does not suit the key in private_key_file ({})",
                    alg.name(),
                    match &signer {
                        Signer::Rsa(_) => "an RSA key: RS256 or PS256",
                        Signer::Ecdsa(_, SigningAlg::Es384) => "an EC P-384 key: ES384",
                        Signer::Ecdsa(..) => "an EC P-256 key: ES256",
                    }
                )));
            }
        };
        let chain = match certificate_file {
            None => Vec::new(),
            Some(path) => read_chain(path, &public_key(&signer))?,
        };
        Ok(ClientKey {
            signer,
            alg,
            key_id: key_id.map(str::to_owned),
            chain,
            der,
            form,
            canonical,
        })
    }

    /// The key (in one encoding, whatever the file's) and its certificates, in Base64: what the
    /// cache key's fingerprint and shared cache levels derive from, as they do from a client
    /// secret. The same key in PKCS#1 or PKCS#8 is one identity; a new certificate for it
    /// (another identity under tls_client_auth) is another. Built at its final size, so no
    /// unwiped copy is left behind.
    pub fn material(&self) -> Secret {
        let length = base64_len(self.canonical.len()) + self.chain.iter().map(|c| base64_len(c.len())).sum::<usize>();
        let mut text = Zeroizing::new(String::with_capacity(length));
        push_base64(&mut text, &self.canonical);
        for certificate in &self.chain {
            push_base64(&mut text, certificate);
        }
        Secret::new(std::mem::take(&mut *text))
    }

    /// The certificate chain and key for a TLS client handshake, if a certificate was given.
    /// The key is a copy that rustls keeps (and does not wipe) for the client's lifetime.
    pub fn tls_identity(&self) -> Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
        if self.chain.is_empty() {
            return None;
        }
        let chain = self.chain.iter().map(|der| CertificateDer::from(der.clone())).collect();
        let key = match self.form {
            KeyForm::Pkcs1 => PrivateKeyDer::Pkcs1(self.der.to_vec().into()),
            KeyForm::Pkcs8 => PrivateKeyDer::Pkcs8(self.der.to_vec().into()),
            KeyForm::Sec1 => PrivateKeyDer::Sec1(self.der.to_vec().into()),
        };
        Some((chain, key))
    }

    /// A fresh client assertion (RFC 7523 §2.2): `iss` = `sub` = `client_id`, `aud` =
    /// `audiences` (one string when there is one), a random `jti`, `iat` now, `exp` a minute
    /// later. With a certificate, the header carries `x5t` and `x5c`.
    pub fn assertion(&self, client_id: &str, audiences: &[String], now: SystemTime) -> Result<Zeroizing<String>> {
        let random = SystemRandom::new();
        let mut jti = [0u8; 16];
        random
            .fill(&mut jti)
            .map_err(|_| Error::new(Status::Internal, "the system random number generator failed"))?;
        let iat = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut header = json!({ "alg": self.alg.name(), "typ": "JWT" });
        if let Some(kid) = &self.key_id {
            header["kid"] = Value::from(kid.as_str());
        }
        if let Some(certificate) = self.chain.first() {
            header["x5t"] = Value::from(base64url(
                digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, certificate).as_ref(),
            ));
            let encoded: Vec<String> = self
                .chain
                .iter()
                .map(|der| {
                    let mut standard = String::with_capacity(base64_len(der.len()));
                    push_base64(&mut standard, der);
                    standard
                })
                .collect();
            header["x5c"] = json!(encoded);
        }
        let audience = match audiences {
            [one] => Value::from(one.as_str()),
            many => json!(many),
        };
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "iat": iat,
            "nbf": iat,
            "exp": iat + ASSERTION_LIFETIME_SECS,
        });
        let mut signing_input = base64url(header.to_string().as_bytes());
        signing_input.push('.');
        signing_input.push_str(&base64url(claims.to_string().as_bytes()));
        let signature = self.sign(signing_input.as_bytes(), &random)?;
        let mut jwt = Zeroizing::new(String::with_capacity(
            signing_input.len() + 1 + signature.len() * 4 / 3 + 4,
        ));
        jwt.push_str(&signing_input);
        jwt.push('.');
        jwt.push_str(&base64url(&signature));
        Ok(jwt)
    }

    fn sign(&self, message: &[u8], random: &SystemRandom) -> Result<Vec<u8>> {
        let failed = |_| Error::new(Status::Internal, "signing the client assertion failed");
        match &self.signer {
            Signer::Rsa(key) => {
                let scheme: &'static dyn signature::RsaEncoding = match self.alg {
                    SigningAlg::Ps256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(scheme, random, message, &mut signature).map_err(failed)?;
                Ok(signature)
            }
            Signer::Ecdsa(key, _) => Ok(key.sign(random, message).map_err(failed)?.as_ref().to_vec()),
        }
    }
}

/// Longest key or certificate file read: a guard against `/dev/zero` and pasted-over paths.
const MAX_FILE_BYTES: u64 = 64 * 1024;

fn read(option: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let unreadable = |error: &std::io::Error| {
        Error::config(format!(
            "option '{option}': the file it names cannot be read: {}",
            io_reason(error)
        ))
    };
    let file = std::fs::File::open(path).map_err(|error| unreadable(&error))?;
    // Grown by moving to a wiped buffer, never by realloc: the file may be a private key.
    let bytes = read_to_end(file, MAX_FILE_BYTES + 1).map_err(|error| unreadable(&error))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::config(format!(
            "option '{option}': the file it names is larger than {} KiB; not a PEM key or certificate",
            MAX_FILE_BYTES / 1024
        )));
    }
    Ok(bytes)
}

/// The PEM blocks of `text`: label and decoded bytes, each decoded into a buffer of its exact
/// size (a key is never left behind in a freed, grown buffer). `None` for malformed Base64.
fn pem_blocks(text: &[u8]) -> Option<Vec<(String, Zeroizing<Vec<u8>>)>> {
    let mut blocks = Vec::new();
    let mut lines = text.split(|b| *b == b'\n').map(|line| line.trim_ascii());
    while let Some(line) = lines.next() {
        let Some(label) = line.strip_prefix(b"-----BEGIN ").and_then(|l| l.strip_suffix(b"-----")) else {
            continue;
        };
        let label = String::from_utf8_lossy(label).into_owned();
        let end = format!("-----END {label}-----");
        let body: Vec<&[u8]> = lines.by_ref().take_while(|line| *line != end.as_bytes()).collect();
        // Headers such as "Proc-Type: 4,ENCRYPTED" (legacy encrypted PEM) hold a ':'.
        if body.iter().any(|line| line.contains(&b':')) {
            blocks.push((format!("{label} ENCRYPTED"), Zeroizing::new(Vec::new())));
            continue;
        }
        blocks.push((label, decode_base64(&body)?));
    }
    Some(blocks)
}

/// Standard Base64 (padding optional) spread over `lines`, into a buffer of its exact size.
fn decode_base64(lines: &[&[u8]]) -> Option<Zeroizing<Vec<u8>>> {
    fn value(byte: u8) -> Option<u32> {
        match byte {
            b'A'..=b'Z' => Some(u32::from(byte - b'A')),
            b'a'..=b'z' => Some(u32::from(byte - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(byte - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let digits = || {
        lines
            .iter()
            .flat_map(|line| line.iter().copied())
            .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
    };
    let count = digits().count();
    if count % 4 == 1 {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(count * 3 / 4));
    let (mut bits, mut held) = (0u32, 0);
    for byte in digits() {
        bits = (bits << 6 | value(byte)?) & 0xff_ffff;
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
        }
    }
    Some(out)
}

/// The first private key in `pem`, its form and DER.
fn private_key_block(pem: &[u8]) -> Result<(KeyForm, Zeroizing<Vec<u8>>)> {
    let malformed = || Error::config("option 'private_key_file': the file is not valid PEM (bad Base64)");
    for (label, der) in pem_blocks(pem).ok_or_else(malformed)? {
        let form = match label.as_str() {
            "RSA PRIVATE KEY" => KeyForm::Pkcs1,
            "PRIVATE KEY" => KeyForm::Pkcs8,
            "EC PRIVATE KEY" => KeyForm::Sec1,
            encrypted if encrypted.contains("ENCRYPTED") => {
                return Err(Error::config(
                    "option 'private_key_file': the key is encrypted with a passphrase, which is not supported; decrypt it (openssl pkey -in KEY -out PLAIN) and protect the file with permissions",
                ));
            }
            _ => continue,
        };
        return Ok((form, der));
    }
    Err(Error::config(
        "option 'private_key_file': the file holds no private key (expected PEM: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)",
    ))
}

const UNSUPPORTED_KEY: &str =
    "option 'private_key_file': unsupported key (RSA of 2048 to 4096 bits, or EC P-256 or P-384, are supported)";

/// The signer for a key, and the key in one canonical encoding (see [`ClientKey::material`]).
fn signer_for(form: KeyForm, der: &[u8]) -> Result<(Signer, Zeroizing<Vec<u8>>)> {
    let random = SystemRandom::new();
    let unsupported = || Error::config(UNSUPPORTED_KEY);
    match form {
        KeyForm::Pkcs1 => {
            let rsa = RsaKeyPair::from_der(der).map_err(|_| unsupported())?;
            Ok((Signer::Rsa(rsa), Zeroizing::new(der.to_vec())))
        }
        KeyForm::Pkcs8 => {
            // PrivateKeyInfo: SEQUENCE { version, algorithm, OCTET STRING privateKey, ... }
            let inner = der_element(der, 0x30)
                .and_then(|(info, _)| der_element(info, 0x02))
                .and_then(|(_, rest)| der_element(rest, 0x30))
                .and_then(|(_, rest)| der_element(rest, 0x04))
                .map(|(inner, _)| inner)
                .ok_or_else(unsupported)?;
            if let Ok(rsa) = RsaKeyPair::from_pkcs8(der) {
                return Ok((Signer::Rsa(rsa), Zeroizing::new(inner.to_vec())));
            }
            for (alg, curve) in [
                (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, SigningAlg::Es256),
                (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, SigningAlg::Es384),
            ] {
                if let Ok(ec) = EcdsaKeyPair::from_pkcs8(alg, der, &random) {
                    let scalar = sec1_private_scalar(inner).ok_or_else(unsupported)?;
                    return Ok((Signer::Ecdsa(ec, curve), canonical_ec(curve, scalar)));
                }
            }
            Err(unsupported())
        }
        KeyForm::Sec1 => sec1_signer(der, &random),
    }
}

/// `[curve] scalar`: an EC key's canonical form.
fn canonical_ec(curve: SigningAlg, scalar: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut canonical = Zeroizing::new(Vec::with_capacity(1 + scalar.len()));
    canonical.push(if curve == SigningAlg::Es384 { 2 } else { 1 });
    canonical.extend_from_slice(scalar);
    canonical
}

/// The privateKey of an ECPrivateKey (RFC 5915).
fn sec1_private_scalar(der: &[u8]) -> Option<&[u8]> {
    let (key, _) = der_element(der, 0x30)?;
    let (_, rest) = der_element(key, 0x02)?;
    der_element(rest, 0x04).map(|(scalar, _)| scalar)
}

/// An EC key in SEC1 form (RFC 5915): `SEQUENCE { 1, privateKey, [0] curve, [1] publicKey }`.
fn sec1_signer(der: &[u8], random: &SystemRandom) -> Result<(Signer, Zeroizing<Vec<u8>>)> {
    const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    let unsupported = || Error::config(UNSUPPORTED_KEY);
    let (key, _) = der_element(der, 0x30).ok_or_else(unsupported)?;
    let (_, rest) = der_element(key, 0x02).ok_or_else(unsupported)?;
    let (private, rest) = der_element(rest, 0x04).ok_or_else(unsupported)?;
    let (curve, rest) = der_element(rest, 0xa0).ok_or_else(unsupported)?;
    let (curve, _) = der_element(curve, 0x06).ok_or_else(unsupported)?;
    let public = der_element(rest, 0xa1)
        .and_then(|(public, _)| der_element(public, 0x03))
        .and_then(|(bits, _)| bits.get(1..)) // the BIT STRING's unused-bits byte
        .ok_or_else(|| {
            Error::config(
                "option 'private_key_file': the EC key holds no public key; write it out with it (openssl ec -in KEY -out KEY.full)",
            )
        })?;
    let (alg, name) = match curve {
        P256 => (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, SigningAlg::Es256),
        P384 => (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, SigningAlg::Es384),
        _ => return Err(unsupported()),
    };
    let signer =
        EcdsaKeyPair::from_private_key_and_public_key(alg, private, public, random).map_err(|_| unsupported())?;
    Ok((Signer::Ecdsa(signer, name), canonical_ec(name, private)))
}

/// The public key as it appears in a certificate's subjectPublicKey: PKCS#1 RSAPublicKey for
/// RSA, the uncompressed point for EC.
fn public_key(signer: &Signer) -> Vec<u8> {
    match signer {
        Signer::Rsa(key) => key.public_key().as_ref().to_vec(),
        Signer::Ecdsa(key, _) => key.public_key().as_ref().to_vec(),
    }
}

/// Every certificate in the PEM file, in order; the first must be for `public_key`.
fn read_chain(path: &Path, public_key: &[u8]) -> Result<Vec<Vec<u8>>> {
    let pem = read("client_certificate_file", path)?;
    let malformed = || Error::config("option 'client_certificate_file': the file is not valid PEM (bad Base64)");
    let chain: Vec<Vec<u8>> = pem_blocks(&pem)
        .ok_or_else(malformed)?
        .into_iter()
        .filter(|(label, _)| label == "CERTIFICATE")
        .map(|(_, der)| der.to_vec())
        .collect();
    let Some(first) = chain.first() else {
        return Err(Error::config(
            "option 'client_certificate_file': the file holds no PEM certificate (BEGIN CERTIFICATE)",
        ));
    };
    let certified = subject_public_key(first).ok_or_else(|| {
        Error::config("option 'client_certificate_file': the certificate cannot be read (malformed DER)")
    })?;
    if certified != public_key {
        return Err(Error::config(
            "option 'client_certificate_file': the first certificate is not for the key in private_key_file",
        ));
    }
    Ok(chain)
}

/// The subjectPublicKey bits of an X.509 certificate (RFC 5280 §4.1).
fn subject_public_key(der: &[u8]) -> Option<&[u8]> {
    let (certificate, _) = der_element(der, 0x30)?;
    let (tbs, _) = der_element(certificate, 0x30)?;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = der_element(rest, 0xa0)?.1;
    }
    for tag in [0x02, 0x30, 0x30, 0x30, 0x30] {
        rest = der_element(rest, tag)?.1; // serial, signature, issuer, validity, subject
    }
    let (info, _) = der_element(rest, 0x30)?;
    let (_, info) = der_element(info, 0x30)?; // algorithm
    let (bits, _) = der_element(info, 0x03)?;
    bits.get(1..)
}

/// Base64url without padding (RFC 7515 §2).
pub fn base64url(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 4 / 3 + 4);
    push_base64(&mut text, bytes);
    text.trim_end_matches('=').replace('+', "-").replace('/', "_")
}

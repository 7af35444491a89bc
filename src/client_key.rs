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
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::{
    der::der_element,
    error::{Error, Result, Status},
    oauth::form::{base64_len, push_base64},
    secret::Secret,
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
    /// The certificate of the key, DER, when one was given.
    certificate: Option<Vec<u8>>,
    /// The key as read (DER), for the TLS handshake and as the material shared cache levels
    /// derive their keys from.
    der: PrivateKeyDer<'static>,
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
        let der = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
            let encrypted = String::from_utf8_lossy(&pem).contains("ENCRYPTED");
            Error::config(if encrypted {
                "option 'private_key_file': the key is encrypted with a passphrase, which is not supported; decrypt it (openssl pkey -in KEY -out PLAIN) and protect the file with permissions"
            } else {
                "option 'private_key_file': the file holds no private key (expected PEM: PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"
            })
        })?;
        let signer = signer_for(&der)?;
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
        let certificate = match certificate_file {
            None => None,
            Some(path) => Some(read_certificate(path, public_key(&signer))?),
        };
        Ok(ClientKey {
            signer,
            alg,
            key_id: key_id.map(str::to_owned),
            certificate,
            der,
        })
    }

    /// The key's DER, then its certificate's, in Base64: what the cache key's fingerprint and
    /// shared cache levels derive from, as they do from a client secret. A new certificate for
    /// the same key (another identity under tls_client_auth) is another cache entry. Built at
    /// its final size, so no unwiped copy is left behind.
    pub fn material(&self) -> Secret {
        let key = self.der.secret_der();
        let certificate = self.certificate.as_deref().unwrap_or_default();
        let mut text = Zeroizing::new(String::with_capacity(
            base64_len(key.len()) + base64_len(certificate.len()),
        ));
        push_base64(&mut text, key);
        push_base64(&mut text, certificate);
        Secret::new(std::mem::take(&mut *text))
    }

    /// The certificate chain and key for a TLS client handshake, if a certificate was given.
    pub fn tls_identity(&self) -> Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
        let certificate = self.certificate.as_ref()?;
        Some((vec![CertificateDer::from(certificate.clone())], self.der.clone_key()))
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
        if let Some(certificate) = &self.certificate {
            header["x5t"] = Value::from(base64url(
                digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, certificate).as_ref(),
            ));
            let mut standard = String::new();
            push_base64(&mut standard, certificate);
            header["x5c"] = json!([standard]);
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

fn read(option: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    std::fs::read(path).map(Zeroizing::new).map_err(|error| {
        Error::config(format!(
            "option '{option}': cannot read the file it names ({})",
            describe_io(&error)
        ))
    })
}

/// The kind of I/O failure, without the OS message (which may repeat the path).
fn describe_io(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        std::io::ErrorKind::IsADirectory => "it is a directory",
        _ => "read error",
    }
}

const UNSUPPORTED_KEY: &str =
    "option 'private_key_file': unsupported key (RSA of 2048 to 8192 bits, or EC P-256 or P-384, are supported)";

fn signer_for(der: &PrivateKeyDer<'_>) -> Result<Signer> {
    let random = SystemRandom::new();
    let unsupported = || Error::config(UNSUPPORTED_KEY);
    match der {
        PrivateKeyDer::Pkcs1(key) => RsaKeyPair::from_der(key.secret_pkcs1_der())
            .map(Signer::Rsa)
            .map_err(|_| unsupported()),
        PrivateKeyDer::Pkcs8(key) => {
            let bytes = key.secret_pkcs8_der();
            if let Ok(rsa) = RsaKeyPair::from_pkcs8(bytes) {
                return Ok(Signer::Rsa(rsa));
            }
            for (alg, curve) in [
                (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, SigningAlg::Es256),
                (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, SigningAlg::Es384),
            ] {
                if let Ok(ec) = EcdsaKeyPair::from_pkcs8(alg, bytes, &random) {
                    return Ok(Signer::Ecdsa(ec, curve));
                }
            }
            Err(unsupported())
        }
        PrivateKeyDer::Sec1(key) => sec1_signer(key.secret_sec1_der(), &random).ok_or_else(unsupported),
        _ => Err(unsupported()),
    }
}

/// An EC key in SEC1 form (RFC 5915): `SEQUENCE { 1, privateKey, [0] curve, [1] publicKey }`.
fn sec1_signer(der: &[u8], random: &SystemRandom) -> Option<Signer> {
    const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    let (key, _) = der_element(der, 0x30)?;
    let (_, rest) = der_element(key, 0x02)?;
    let (private, rest) = der_element(rest, 0x04)?;
    let (curve, rest) = der_element(rest, 0xa0)?;
    let (curve, _) = der_element(curve, 0x06)?;
    let (public, _) = der_element(rest, 0xa1)?;
    let (public, _) = der_element(public, 0x03)?;
    let public = public.get(1..)?; // the BIT STRING's unused-bits byte
    let (alg, name) = match curve {
        P256 => (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, SigningAlg::Es256),
        P384 => (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, SigningAlg::Es384),
        _ => return None,
    };
    EcdsaKeyPair::from_private_key_and_public_key(alg, private, public, random)
        .ok()
        .map(|key| Signer::Ecdsa(key, name))
}

/// The public key as it appears in a certificate's subjectPublicKey: PKCS#1 RSAPublicKey for
/// RSA, the uncompressed point for EC.
fn public_key(signer: &Signer) -> Vec<u8> {
    match signer {
        Signer::Rsa(key) => key.public_key().as_ref().to_vec(),
        Signer::Ecdsa(key, _) => key.public_key().as_ref().to_vec(),
    }
}

/// The first certificate in the PEM file, which must be for `public_key`.
fn read_certificate(path: &Path, public_key: Vec<u8>) -> Result<Vec<u8>> {
    let pem = read("client_certificate_file", path)?;
    let certificate = CertificateDer::from_pem_slice(&pem).map_err(|_| {
        Error::config("option 'client_certificate_file': the file holds no PEM certificate (BEGIN CERTIFICATE)")
    })?;
    let certified = subject_public_key(certificate.as_ref()).ok_or_else(|| {
        Error::config("option 'client_certificate_file': the certificate cannot be read (malformed DER)")
    })?;
    if certified != public_key.as_slice() {
        return Err(Error::config(
            "option 'client_certificate_file': the certificate is not for the key in private_key_file",
        ));
    }
    Ok(certificate.as_ref().to_vec())
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

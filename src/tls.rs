//! TLS for clients with a `ca_file`: the usual WebPKI checks against the system's roots plus the
//! file's certificates, and one addition — a server certificate that is byte for byte one of the
//! file's certificates is trusted as itself, even when it is marked as a CA. That is what
//! `openssl req -x509` makes and what on-premises authorities serve; curl, Python and .NET accept
//! it, while WebPKI refuses it (`CaUsedAsEndEntity`). The host name and the validity dates are
//! still checked, and the handshake signature is verified with the certificate's key.

use std::{
    io::{Read, Write},
    sync::Arc,
};

use rustls::{
    CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
    StreamOwned,
    client::{
        WebPkiServerVerifier,
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
        verify_server_name,
    },
    crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature},
    pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime},
    server::ParsedCertificate,
};
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, Transport, TransportAdapter,
};

use crate::{
    der::{der_element, der_time},
    error::{Error, Result, Status},
};

/// The last link of the connector chain: wraps the connection in TLS for `https` URLs.
#[derive(Debug)]
pub struct PinningTlsConnector {
    config: Arc<ClientConfig>,
}

impl PinningTlsConnector {
    /// Trusts `roots` (the system's and the file's) and, as themselves, the certificates in
    /// `pinned` (the file's).
    pub fn new(
        roots: Vec<CertificateDer<'static>>,
        pinned: Vec<CertificateDer<'static>>,
        identity: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
    ) -> Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut store = RootCertStore::empty();
        // Unparsable system roots are skipped, as ureq does; the file's were parsed already.
        store.add_parsable_certificates(roots);
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .map_err(|error| Error::new(Status::Tls, format!("cannot set up certificate checks: {error}")))?;
        let verifier = PinningVerifier {
            webpki,
            pinned,
            provider: provider.clone(),
        };
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| Error::new(Status::Tls, format!("cannot set up TLS: {error}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier));
        let config = match identity {
            None => builder.with_no_client_auth(),
            Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|error| {
                Error::config(format!("option 'private_key_file': TLS cannot use the key: {error}"))
            })?,
        };
        Ok(PinningTlsConnector {
            config: Arc::new(config),
        })
    }
}

impl<In: Transport> Connector<In> for PinningTlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Err(ureq::Error::ConnectionFailed);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details
            .uri
            .authority()
            .map(|authority| authority.host().trim_start_matches('[').trim_end_matches(']'))
            .ok_or(ureq::Error::Tls("the URL has no host"))?;
        let name = ServerName::try_from(host.to_owned()).map_err(|_| ureq::Error::Tls("invalid server name"))?;
        let mut connection = ClientConnection::new(self.config.clone(), name)?;
        let mut socket = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        socket.set_timeout(details.timeout);
        connection.complete_io(&mut socket)?;
        let buffers = LazyBuffers::new(details.config.input_buffer_size(), details.config.output_buffer_size());
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned::new(connection, socket),
        })))
    }
}

/// A TLS connection, as ureq's transports expect it.
pub struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl Transport for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> std::result::Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct PinningVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let refused = match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Ok(verified) => return Ok(verified),
            Err(refused) => refused,
        };
        // Only WebPKI's one objection to a self-signed server certificate is answered here:
        // that it is marked as a CA. Any other refusal stands.
        if !format!("{refused:?}").contains("CaUsedAsEndEntity") {
            return Err(refused);
        }
        if !self.pinned.iter().any(|pinned| pinned.as_ref() == end_entity.as_ref()) {
            // WebPKI's name for this reads as the wrong diagnosis.
            return Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(SelfSignedNotPinned)),
            )));
        }
        // The caller named this exact certificate: trust it as itself; its purpose, host name
        // and dates are still checked.
        let fields = CertificateFields::parse(end_entity.as_ref())
            .ok_or(rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if !fields.server_auth_allowed {
            return Err(rustls::Error::InvalidCertificate(CertificateError::InvalidPurpose));
        }
        let named = verify_server_name(&ParsedCertificate::try_from(end_entity)?, server_name);
        // Without subjectAltName, the common name is the host name, as OpenSSL (curl) and .NET
        // take it for DNS names: `openssl req -x509 -subj /CN=host` makes such certificates.
        if named.is_err() && (fields.has_subject_alt_name || !fields.common_name_is(server_name)) {
            return named.map(|()| ServerCertVerified::assertion());
        }
        fields.check_validity(now.as_secs())?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// A server certificate marked as a CA (self-signed, as `openssl req -x509` makes them) that
/// is not one of `ca_file`'s certificates.
struct SelfSignedNotPinned;

impl std::fmt::Display for SelfSignedNotPinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "the server's certificate is marked as a CA (self-signed?) and is not one of the certificates in ca_file; put that exact certificate in ca_file to trust it",
        )
    }
}

// rustls prints the inner error of `CertificateError::Other` with `Debug`.
impl std::fmt::Debug for SelfSignedNotPinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for SelfSignedNotPinned {}

/// What the pinned path needs of an X.509 certificate (RFC 5280 §4.1), read from its DER.
struct CertificateFields<'a> {
    /// notBefore and notAfter, Unix seconds.
    not_before: i64,
    not_after: i64,
    common_name: Option<&'a [u8]>,
    has_subject_alt_name: bool,
    /// No extendedKeyUsage, or one that allows serverAuth.
    server_auth_allowed: bool,
}

impl<'a> CertificateFields<'a> {
    fn parse(der: &'a [u8]) -> Option<CertificateFields<'a>> {
        let (certificate, _) = der_element(der, 0x30)?;
        let (tbs, _) = der_element(certificate, 0x30)?;
        let mut rest = tbs;
        if rest.first() == Some(&0xa0) {
            rest = der_element(rest, 0xa0)?.1; // [0] version
        }
        rest = der_element(rest, 0x02)?.1; // serialNumber
        rest = der_element(rest, 0x30)?.1; // signature algorithm
        rest = der_element(rest, 0x30)?.1; // issuer
        let (window, rest) = der_element(rest, 0x30)?;
        let (not_before, after) = der_time(window)?;
        let (not_after, _) = der_time(after)?;
        let (subject, rest) = der_element(rest, 0x30)?;
        let (_, mut rest) = der_element(rest, 0x30)?; // subjectPublicKeyInfo
        let mut has_subject_alt_name = false;
        let mut server_auth_allowed = true;
        while let Some(&tag) = rest.first() {
            let (contents, next) = der_element(rest, tag)?;
            if tag == 0xa3 {
                for (id, value) in extensions(contents)? {
                    if id == SUBJECT_ALT_NAME {
                        has_subject_alt_name = true;
                    } else if id == EXTENDED_KEY_USAGE {
                        server_auth_allowed = key_purposes(value)?
                            .iter()
                            .any(|purpose| *purpose == SERVER_AUTH || *purpose == ANY_EXTENDED_KEY_USAGE);
                    }
                }
            }
            rest = next;
        }
        Some(CertificateFields {
            not_before,
            not_after,
            common_name: common_name(subject)?,
            has_subject_alt_name,
            server_auth_allowed,
        })
    }

    /// Refuses the certificate outside its notBefore..notAfter window at `now` (Unix seconds).
    fn check_validity(&self, now: u64) -> std::result::Result<(), rustls::Error> {
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        if now < self.not_before {
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidYet))
        } else if now > self.not_after {
            Err(rustls::Error::InvalidCertificate(CertificateError::Expired))
        } else {
            Ok(())
        }
    }

    /// The common name equals the DNS host name (ASCII case ignored).
    fn common_name_is(&self, server_name: &ServerName<'_>) -> bool {
        // DNS names only: OpenSSL never takes an IP address from the common name.
        let ServerName::DnsName(wanted) = server_name else {
            return false;
        };
        self.common_name
            .is_some_and(|name| name.eq_ignore_ascii_case(wanted.as_ref().as_bytes()))
    }
}

/// DER of the object identifiers 2.5.29.17 (subjectAltName) and 2.5.4.3 (commonName).
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
/// 2.5.29.37 (extendedKeyUsage), 1.3.6.1.5.5.7.3.1 (serverAuth), 2.5.29.37.0 (any purpose).
const EXTENDED_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
const SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const ANY_EXTENDED_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// The (object identifier, value) of each extension in `[3] { SEQUENCE OF Extension }`.
fn extensions(explicit: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let (mut list, _) = der_element(explicit, 0x30)?;
    let mut found = Vec::new();
    while !list.is_empty() {
        let (extension, next) = der_element(list, 0x30)?;
        let (id, mut rest) = der_element(extension, 0x06)?;
        if rest.first() == Some(&0x01) {
            rest = der_element(rest, 0x01)?.1; // critical
        }
        let (value, _) = der_element(rest, 0x04)?;
        found.push((id, value));
        list = next;
    }
    Some(found)
}

/// The purposes in an extendedKeyUsage value: `SEQUENCE OF OBJECT IDENTIFIER`.
fn key_purposes(value: &[u8]) -> Option<Vec<&[u8]>> {
    let (mut list, _) = der_element(value, 0x30)?;
    let mut purposes = Vec::new();
    while !list.is_empty() {
        let (purpose, next) = der_element(list, 0x06)?;
        purposes.push(purpose);
        list = next;
    }
    Some(purposes)
}

/// The (last) common name in a Name, if any; `None` when the Name is malformed.
fn common_name(mut name: &[u8]) -> Option<Option<&[u8]>> {
    let mut found = None;
    while !name.is_empty() {
        let (mut set, next) = der_element(name, 0x31)?;
        while !set.is_empty() {
            let (attribute, after) = der_element(set, 0x30)?;
            let (id, value) = der_element(attribute, 0x06)?;
            if id == COMMON_NAME {
                // UTF8String, PrintableString or IA5String.
                let tag = *value.first()?;
                found = Some(der_element(value, tag)?.0);
            }
            set = after;
        }
        name = next;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30
    /// -subj /CN=localhost -addext subjectAltName=DNS:localhost`, made once for this test (its
    /// key thrown away): notBefore Nov 29 14:47:58 2026 GMT, notAfter Dec 29 14:47:58 2026 GMT.
    const CERT: &str = include_str!("../tests/data/self-signed-ca-true.pem");

    fn der() -> Vec<u8> {
        let base64: String = CERT.lines().filter(|line| !line.starts_with("-----")).collect();
        decode_base64(&base64)
    }

    fn decode_base64(text: &str) -> Vec<u8> {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bits = 0u32;
        let mut count = 0;
        let mut out = Vec::new();
        for byte in text.bytes().filter(|b| *b != b'=') {
            bits = bits << 6 | ALPHABET.iter().position(|a| *a == byte).unwrap() as u32;
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
            }
        }
        out
    }

    #[test]
    fn fields_are_read_from_the_certificate() {
        let der = der();
        let fields = CertificateFields::parse(&der).unwrap();
        assert_eq!(
            (fields.not_before, fields.not_after),
            (1_795_963_678, 1_795_963_678 + 30 * 86_400)
        );
        assert_eq!(fields.common_name, Some(&b"localhost"[..]));
        assert!(fields.has_subject_alt_name);
        assert!(fields.server_auth_allowed);
        let name = |text: &str| ServerName::try_from(text.to_owned()).unwrap();
        assert!(fields.common_name_is(&name("LOCALHOST")));
        assert!(!fields.common_name_is(&name("127.0.0.1")));
        assert!(!fields.common_name_is(&name("localhost.example")));
    }

    #[test]
    fn validity_window_is_enforced() {
        let der = der();
        let fields = CertificateFields::parse(&der).unwrap();
        let (before, after) = (fields.not_before as u64, fields.not_after as u64);
        assert_eq!(
            fields.check_validity(before - 1),
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidYet))
        );
        assert!(fields.check_validity(before).is_ok());
        assert!(fields.check_validity(after).is_ok());
        assert_eq!(
            fields.check_validity(after + 1),
            Err(rustls::Error::InvalidCertificate(CertificateError::Expired))
        );
    }

    #[test]
    fn malformed_certificates_are_not_read() {
        let der = der();
        for cut in [0, 1, 2, 10, 40, 150, der.len() / 2, der.len() - 1] {
            assert!(CertificateFields::parse(&der[..cut]).is_none(), "cut at {cut}");
        }
        assert!(CertificateFields::parse(b"\x30\x84\xff\xff\xff\xff").is_none());
    }
}

//! `application/x-www-form-urlencoded` and Base64, the two encodings a token request needs.

use zeroize::Zeroizing;

use crate::options::BasicAuthStyle;

/// Appends `value` form-urlencoded: ASCII letters, digits and `*-._` stay, space becomes `+`,
/// every other byte becomes `%XX`.
pub fn push_encoded(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in value.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(byte >> 4)] as char);
                out.push(HEX[usize::from(byte & 15)] as char);
            }
        }
    }
}

/// How many bytes `push_encoded` writes for `value`.
pub fn encoded_len(value: &str) -> usize {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' | b' ' => 1,
            _ => 3,
        })
        .sum()
}

/// How many bytes `push_base64` writes for `len` input bytes.
pub fn base64_len(len: usize) -> usize {
    len.div_ceil(3) * 4
}

/// A form body built field by field, wiped on drop (it may hold the secret). Each field is
/// written into room made for it first (`wipe::reserve`), so no growth leaves a copy behind.
#[derive(Default)]
pub struct FormBody(Zeroizing<String>);

impl FormBody {
    pub fn field(mut self, name: &str, value: &str) -> FormBody {
        let separator = usize::from(!self.0.is_empty());
        crate::wipe::reserve(&mut self.0, separator + encoded_len(name) + 1 + encoded_len(value));
        if separator == 1 {
            self.0.push('&');
        }
        push_encoded(&mut self.0, name);
        self.0.push('=');
        push_encoded(&mut self.0, value);
        self
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, as RFC 6749 §2.3.1 requires, or
/// `Basic base64(id ":" secret)` in the RFC 2617 style that IdentityServer3 expects.
/// Both strings are allocated at their final size, so neither leaves a copy behind.
pub fn basic_authorization(client_id: &str, secret: &str, style: BasicAuthStyle) -> Zeroizing<String> {
    let pair = match style {
        BasicAuthStyle::Rfc6749 => {
            let mut pair = Zeroizing::new(String::with_capacity(encoded_len(client_id) + 1 + encoded_len(secret)));
            push_encoded(&mut pair, client_id);
            pair.push(':');
            push_encoded(&mut pair, secret);
            pair
        }
        BasicAuthStyle::Rfc2617 => {
            let mut pair = Zeroizing::new(String::with_capacity(client_id.len() + 1 + secret.len()));
            pair.push_str(client_id);
            pair.push(':');
            pair.push_str(secret);
            pair
        }
    };
    basic_header(&pair)
}

/// `Basic base64(credential)`, allocated at its final size.
fn basic_header(credential: &str) -> Zeroizing<String> {
    const SCHEME: &str = "Basic ";
    let mut header = Zeroizing::new(String::with_capacity(SCHEME.len() + base64_len(credential.len())));
    header.push_str(SCHEME);
    push_base64(&mut header, credential.as_bytes());
    header
}

/// True when `value` is sent differently by the two Basic styles (it has a character that
/// form-urlencoding changes).
pub fn encoding_changes(value: &str) -> bool {
    !value
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'*' | b'-' | b'.' | b'_'))
}

/// Standard Base64 with padding (RFC 4648 §4).
pub(crate) fn push_base64(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> shift & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_body_is_byte_for_byte() {
        let body = FormBody::default()
            .field("grant_type", "client_credentials")
            .field("scope", "api1")
            .field("client_id", "metadata_agent")
            .field("client_secret", "s");
        assert_eq!(
            body.as_bytes(),
            b"grant_type=client_credentials&scope=api1&client_id=metadata_agent&client_secret=s"
        );
    }

    #[test]
    fn form_encoding_of_reserved_and_unicode() {
        let mut out = String::new();
        push_encoded(&mut out, "a+b/c=d%e&f:g h~é");
        assert_eq!(out, "a%2Bb%2Fc%3Dd%25e%26f%3Ag+h%7E%C3%A9");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = String::new();
            push_base64(&mut out, input.as_bytes());
            assert_eq!(out, expected, "{input}");
            assert_eq!(base64_len(input.len()), expected.len());
        }
    }

    /// Decodes what `push_encoded` wrote (the form-urlencoded parser a server runs).
    fn decode(encoded: &str) -> String {
        let bytes = encoded.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    out.push(u8::from_str_radix(&encoded[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn property_encoding_round_trips_and_never_leaves_a_delimiter() {
        let mut generate = crate::testing::Gen::new(0x5eed);
        for _ in 0..2_000 {
            let value = generate.text(40);
            let mut encoded = String::new();
            push_encoded(&mut encoded, &value);
            assert!(!encoded.contains(['&', '=', ' ', '\r', '\n', '\0']), "{encoded}");
            assert_eq!(encoded.len(), encoded_len(&value));
            assert_eq!(decode(&encoded), value);
        }
    }

    #[test]
    fn basic_header_encodes_id_and_secret_first() {
        // base64("vf-basic:a%2Bb%2Fc%3Dd%25e%26f%3Ag")
        assert_eq!(
            basic_authorization("vf-basic", "a+b/c=d%e&f:g", BasicAuthStyle::Rfc6749).as_str(),
            "Basic dmYtYmFzaWM6YSUyQmIlMkZjJTNEZCUyNWUlMjZmJTNBZw=="
        );
    }

    #[test]
    fn rfc2617_basic_header_sends_id_and_secret_as_they_are() {
        // base64("vf-basic:a+b/c=d%e&f:g ~"): IdentityServer3 splits at the first ':' and
        // does not URL-decode.
        assert_eq!(
            basic_authorization("vf-basic", "a+b/c=d%e&f:g ~", BasicAuthStyle::Rfc2617).as_str(),
            "Basic dmYtYmFzaWM6YStiL2M9ZCVlJmY6ZyB+"
        );
    }

    #[test]
    fn encoding_changes_only_for_characters_form_encoding_touches() {
        assert!(!encoding_changes("Abc-123_x.y*"));
        for odd in ["a+b", "a/b", "a=b", "a%b", "a&b", "a:b", "a~b", "a b", "é"] {
            assert!(encoding_changes(odd), "{odd}");
        }
    }
}

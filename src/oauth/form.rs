//! `application/x-www-form-urlencoded` and Base64, the two encodings a token request needs.

use zeroize::Zeroizing;

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

/// A form body built field by field, wiped on drop (it may hold the secret).
#[derive(Default)]
pub struct FormBody(Zeroizing<String>);

impl FormBody {
    pub fn field(mut self, name: &str, value: &str) -> FormBody {
        if !self.0.is_empty() {
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

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, as RFC 6749 §2.3.1 requires.
pub fn basic_authorization(client_id: &str, secret: &str) -> Zeroizing<String> {
    let mut pair = Zeroizing::new(String::new());
    push_encoded(&mut pair, client_id);
    pair.push(':');
    push_encoded(&mut pair, secret);
    let mut header = Zeroizing::new(String::from("Basic "));
    push_base64(&mut header, pair.as_bytes());
    header
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
            assert_eq!(decode(&encoded), value);
        }
    }

    #[test]
    fn basic_header_encodes_id_and_secret_first() {
        // base64("vf-basic:a%2Bb%2Fc%3Dd%25e%26f%3Ag")
        assert_eq!(
            basic_authorization("vf-basic", "a+b/c=d%e&f:g").as_str(),
            "Basic dmYtYmFzaWM6YSUyQmIlMkZjJTNEZCUyNWUlMjZmJTNBZw=="
        );
    }
}

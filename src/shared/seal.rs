//! Sealing shared entries with what the caller already knows: keys derived from the client's
//! secret and bound to the full cache key, so an entry is noise without the secret and a
//! client with another secret (or another scope, endpoint, ...) cannot open or even find it.
//!
//! HKDF-SHA256 (salt: a fixed label; input: the secret; info: a purpose label and the cache
//! key's stable identity) gives an AES-256-GCM key and an HMAC-SHA256 key for entry names.
//! A sealed entry is `version ‖ kind ‖ nonce (12) ‖ ciphertext ‖ tag (16)`; the version, the
//! kind and the entry's name are authenticated, so an entry copied under another name or kind
//! does not open. Any storage (files on a host, Redis keys) can hold these bytes as they are.

use ring::{aead, hkdf, hmac, rand::SecureRandom};
use zeroize::Zeroizing;

use super::entry::{Kind, Unreadable, VERSION};

/// Fixed HKDF salt: separates these keys from any other use of the same secret.
const SALT: &[u8] = b"vidiflow-auth shared cache";
const NONCE_LEN: usize = aead::NONCE_LEN;
const HEADER_LEN: usize = 2 + NONCE_LEN;

/// The keys of one identity.
pub(crate) struct Keys {
    seal: aead::LessSafeKey,
    name: hmac::Key,
}

impl Keys {
    /// Derives the keys for `secret` bound to `identity` (the cache key's stable bytes).
    pub fn derive(secret: &[u8], identity: &[u8]) -> Keys {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT).extract(secret);
        let seal_key: aead::UnboundKey = prk
            .expand(&[b"seal v1\0", identity], &aead::AES_256_GCM)
            .expect("32 bytes is a valid HKDF-SHA256 output length")
            .into();
        let name_key: hmac::Key = prk
            .expand(&[b"name v1\0", identity], hmac::HMAC_SHA256)
            .expect("32 bytes is a valid HKDF-SHA256 output length")
            .into();
        Keys {
            seal: aead::LessSafeKey::new(seal_key),
            name: name_key,
        }
    }

    /// The name of this identity's entry of `kind`: 32 hex digits of a keyed hash, which say
    /// nothing about the identity to anyone without the secret.
    pub fn name(&self, kind: Kind) -> String {
        let tag = hmac::sign(&self.name, &[kind as u8]);
        tag.as_ref()[..16].iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// Seals `plain` as the entry of `kind` stored under `name`.
    pub fn seal(&self, kind: Kind, name: &str, plain: &[u8]) -> Result<Vec<u8>, ring::error::Unspecified> {
        let mut nonce = [0u8; NONCE_LEN];
        ring::rand::SystemRandom::new().fill(&mut nonce)?;
        let mut sealed = Vec::with_capacity(HEADER_LEN + plain.len() + aead::MAX_TAG_LEN);
        sealed.extend_from_slice(&[VERSION, kind as u8]);
        sealed.extend_from_slice(&nonce);
        let mut body = plain.to_vec();
        let result = self.seal.seal_in_place_append_tag(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(aad(kind, name)),
            &mut body,
        );
        // `body` held the plaintext before sealing; on failure it still may.
        if result.is_err() {
            zeroize::Zeroize::zeroize(&mut body);
        }
        result?;
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// Opens the entry of `kind` stored under `name`.
    pub fn open(&self, kind: Kind, name: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Unreadable> {
        if sealed.len() < HEADER_LEN + aead::MAX_TAG_LEN {
            return Err(Unreadable::Truncated);
        }
        if sealed[0] != VERSION {
            return Err(Unreadable::ForeignVersion(sealed[0]));
        }
        if sealed[1] != kind as u8 {
            return Err(Unreadable::Malformed("an entry of another kind"));
        }
        let nonce: [u8; NONCE_LEN] = sealed[2..HEADER_LEN].try_into().map_err(|_| Unreadable::Truncated)?;
        let mut body = Zeroizing::new(sealed[HEADER_LEN..].to_vec());
        let plain_len = self
            .seal
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad(kind, name)),
                &mut body,
            )
            .map_err(|_| Unreadable::NotOurs)?
            .len();
        body.truncate(plain_len);
        Ok(body)
    }
}

fn aad(kind: Kind, name: &str) -> Vec<u8> {
    let mut aad = vec![VERSION, kind as u8];
    aad.extend_from_slice(name.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_opens_only_with_the_same_secret_identity_name_and_kind() {
        let keys = Keys::derive(b"secret", b"identity");
        let name = keys.name(Kind::Token);
        let sealed = keys.seal(Kind::Token, &name, b"plain token text").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"plain"));
        assert_eq!(&*keys.open(Kind::Token, &name, &sealed).unwrap(), b"plain token text");

        let other_secret = Keys::derive(b"secret2", b"identity");
        assert_ne!(other_secret.name(Kind::Token), name);
        assert!(matches!(
            other_secret.open(Kind::Token, &name, &sealed),
            Err(Unreadable::NotOurs)
        ));
        let other_identity = Keys::derive(b"secret", b"identity2");
        assert!(matches!(
            other_identity.open(Kind::Token, &name, &sealed),
            Err(Unreadable::NotOurs)
        ));
        let renamed = keys.name(Kind::Discovery);
        assert!(matches!(
            keys.open(Kind::Token, &renamed, &sealed),
            Err(Unreadable::NotOurs)
        ));
        assert!(matches!(
            keys.open(Kind::Discovery, &name, &sealed),
            Err(Unreadable::Malformed(_))
        ));
    }

    #[test]
    fn names_are_stable_per_identity() {
        let a = Keys::derive(b"secret", b"identity");
        let b = Keys::derive(b"secret", b"identity");
        assert_eq!(a.name(Kind::Token), b.name(Kind::Token));
        assert_eq!(a.name(Kind::Token).len(), 32);
        assert_ne!(a.name(Kind::Token), a.name(Kind::Discovery));
    }

    #[test]
    fn truncated_flipped_and_foreign_version_entries_are_refused() {
        let keys = Keys::derive(b"secret", b"identity");
        let name = keys.name(Kind::Token);
        let sealed = keys.seal(Kind::Token, &name, b"payload").unwrap();
        for cut in [0, 1, HEADER_LEN, sealed.len() - 1] {
            assert!(keys.open(Kind::Token, &name, &sealed[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(matches!(
            keys.open(Kind::Token, &name, &flipped),
            Err(Unreadable::NotOurs)
        ));
        let mut future = sealed;
        future[0] = VERSION + 1;
        assert!(matches!(
            keys.open(Kind::Token, &name, &future),
            Err(Unreadable::ForeignVersion(v)) if v == VERSION + 1
        ));
    }
}

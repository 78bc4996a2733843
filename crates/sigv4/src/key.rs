//! HMAC-SHA256, the signing-key derivation and a small cache of derived keys.
//!
//! A signing key is `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
//! "aws4_request")`: four HMACs that only change once a day per credential, region and service,
//! so they are cached. The cache remembers the secret each key was derived from and derives a
//! fresh key when the provider's secret changed (a rotated key must never verify with the old
//! secret). It is bounded: when full it is emptied, which costs one derivation per credential.

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// How many derived keys the cache holds before it starts over.
const CACHE_CAPACITY: usize = 1024;

/// HMAC-SHA256 of `message` under `key`. HMAC accepts keys of any length, so `None` never
/// happens in practice; callers treat it as a failed verification rather than panicking.
pub(crate) fn hmac(key: &[u8], message: &[u8]) -> Option<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(message);
    Some(mac.finalize().into_bytes().into())
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// Derives the signing key for a secret and a credential scope.
pub(crate) fn derive(secret: &str, date: &str, region: &str, service: &str) -> Option<[u8; 32]> {
    let date_key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes())?;
    let region_key = hmac(&date_key, region.as_bytes())?;
    let service_key = hmac(&region_key, service.as_bytes())?;
    hmac(&service_key, b"aws4_request")
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Scope {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
}

/// Derived signing keys by access key id and credential scope.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    keys: Mutex<HashMap<Scope, (String, [u8; 32])>>,
}

impl KeyCache {
    /// The signing key for this credential and scope, derived on a miss.
    pub(crate) fn get(
        &self,
        access_key_id: &str,
        secret: &str,
        date: &str,
        region: &str,
        service: &str,
    ) -> Option<[u8; 32]> {
        let scope = Scope {
            access_key_id: access_key_id.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
        };
        // A poisoned lock only means another thread panicked mid-insert; the map is still a
        // valid cache, so keep using it.
        let mut keys = self
            .keys
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some((cached_secret, key)) = keys.get(&scope)
            && cached_secret == secret
        {
            return Some(*key);
        }
        let key = derive(secret, date, region, service)?;
        if keys.len() >= CACHE_CAPACITY {
            keys.clear();
        }
        keys.insert(scope, (secret.to_owned(), key));
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_the_documented_key() {
        // The example in the AWS SigV4 documentation ("Derive a signing key").
        let key = derive(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            key.map(|key| hex(&key)).as_deref(),
            Some("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
        );
    }

    #[test]
    fn a_rotated_secret_derives_a_new_key() {
        let cache = KeyCache::default();
        let old = cache.get("AKID", "old", "20261126", "us-east-1", "states");
        let new = cache.get("AKID", "new", "20261126", "us-east-1", "states");
        assert_ne!(old, new);
        assert_eq!(new, derive("new", "20261126", "us-east-1", "states"));
    }
}

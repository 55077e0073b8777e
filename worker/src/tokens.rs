//! Invitation tokens.
//!
//! A token is `HMAC-SHA256(secret, nonce)` for a random per-invitation nonce.
//! The database keeps the nonce and the token's SHA-256 hash, never the token:
//! a copy of the database alone cannot answer for anybody, while the worker,
//! holding the secret, can put the same link in every reminder.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The key that derives invitation tokens.
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl TokenKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(secret.to_vec())
    }

    /// A fresh random nonce for a new invitation.
    pub fn new_nonce() -> String {
        random_token(16)
    }

    /// The token a nonce stands for.
    pub fn token(&self, nonce: &str) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(b"invitation:");
        mac.update(nonce.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// 32 bytes derived from `label`: a secret handed to someone else (a
    /// webhook endpoint's signing key), apart from every link's token.
    pub fn secret(&self, label: &str) -> [u8; 32] {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(b"secret:");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// The token of an invitation's unsubscribe link, `{invitation id}.{mac}`:
/// derived from the invitation's nonce, so it cannot be used to answer and
/// the answer link cannot be used to unsubscribe someone else.
pub fn unsubscribe_token(key: &TokenKey, invitation_id: i64, nonce: &str) -> String {
    format!(
        "{invitation_id}.{}",
        key.token(&format!("unsubscribe:{nonce}"))
    )
}

/// The token of a personal or public report link of a dissemination plan:
/// derived from the link's nonce, so an email sent again carries the same
/// link, and apart from every invitation's token.
pub fn report_link_token(key: &TokenKey, nonce: &str) -> String {
    key.token(&format!("report-link:{nonce}"))
}

/// The token of a password reset link: derived from the request's nonce,
/// so a retried job sends the same link, and apart from every other token.
pub fn password_reset_token(key: &TokenKey, nonce: &str) -> String {
    key.token(&format!("password-reset:{nonce}"))
}

/// Hex SHA-256 of a token, the form in which tokens are stored and looked up.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// `bytes` random bytes, URL-safe base64.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_nonce_gives_the_same_token_and_keys_differ() {
        let key = TokenKey::new(b"one");

        assert_eq!(key.token("n"), key.token("n"));
        assert_ne!(key.token("n"), key.token("m"));
        assert_ne!(key.token("n"), TokenKey::new(b"two").token("n"));
    }

    #[test]
    fn unsubscribe_tokens_differ_from_answer_tokens() {
        let key = TokenKey::new(b"k");

        let token = unsubscribe_token(&key, 7, "n");

        assert!(token.starts_with("7."));
        assert!(!token.contains(&key.token("n")));
    }

    #[test]
    fn a_token_is_stored_as_a_hash_that_does_not_contain_it() {
        let token = TokenKey::new(b"k").token("n");

        let hash = hash_token(&token);

        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&token));
    }
}

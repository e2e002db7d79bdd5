//! Signed tokens for links in mail (verify an address, reset a password, unsubscribe):
//! `base64url(purpose.subject.expiry).base64url(HMAC-SHA256)`, verified in constant time and
//! expiring on the kit's clock, so a test checks a link works now and not after its lifetime.
//!
//! ```
//! use std::time::Duration;
//! use commerce_testkit::clock::{Clock, TestClock};
//! use commerce_testkit::stubs::mail::token::{LinkTokens, TokenError};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let clock = TestClock::new();
//! let tokens = LinkTokens::new(b"a test secret");
//! let token = tokens.sign("verify-email", "ana@example.com", clock.now() + Duration::from_secs(3600));
//! assert_eq!(tokens.verify(&token, "verify-email", clock.now()).unwrap(), "ana@example.com");
//! assert_eq!(tokens.verify(&token, "reset-password", clock.now()), Err(TokenError::WrongPurpose));
//! clock.advance(Duration::from_secs(3601)).await;
//! assert_eq!(tokens.verify(&token, "verify-email", clock.now()), Err(TokenError::Expired));
//! # });
//! ```

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{KeyInit as _, Mac as _};

use crate::clock::unix_seconds;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not `payload.signature` in base64url")]
    Malformed,
    #[error("the token's signature does not match: another secret made it, or it was altered")]
    BadSignature,
    #[error("the token was made for another purpose")]
    WrongPurpose,
    #[error("the token expired")]
    Expired,
}

/// Signs and verifies link tokens with one secret.
#[derive(Clone)]
pub struct LinkTokens {
    secret: Vec<u8>,
}

impl std::fmt::Debug for LinkTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkTokens { secret: [redacted] }")
    }
}

impl LinkTokens {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(payload);
        mac
    }

    /// A token for `subject` (an address, a user id), good for `purpose` until `expires`.
    pub fn sign(&self, purpose: &str, subject: &str, expires: SystemTime) -> String {
        let payload = format!("{purpose}.{subject}.{}", unix_seconds(expires));
        let signature = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!("{}.{}", B64.encode(payload), B64.encode(signature))
    }

    /// The subject of `token` when it is this secret's, for `purpose`, and not expired at
    /// `now`.
    ///
    /// # Errors
    /// Which check failed.
    pub fn verify(
        &self,
        token: &str,
        purpose: &str,
        now: SystemTime,
    ) -> Result<String, TokenError> {
        let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let payload = B64.decode(payload).map_err(|_| TokenError::Malformed)?;
        let signature = B64.decode(signature).map_err(|_| TokenError::Malformed)?;
        self.mac(&payload)
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = String::from_utf8(payload).map_err(|_| TokenError::Malformed)?;
        let (made_for, rest) = payload.split_once('.').ok_or(TokenError::Malformed)?;
        let (subject, expires) = rest.rsplit_once('.').ok_or(TokenError::Malformed)?;
        if made_for != purpose {
            return Err(TokenError::WrongPurpose);
        }
        let expires: i64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        if unix_seconds(now) >= expires {
            return Err(TokenError::Expired);
        }
        Ok(subject.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn altered_or_foreign_tokens_are_refused() {
        let now = UNIX_EPOCH + Duration::from_secs(1000);
        let tokens = LinkTokens::new(b"one");
        let token = tokens.sign("p", "s.with.dots", now + Duration::from_secs(1));
        assert_eq!(tokens.verify(&token, "p", now).unwrap(), "s.with.dots");
        assert_eq!(
            LinkTokens::new(b"two").verify(&token, "p", now),
            Err(TokenError::BadSignature)
        );
        let (payload, signature) = token.split_once('.').unwrap();
        let forged = format!("{}.{signature}", B64.encode(b"p.admin.99999999999"));
        assert_ne!(payload, forged);
        assert_eq!(
            tokens.verify(&forged, "p", now),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            tokens.verify("nonsense", "p", now),
            Err(TokenError::Malformed)
        );
        assert_eq!(
            tokens.verify(&token, "p", now + Duration::from_secs(1)),
            Err(TokenError::Expired)
        );
    }
}

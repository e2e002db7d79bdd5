//! `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{body}">[,v1=...]`: one
//! `v1` per webhook secret (several while a secret rotates), as Stripe's SDKs verify it.

use std::time::SystemTime;

use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

use crate::clock::{Clock, unix_seconds};
use crate::stubs::webhook::Signer;

/// The tolerance of Stripe's SDKs between the signature's time and now.
pub const TOLERANCE_SECONDS: i64 = 300;

fn mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256>>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The `Stripe-Signature` header of `payload` signed at `timestamp` with each secret.
pub fn signature_header(payload: &[u8], timestamp: i64, secrets: &[String]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        let digest = mac(secret, timestamp, payload).finalize().into_bytes();
        header.push_str(",v1=");
        for byte in digest {
            header.push_str(&format!("{byte:02x}"));
        }
    }
    header
}

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header has no `t=` timestamp")]
    NoTimestamp,
    #[error("the Stripe-Signature header has no `v1=` signature")]
    NoSignature,
    #[error(
        "the signature's timestamp {timestamp} is {off} s from now on the clock (tolerance {TOLERANCE_SECONDS} s): a replay, or a clock that moved"
    )]
    OutsideTolerance { timestamp: i64, off: i64 },
    #[error("no `v1=` signature matches the payload under the configured webhook secrets")]
    NoMatch,
}

/// Verifies a webhook as an app must: one `v1` matches the payload under one of `secrets`
/// (compared in constant time), and `t` is within [`TOLERANCE_SECONDS`] of `clock`'s now.
///
/// ```
/// use commerce_testkit::clock::{Clock, TestClock, unix_seconds};
/// use commerce_testkit::stubs::stripe::{signature_header, verify_signature, SignatureError};
///
/// let clock = TestClock::new();
/// let secrets = vec!["whsec_old".to_owned(), "whsec_new".to_owned()];
/// let header = signature_header(b"{}", unix_seconds(clock.now()), &secrets);
/// assert_eq!(verify_signature(b"{}", &header, &["whsec_new"], &clock), Ok(()));
/// assert_eq!(verify_signature(b"{ }", &header, &["whsec_new"], &clock), Err(SignatureError::NoMatch));
/// ```
///
/// # Errors
/// Naming what is wrong with the header.
pub fn verify_signature(
    payload: &[u8],
    header: &str,
    secrets: &[&str],
    clock: &dyn Clock,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for item in header.split(',') {
        match item.trim().split_once('=') {
            Some(("t", value)) => timestamp = value.parse::<i64>().ok(),
            Some(("v1", value)) => signatures.extend(decode_hex(value)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::NoTimestamp)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    let off = unix_seconds(clock.now()) - timestamp;
    if off.abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::OutsideTolerance { timestamp, off });
    }
    let matched = secrets.iter().any(|secret| {
        signatures.iter().any(|signature| {
            mac(secret, timestamp, payload)
                .verify_slice(signature)
                .is_ok()
        })
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Signs each webhook attempt with the secrets, at the attempt's time.
#[derive(Debug, Clone)]
pub(crate) struct StripeSigner {
    pub secrets: Vec<String>,
}

impl Signer for StripeSigner {
    fn headers(&self, body: &[u8], at: SystemTime) -> Vec<(String, String)> {
        vec![(
            "stripe-signature".to_owned(),
            signature_header(body, unix_seconds(at), &self.secrets),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TestClock;
    use std::time::Duration;

    #[test]
    fn matches_stripes_documented_scheme() {
        // HMAC-SHA256("whsec_test", "1767225600.{}") computed independently with Python's hmac.
        let header = signature_header(b"{}", 1_767_225_600, &["whsec_test".to_owned()]);
        assert_eq!(
            header,
            "t=1767225600,v1=4a942ef9477fb7b15b98664cf7ff2c2543984c1fa6bdf3520b48dcb25bcd1fe4"
        );
    }

    #[tokio::test]
    async fn tolerance_is_on_the_test_clock() {
        let clock = TestClock::new();
        let secrets = ["whsec_a".to_owned()];
        let header = signature_header(b"x", unix_seconds(clock.now()), &secrets);
        clock.advance(Duration::from_secs(300)).await;
        assert_eq!(
            verify_signature(b"x", &header, &["whsec_a"], &clock),
            Ok(())
        );
        clock.advance(Duration::from_secs(1)).await;
        assert!(matches!(
            verify_signature(b"x", &header, &["whsec_a"], &clock),
            Err(SignatureError::OutsideTolerance { off: 301, .. })
        ));
        assert_eq!(
            verify_signature(b"x", "v1=00", &["whsec_a"], &clock),
            Err(SignatureError::NoTimestamp)
        );
        assert_eq!(
            verify_signature(b"x", "t=1", &["whsec_a"], &clock),
            Err(SignatureError::NoSignature)
        );
    }
}

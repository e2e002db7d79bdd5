//! Stateful doubles of the services a commerce backend calls (behind the kit's `stubs`
//! feature). Each runs in process (an axum `Router` plus a handle for assertions) and over
//! loopback (`cargo commerce stub <name>`), from one implementation.
//!
//! - [`paypal`]: OAuth2 token, Orders v2, captures and refunds, transmission-signed webhooks.
//! - [`serve`]: bind, serve until SIGINT/SIGTERM (the CLI's `stub` commands).
//! - [`stripe`]: PaymentIntents, Charges, Refunds, Disputes, Events, signed webhooks.
//! - [`webhook`]: provider-neutral outbound webhooks with retries on the clock and chaos.

/// The router type the stubs serve (for callers that do not depend on axum).
pub use axum::Router;

pub mod paypal;
pub mod serve;
pub mod stripe;
pub mod webhook;

/// Standard base64 (the `Authorization: Basic` of the payment APIs).
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|b| *b == byte)? as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

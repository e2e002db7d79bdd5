//! Rate limits: a burst until the app answers 429 with the IETF draft's `RateLimit` and
//! `RateLimit-Policy` fields and `Retry-After`, then recovery once the clock moves past it.

use std::time::Duration;

use crate::clock::TestClock;
use crate::http::{RequestBuilder, TestApp, TestResponse};

/// Sends `request` until a 429 (at most `max` times) and checks the limited answer's headers;
/// returns how many requests were allowed and the 429.
///
/// # Panics
/// When no 429 comes within `max`, or its headers are missing.
pub async fn burst_until_limited<F>(app: &TestApp, request: F, max: usize) -> (usize, TestResponse)
where
    F: Fn(&TestApp) -> RequestBuilder,
{
    for sent in 0..max {
        let response = request(app).send().await;
        if response.status.as_u16() == 429 {
            for header in ["ratelimit", "ratelimit-policy", "retry-after"] {
                assert!(
                    response.header(header).is_some(),
                    "{} {}: the 429 has no `{header}` header",
                    response.method,
                    response.path
                );
            }
            return (sent, response);
        }
    }
    panic!("{max} requests in a burst were never limited (no 429)");
}

/// Bursts until limited, advances `clock` by the 429's `Retry-After`, and asserts the next
/// request is allowed again. Returns how many the burst allowed.
///
/// # Panics
/// As [`burst_until_limited`], or when the app still refuses after `Retry-After`.
pub async fn assert_rate_limited<F>(
    app: &TestApp,
    clock: &TestClock,
    request: F,
    max: usize,
) -> usize
where
    F: Fn(&TestApp) -> RequestBuilder,
{
    let (allowed, limited) = burst_until_limited(app, &request, max).await;
    let retry_after: u64 = limited
        .header("retry-after")
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "Retry-After is not a number of seconds: {:?}",
                limited.header("retry-after")
            )
        });
    clock.advance(Duration::from_secs(retry_after)).await;
    let after = request(app).send().await;
    assert!(
        after.status.is_success(),
        "{} {} still answers {} after Retry-After ({retry_after} s) passed",
        after.method,
        after.path,
        after.status
    );
    allowed
}

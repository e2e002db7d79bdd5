//! Contract tests: every operation of a spec called on a service, its responses checked
//! against the spec (see [`crate::conformance`]).
//!
//! For each operation this sends a valid request (from the spec's examples, else generated
//! from its schemas: defaults, enums, formats and bounds respected), then variants that break
//! the spec in one way each (a parameter of the wrong type, outside its enum or its bounds, a
//! required query parameter missing, a required body missing, a body without a required
//! property, with a value outside its enum or bounds or of the wrong JSON type; see
//! [`requests`]), which the service must refuse with a 4xx the operation declares.
//!
//! The transport is an [`Exchange`]: [`HttpExchange`] talks HTTP/1.1, plain or over TLS, to a
//! base URL, and `TowerExchange` (feature `tower`) calls an in-process tower service such as an
//! axum `Router`. [`TestTarget`] resolves the CLI's flags over `[contracts]` in commerce.toml.

mod http_exchange;
#[cfg(feature = "tower")]
mod in_process;
mod requests;
mod settings;

use commerce_diagnostics::Diagnostic;

use crate::conformance::{self, ObservedResponse, ResponseChecker};
use crate::load::Loaded;
use crate::model::Operation;
use crate::rules::response_conformance::{self, Violation};

pub use http_exchange::{HttpExchange, HttpOptions, HttpSetupError};
#[cfg(feature = "tower")]
pub use in_process::{RuntimeError, TowerExchange};
pub use settings::{SettingsError, TestFlags, TestTarget};

/// A request a contract test sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeRequest {
    /// Upper case: `GET`.
    pub method: String,
    /// The concrete path with its query string: `/orders/1?limit=1`.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// How requests reach the service under test.
pub trait Exchange {
    /// Sends `request` and returns the response.
    ///
    /// # Errors
    /// When the service cannot be reached or answers something that is not HTTP; the message
    /// says which.
    fn exchange(&mut self, request: &ProbeRequest) -> Result<ObservedResponse, String>;
}

/// What a contract-test run sends besides the generated requests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestOptions {
    /// Headers added to every request (`Authorization: Bearer …` from config).
    pub headers: Vec<(String, String)>,
}

/// The outcome of a run: how many requests were sent and what broke the spec.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TestReport {
    pub requests: usize,
    pub diagnostics: Vec<Diagnostic>,
}

/// Calls every operation of `loaded` through `exchange` and checks each response.
pub fn run_contract_tests(
    loaded: &Loaded,
    exchange: &mut dyn Exchange,
    options: &TestOptions,
) -> TestReport {
    let mut checker = ResponseChecker::new(loaded);
    let mut report = TestReport::default();
    for entry in &loaded.spec.paths {
        for operation in &entry.operations {
            for probe in requests::probes(&loaded.spec, &entry.path, operation, options) {
                report.requests += 1;
                let response = match exchange.exchange(&probe.request) {
                    Ok(response) => response,
                    Err(error) => {
                        let violation = Violation::NoResponse(error);
                        report.diagnostics.push(response_conformance::diagnostic(
                            loaded,
                            operation.loc,
                            &violation,
                            &operation.method,
                            &entry.path,
                        ));
                        continue;
                    }
                };
                let refusal = probe
                    .invalid
                    .and_then(|invalid| misjudged(operation, &response, invalid));
                match refusal {
                    Some((loc, violation)) => {
                        report.diagnostics.push(response_conformance::diagnostic(
                            loaded,
                            loc,
                            &violation,
                            &operation.method,
                            &entry.path,
                        ));
                    }
                    None => report.diagnostics.extend(checker.check(
                        &operation.method,
                        &entry.path,
                        &response,
                    )),
                }
            }
        }
    }
    report
}

/// What is wrong with the answer to an invalid request: accepted (not a 4xx), or refused with
/// a 4xx the operation does not declare. `None` when it was refused as declared, and the
/// response is then checked like any other.
fn misjudged(
    operation: &Operation,
    response: &ObservedResponse,
    invalid: requests::Invalidity,
) -> Option<(crate::model::Loc, Violation)> {
    let status = response.status;
    let what = invalid.what;
    let violation = if !(400..500).contains(&status) {
        Violation::InvalidRequestAccepted { status, what }
    } else if conformance::declared_response(operation, status).is_none() {
        Violation::InvalidRequestUndeclaredStatus { status, what }
    } else {
        return None;
    };
    Some((invalid.loc, violation))
}

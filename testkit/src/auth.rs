//! The auth matrix: every operation of the app (from its OpenAPI spec in JSON or YAML, or its
//! route list) called as anonymous, as each role on its own tenant's resources, and as each role
//! on another tenant's, each answer checked against a policy table (in code, or a YAML or JSON
//! file: [`read_policy`]): 401 for anonymous on a protected operation, 403 for a role the policy
//! does not allow, the policy's cross-tenant status (404 by default, so other tenants' ids do not
//! leak) and 2xx otherwise.
//!
//! ```
//! use commerce_testkit::auth::{Rule, operations_from_openapi};
//! use commerce_testkit::users::Role;
//! use serde_json::json;
//!
//! let spec = json!({ "openapi": "3.1.0", "paths": {
//!     "/products": { "get": {} },
//!     "/tenants/{tenant}/orders": { "get": {}, "parameters": [] },
//! }});
//! let operations = operations_from_openapi(&spec);
//! assert_eq!(operations.iter().map(ToString::to_string).collect::<Vec<_>>(),
//!            ["GET /products", "GET /tenants/{tenant}/orders"]);
//! let rules = [
//!     Rule::public("GET /products"),
//!     Rule::roles("GET /tenants/{tenant}/orders", &[Role::Buyer, Role::Admin]).tenant_scoped(404),
//! ];
//! assert!(rules[1].allows(Role::Admin));
//! ```
//!
//! The same policy as a file, with the plane each operation belongs to (`roles` may call it on
//! their own tenant's resources; `other_tenant` is what another tenant's user gets):
//!
//! ```
//! use commerce_testkit::auth::{Rule, parse_policy};
//! use commerce_testkit::users::Role;
//!
//! let rules = parse_policy("
//! - operation: GET /products
//!   public: true
//!   plane: storefront
//! - operation: GET /tenants/{tenant}/orders
//!   roles: [buyer, admin]
//!   other_tenant: 404
//! ").unwrap();
//! assert_eq!(rules[1], Rule::roles("GET /tenants/{tenant}/orders", &[Role::Buyer, Role::Admin]).tenant_scoped(404));
//! assert_eq!(rules[0].plane.as_deref(), Some("storefront"));
//! let error = parse_policy("- operation: GET /x\n  roles: [owner]\n").unwrap_err();
//! assert!(error.to_string().contains("rule 1 (`GET /x`)"), "{error}");
//! ```

use std::fmt;
use std::path::Path;

use http::Method;
use serde_json::Value;

use crate::document::{self, DocumentError};
use crate::http::TestApp;
use crate::users::{Role, TestUser};

/// One operation: a method and a path template (`/orders/{id}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub method: Method,
    pub path: String,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

impl Operation {
    /// `"GET /orders/{id}"`.
    ///
    /// # Panics
    /// When `text` is not a method, a space and a path.
    pub fn parse(text: &str) -> Self {
        Self::try_parse(text).unwrap_or_else(|message| panic!("{message}"))
    }

    /// `"GET /orders/{id}"`, or what is wrong with it.
    ///
    /// # Errors
    /// When `text` is not a method, a space and a path.
    pub fn try_parse(text: &str) -> Result<Self, String> {
        let (method, path) = text
            .trim()
            .split_once(' ')
            .ok_or_else(|| format!("`{text}` is not `METHOD /path`"))?;
        let method = method
            .parse()
            .map_err(|_| format!("`{method}` is not an HTTP method"))?;
        Ok(Self {
            method,
            path: path.trim().to_owned(),
        })
    }
}

/// Every operation of an OpenAPI file in JSON or YAML, in the document's order.
///
/// ```
/// use commerce_testkit::auth::operations_from_openapi_file;
///
/// let spec = std::env::temp_dir().join(format!("kit-doc-spec-{}.yaml", std::process::id()));
/// std::fs::write(&spec, "openapi: 3.1.0\npaths:\n  /carts/{id}:\n    get: {}\n    delete: {}\n").unwrap();
/// let operations = operations_from_openapi_file(&spec).unwrap();
/// std::fs::remove_file(&spec).unwrap();
/// assert_eq!(operations.iter().map(ToString::to_string).collect::<Vec<_>>(),
///            ["GET /carts/{id}", "DELETE /carts/{id}"]);
/// ```
///
/// # Errors
/// When the file cannot be read or parsed (the error names its line).
pub fn operations_from_openapi_file(
    path: impl AsRef<Path>,
) -> Result<Vec<Operation>, DocumentError> {
    Ok(operations_from_openapi(&document::read(path)?))
}

/// Every operation of an OpenAPI 3 document (parsed from JSON or YAML: [`document`]), in the
/// document's order.
pub fn operations_from_openapi(spec: &Value) -> Vec<Operation> {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    let Some(paths) = spec["paths"].as_object() else {
        return Vec::new();
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|method| item.get(**method).is_some())
                .map(move |method| Operation {
                    method: method.to_ascii_uppercase().parse().unwrap_or(Method::GET),
                    path: path.clone(),
                })
        })
        .collect()
}

/// Who may call an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub operation: Operation,
    /// Anyone, signed in or not.
    pub public: bool,
    /// The roles allowed (on their own tenant's resources).
    pub roles: Vec<Role>,
    /// For an operation on one tenant's resources: what a role of another tenant gets.
    pub cross_tenant: Option<u16>,
    /// The side of the app the operation belongs to (storefront, B2B, admin), shown in the
    /// matrix.
    pub plane: Option<String>,
}

impl Rule {
    /// Anyone may call it.
    pub fn public(operation: &str) -> Self {
        Self {
            operation: Operation::parse(operation),
            public: true,
            roles: Vec::new(),
            cross_tenant: None,
            plane: None,
        }
    }

    /// Only `roles` may call it.
    pub fn roles(operation: &str, roles: &[Role]) -> Self {
        Self {
            operation: Operation::parse(operation),
            public: false,
            roles: roles.to_vec(),
            cross_tenant: None,
            plane: None,
        }
    }

    /// The operation is on one tenant's resources; another tenant's users get `status`.
    #[must_use]
    pub fn tenant_scoped(mut self, status: u16) -> Self {
        self.cross_tenant = Some(status);
        self
    }

    /// The operation belongs to `plane`.
    #[must_use]
    pub fn on_plane(mut self, plane: &str) -> Self {
        self.plane = Some(plane.to_owned());
        self
    }

    pub fn allows(&self, role: Role) -> bool {
        self.public || self.roles.contains(&role)
    }
}

/// Why a policy table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(
        "the policy is not a list of rules (or `rules:` holding one): {0}; each rule is \
         `operation: METHOD /path` with `public: true` or `roles: [buyer, seller, admin]`, \
         and optionally `other_tenant: 404` and `plane: NAME`"
    )]
    Shape(String),
    #[error("rule {index} (`{operation}`): {message}")]
    Rule {
        index: usize,
        operation: String,
        message: String,
    },
}

/// One rule as a policy file writes it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    operation: String,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    roles: Vec<String>,
    other_tenant: Option<u16>,
    plane: Option<String>,
}

/// The policy table from a YAML or JSON file (see [`parse_policy`]).
///
/// ```
/// use commerce_testkit::auth::{Rule, read_policy};
///
/// let file = std::env::temp_dir().join(format!("kit-doc-policy-{}.json", std::process::id()));
/// std::fs::write(&file, r#"{"rules": [{"operation": "DELETE /admin/cache", "roles": ["admin"]}]}"#).unwrap();
/// let rules = read_policy(&file).unwrap();
/// std::fs::remove_file(&file).unwrap();
/// assert_eq!(rules, [Rule::roles("DELETE /admin/cache", &[commerce_testkit::users::Role::Admin])]);
/// ```
///
/// # Errors
/// When the file cannot be read, or a rule is malformed (naming it).
pub fn read_policy(path: impl AsRef<Path>) -> Result<Vec<Rule>, PolicyError> {
    policy(document::read(path)?)
}

/// The policy table from YAML or JSON text: a list of rules (or a mapping whose `rules` holds
/// it), each `operation: METHOD /path` with `public: true` or `roles: [...]` (buyer, seller,
/// admin), and optionally `other_tenant: STATUS` (the operation is on one tenant's
/// resources; another tenant's users get STATUS) and `plane: NAME`.
///
/// # Errors
/// When the text is not such a list, or a rule is malformed (naming it).
pub fn parse_policy(text: &str) -> Result<Vec<Rule>, PolicyError> {
    policy(document::parse(text)?)
}

fn policy(mut document: Value) -> Result<Vec<Rule>, PolicyError> {
    if let Some(rules) = document.get_mut("rules") {
        document = rules.take();
    }
    let Value::Array(entries) = document else {
        return Err(PolicyError::Shape(format!("found {document}")));
    };
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let operation = entry["operation"].as_str().unwrap_or("?").to_owned();
            let error = |message: String| PolicyError::Rule {
                index: index + 1,
                operation: operation.clone(),
                message,
            };
            let entry: RuleEntry =
                serde_json::from_value(entry).map_err(|e| error(e.to_string()))?;
            let roles = entry
                .roles
                .iter()
                .map(|role| {
                    Role::parse(role).ok_or_else(|| {
                        error(format!("`{role}` is not a role (buyer, seller, admin)"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Rule {
                operation: Operation::try_parse(&entry.operation).map_err(error)?,
                public: entry.public,
                roles,
                cross_tenant: entry.other_tenant,
                plane: entry.plane,
            })
        })
        .collect()
}

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    Own(Role),
    OtherTenant(Role),
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::Anonymous => f.write_str("anonymous"),
            Caller::Own(role) => f.write_str(role.as_str()),
            Caller::OtherTenant(role) => write!(f, "{} (other tenant)", role.as_str()),
        }
    }
}

/// One call of the matrix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub operation: String,
    /// The rule's plane, if it names one.
    pub plane: Option<String>,
    pub caller: String,
    /// `2xx` or a status code.
    pub expected: String,
    pub actual: u16,
}

impl Cell {
    pub fn ok(&self) -> bool {
        if self.expected == "2xx" {
            (200..300).contains(&self.actual)
        } else {
            self.expected == self.actual.to_string()
        }
    }
}

/// The answers of every operation to every caller.
#[derive(Debug, Clone, Default)]
pub struct Matrix {
    pub cells: Vec<Cell>,
}

impl Matrix {
    /// Asserts every answer matches the policy.
    ///
    /// # Panics
    /// Listing every mismatch, with the whole matrix.
    #[track_caller]
    pub fn assert_all(&self) {
        let wrong: Vec<String> = self
            .cells
            .iter()
            .filter(|cell| !cell.ok())
            .map(|cell| {
                format!(
                    "{} as {}: expected {}, got {}",
                    cell.operation, cell.caller, cell.expected, cell.actual
                )
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "the auth matrix differs from the policy:\n  {}\n\n{}",
            wrong.join("\n  "),
            self.markdown()
        );
    }

    /// The matrix as a Markdown table: operations down (with their plane when a rule names
    /// one), callers across, `✓ 200` or `✗ 200≠403`.
    pub fn markdown(&self) -> String {
        let mut callers: Vec<&str> = Vec::new();
        let mut operations: Vec<(&str, &str)> = Vec::new();
        for cell in &self.cells {
            if !callers.contains(&cell.caller.as_str()) {
                callers.push(&cell.caller);
            }
            let operation = (cell.operation.as_str(), cell.plane.as_deref().unwrap_or(""));
            if !operations.contains(&operation) {
                operations.push(operation);
            }
        }
        let planes = self.cells.iter().any(|cell| cell.plane.is_some());
        let mut out = format!(
            "| operation |{} {} |\n|---|{}\n",
            if planes { " plane |" } else { "" },
            callers.join(" | "),
            "---|".repeat(callers.len() + usize::from(planes))
        );
        for (operation, plane) in operations {
            let row: Vec<String> = callers
                .iter()
                .map(|caller| {
                    self.cells
                        .iter()
                        .find(|cell| cell.operation == operation && cell.caller == *caller)
                        .map_or_else(String::new, |cell| {
                            if cell.ok() {
                                format!("✓ {}", cell.actual)
                            } else {
                                format!("✗ {}≠{}", cell.actual, cell.expected)
                            }
                        })
                })
                .collect();
            let plane = if planes {
                format!(" {plane} |")
            } else {
                String::new()
            };
            out.push_str(&format!("| {operation} |{plane} {} |\n", row.join(" | ")));
        }
        out
    }
}

/// How the matrix turns an operation into a request for a caller.
pub trait Resources {
    /// The concrete path of `operation` on a resource of `tenant` (fill `{id}` with one of
    /// its rows).
    fn path(&self, operation: &Operation, tenant: &str) -> String;
    /// The body to send, if the operation takes one.
    fn body(&self, _operation: &Operation) -> Option<Value> {
        None
    }
}

/// Calls every operation of `rules` as anonymous, as each of `own` (users of tenant
/// `own[..].tenant`) on their tenant's resources, and as each of `other` (users of another
/// tenant) on the first tenant's resources, and records the answers. Sends the matrix to the
/// report. Every call is made on the same database, so give a test whose writes do not break
/// later calls, or mark writes' bodies invalid-but-authorised.
///
/// # Panics
/// When `own` is empty.
pub async fn run_matrix(
    app: &TestApp,
    rules: &[Rule],
    own: &[TestUser],
    other: &[TestUser],
    resources: &impl Resources,
) -> Matrix {
    let tenant = own
        .first()
        .map(|user| user.tenant.clone())
        .expect("at least one user of the tenant under test");
    let mut matrix = Matrix::default();
    for rule in rules {
        let path = resources.path(&rule.operation, &tenant);
        let mut callers: Vec<(Caller, Option<&TestUser>, String)> = vec![(
            Caller::Anonymous,
            None,
            if rule.public {
                "2xx".to_owned()
            } else {
                "401".to_owned()
            },
        )];
        for user in own {
            let expected = if rule.allows(user.role) {
                "2xx".to_owned()
            } else {
                "403".to_owned()
            };
            callers.push((Caller::Own(user.role), Some(user), expected));
        }
        if let Some(status) = rule.cross_tenant {
            for user in other {
                let expected = if rule.allows(user.role) {
                    status.to_string()
                } else {
                    "403".to_owned()
                };
                callers.push((Caller::OtherTenant(user.role), Some(user), expected));
            }
        }
        for (caller, user, expected) in callers {
            let mut request = app
                .request(rule.operation.method.clone(), &path)
                .without_cookies();
            if let Some(user) = user {
                request = request.as_user(user);
            }
            if let Some(body) = resources.body(&rule.operation) {
                request = request.json(&body);
            }
            let response = request.send().await;
            matrix.cells.push(Cell {
                operation: rule.operation.to_string(),
                plane: rule.plane.clone(),
                caller: caller.to_string(),
                expected,
                actual: response.status.as_u16(),
            });
        }
    }
    crate::telemetry::emit(&serde_json::json!({
        "kind": "auth_matrix",
        "test": std::thread::current().name().unwrap_or("unnamed"),
        "cells": matrix.cells.iter().map(|cell| serde_json::json!({
            "operation": cell.operation, "plane": cell.plane, "caller": cell.caller,
            "expected": cell.expected, "actual": cell.actual,
        })).collect::<Vec<_>>(),
    }));
    matrix
}

/// Asserts a credential expires: `request` succeeds now, and once `clock` moves past `ttl`
/// the same request gets 401.
///
/// # Panics
/// When the first request fails or the expired one is not refused with 401.
pub async fn assert_expires<F>(
    app: &TestApp,
    clock: &crate::clock::TestClock,
    request: F,
    ttl: std::time::Duration,
) where
    F: Fn(&TestApp) -> crate::http::RequestBuilder,
{
    let fresh = request(app).send().await;
    assert!(
        fresh.status.is_success(),
        "{} {} answered {} before the credential expired",
        fresh.method,
        fresh.path,
        fresh.status
    );
    clock.advance(ttl + std::time::Duration::from_secs(1)).await;
    let expired = request(app).send().await;
    assert_eq!(
        expired.status.as_u16(),
        401,
        "{} {} answered {} after the credential expired ({} s), not 401",
        expired.method,
        expired.path,
        expired.status,
        ttl.as_secs()
    );
}

/// Asserts a cookie-authenticated state change needs its CSRF token: `request` (with the
/// app's cookies) without the `header` gets 403, and with the token from cookie `cookie`
/// it succeeds.
///
/// # Panics
/// When the request without the token is not refused with 403, or the one with it fails.
pub async fn assert_csrf_protected<F>(app: &TestApp, request: F, cookie: &str, header: &str)
where
    F: Fn(&TestApp) -> crate::http::RequestBuilder,
{
    let without = request(app).send().await;
    assert_eq!(
        without.status.as_u16(),
        403,
        "{} {} without a CSRF token answered {}, not 403",
        without.method,
        without.path,
        without.status
    );
    let token = app
        .cookie(cookie)
        .unwrap_or_else(|| panic!("the app set no `{cookie}` cookie to take the CSRF token from"));
    let with = request(app).header(header, &token).send().await;
    assert!(
        with.status.is_success(),
        "{} {} with the CSRF token answered {}",
        with.method,
        with.path,
        with.status
    );
}

//! The structural diff of two specs, reported as oasdiff's checks.
//!
//! Operations are matched by method and path template (parameter names in the template do not
//! matter), parameters by `(name, in)`, responses by status, media types by name, and schemas
//! structurally through `$ref`s (see [`equiv`]). Each difference becomes a [`Finding`] with an
//! oasdiff check id whose prefix says where it is (`request-body-`, `response-property-`,
//! `request-parameter-`, ...) and whose level says how much it breaks, which depends on the
//! direction: a property removed from a request breaks nobody who sends it, removed from a
//! response it breaks whoever reads it.

mod equiv;
mod lifecycle;
mod operation;
mod schema;
#[cfg(test)]
mod tests;
mod types;

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::model::{Loc, Operation, PathEntry, SchemaId, SecurityRequirement, Spec};
use crate::rules::oasdiff;

pub use equiv::Equivalence;

/// oasdiff's levels, ordered: `Info < Warn < Err`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Info,
    Warn,
    Err,
}

impl Level {
    /// As `data.level` writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warn => "warning",
            Level::Err => "error",
        }
    }

    /// Reads `ERR`/`WARN`/`INFO` (oasdiff's spelling) or `error`/`warning`/`info`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "err" | "error" => Some(Level::Err),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One difference between the specs.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The oasdiff check id, without the `contracts/` namespace.
    pub id: &'static str,
    pub level: Level,
    /// The operation: `GET`, and its path as the head (or, when removed, the base) writes it.
    /// Spec-wide findings (global security, components) have none.
    pub operation: Option<(String, String)>,
    pub message: String,
    /// Where the changed element is in the head spec (for a removal: the place it was removed
    /// from).
    pub head: Option<Loc>,
    /// Where the element was in the base spec.
    pub base: Option<Loc>,
}

/// Compares `base` with `head` and reports every difference, sorted by operation and id.
pub fn diff(base: &Spec, head: &Spec) -> Vec<Finding> {
    let equivalence = Equivalence::new(base, head);
    let mut differ = Differ {
        base,
        head,
        equivalence: &equivalence,
        findings: Vec::new(),
        nodes: HashMap::new(),
        walks: HashMap::new(),
        locals: Vec::new(),
        children: Vec::new(),
    };
    differ.paths(&base.paths, &head.paths, PathKind::Path);
    differ.paths(&base.webhooks, &head.webhooks, PathKind::Webhook);
    differ.global_security();
    differ.security_schemes();
    differ.component_schemas();
    let mut findings = differ.findings;
    findings
        .sort_by(|a, b| (&a.operation, a.id, &a.message).cmp(&(&b.operation, b.id, &b.message)));
    findings.dedup();
    findings
}

/// Whether a path list is `paths` or `webhooks`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PathKind {
    Path,
    Webhook,
}

/// The operation a finding is about, and whether its findings are muted.
#[derive(Clone, Debug)]
struct OpCtx {
    method: String,
    path: String,
    /// Operations at `draft` or `alpha` stability in the base make no promises: their changes
    /// are not reported.
    muted: bool,
}

struct Differ<'a> {
    base: &'a Spec,
    head: &'a Spec,
    equivalence: &'a Equivalence,
    findings: Vec<Finding>,
    /// Compared schema pairs by pair and kind of use (see [`schema`]).
    nodes: HashMap<schema::NodeKey, Rc<schema::PairNode>>,
    /// The findings under each root pair and kind of use, with their paths.
    walks: HashMap<schema::NodeKey, Rc<Vec<(String, schema::Local)>>>,
    /// The findings of the pair being compared, before they are placed on a path.
    locals: Vec<schema::Local>,
    /// The child pairs of the pair being compared, with their path segments.
    children: Vec<(String, SchemaId, SchemaId)>,
}

impl<'a> Differ<'a> {
    /// Reports the check `id` when oasdiff has it (the prefixes of schema findings are
    /// combined from parts, and not every combination exists).
    fn emit(
        &mut self,
        id: &str,
        op: Option<&OpCtx>,
        detail: impl fmt::Display,
        head: Option<Loc>,
        base: Option<Loc>,
    ) {
        if op.is_some_and(|op| op.muted) {
            return;
        }
        let Some(check) = oasdiff::check(id) else {
            return;
        };
        let summary = check.meta.summary();
        let summary = summary.trim_end_matches('.');
        let message = match op {
            Some(op) => format!("{summary}: {detail} ({} {})", op.method, op.path),
            None => format!("{summary}: {detail}"),
        };
        self.findings.push(Finding {
            id: check.id,
            level: check.level,
            operation: op.map(|op| (op.method.clone(), op.path.clone())),
            message,
            head,
            base,
        });
    }

    fn paths(&mut self, base: &'a [PathEntry], head: &'a [PathEntry], kind: PathKind) {
        for base_entry in base {
            match find_path(head, &base_entry.path) {
                Some(head_entry) => self.path(base_entry, head_entry, kind),
                None if kind == PathKind::Webhook => self.emit(
                    "webhook-removed",
                    None,
                    format_args!("`{}`", base_entry.path),
                    Some(self.head.root_loc),
                    Some(base_entry.loc),
                ),
                None => {
                    for operation in &base_entry.operations {
                        self.removed_operation(base_entry, operation, "api-path-removed");
                    }
                }
            }
        }
        for head_entry in head {
            if find_path(base, &head_entry.path).is_some() {
                continue;
            }
            if kind == PathKind::Webhook {
                self.emit(
                    "webhook-added",
                    None,
                    format_args!("`{}`", head_entry.path),
                    Some(head_entry.loc),
                    None,
                );
                continue;
            }
            for operation in &head_entry.operations {
                let op = op_ctx(operation, head_entry, kind, false);
                self.emit(
                    "endpoint-added",
                    Some(&op),
                    "a new operation",
                    Some(operation.loc),
                    None,
                );
            }
        }
    }

    fn path(&mut self, base: &'a PathEntry, head: &'a PathEntry, kind: PathKind) {
        for base_op in &base.operations {
            match head
                .operations
                .iter()
                .find(|op| op.method == base_op.method)
            {
                Some(head_op) => {
                    // oasdiff drops the changes of an operation the head marks `draft` or
                    // `alpha` (`filterBelowStabilityThreshold`).
                    let muted = lifecycle::is_unstable(head_op);
                    let op = op_ctx(head_op, head, kind, muted);
                    self.operation(&op, base_op, head_op);
                }
                None => self.removed_operation(base, base_op, "api-removed"),
            }
        }
        for head_op in &head.operations {
            if base.operations.iter().any(|op| op.method == head_op.method) {
                continue;
            }
            let op = op_ctx(head_op, head, kind, false);
            self.emit(
                "endpoint-added",
                Some(&op),
                "a new operation",
                Some(head_op.loc),
                None,
            );
        }
    }

    /// An operation of the base that the head lacks: `<prefix>-without-deprecation`, or, when
    /// the base deprecated it, `-with-deprecation` or `-before-sunset`.
    fn removed_operation(&mut self, entry: &'a PathEntry, operation: &'a Operation, prefix: &str) {
        // A removed `draft` or `alpha` operation promised nothing; one whose stability does
        // not read is reported as such instead (`api-invalid-stability-level`).
        if lifecycle::is_unstable(operation) {
            return;
        }
        let op = op_ctx(operation, entry, PathKind::Path, false);
        let head = Some(self.head.root_loc);
        let base = Some(operation.loc);
        if let Err(text) = lifecycle::stability(&operation.extensions) {
            let detail =
                format_args!("`x-stability-level: {text}` is not draft, alpha, beta or stable");
            self.emit("api-invalid-stability-level", Some(&op), detail, head, base);
            return;
        }
        if !operation.deprecated {
            self.emit(
                &format!("{prefix}-without-deprecation"),
                Some(&op),
                "removed without being deprecated first",
                head,
                base,
            );
            return;
        }
        match lifecycle::sunset(&operation.extensions) {
            lifecycle::Sunset::Invalid(text) => {
                let id = if prefix == "api-path-removed" {
                    "api-path-sunset-parse"
                } else {
                    "api-deprecated-sunset-parse"
                };
                self.emit(
                    id,
                    Some(&op),
                    format_args!("`x-sunset: {text}` is not a date"),
                    head,
                    base,
                );
            }
            lifecycle::Sunset::Date(date) if date > lifecycle::today() => self.emit(
                &format!("{prefix}-before-sunset"),
                Some(&op),
                format_args!("removed before its sunset date {date}"),
                head,
                base,
            ),
            _ => self.emit(
                &format!("{prefix}-with-deprecation"),
                Some(&op),
                "removed after deprecation",
                head,
                base,
            ),
        }
    }

    fn global_security(&mut self) {
        let base = self.base.security.as_deref().unwrap_or_default();
        let head = self.head.security.as_deref().unwrap_or_default();
        let (base_loc, head_loc) = (self.base.security_loc, self.head.security_loc);
        self.security_requirements(None, "api-global-security", base, head, base_loc, head_loc);
    }

    /// Requirements added or removed (by their scheme names), and scopes of kept ones.
    fn security_requirements(
        &mut self,
        op: Option<&OpCtx>,
        prefix: &str,
        base: &[SecurityRequirement],
        head: &[SecurityRequirement],
        base_loc: Loc,
        head_loc: Loc,
    ) {
        let (here, was) = (Some(head_loc), Some(base_loc));
        for requirement in base {
            let key = requirement.key();
            let Some(kept) = head.iter().find(|other| other.key() == key) else {
                self.emit(
                    &format!("{prefix}-removed"),
                    op,
                    format_args!("`{key}`"),
                    here,
                    was,
                );
                continue;
            };
            for ((name, base_scopes), (_, head_scopes)) in
                requirement.schemes.iter().zip(&kept.schemes)
            {
                for scope in base_scopes
                    .iter()
                    .filter(|scope| !head_scopes.contains(scope))
                {
                    let detail = format_args!("scope `{scope}` of `{name}`");
                    self.emit(&format!("{prefix}-scope-removed"), op, detail, here, was);
                }
                for scope in head_scopes
                    .iter()
                    .filter(|scope| !base_scopes.contains(scope))
                {
                    let detail = format_args!("scope `{scope}` of `{name}`");
                    self.emit(&format!("{prefix}-scope-added"), op, detail, here, was);
                }
            }
        }
        for requirement in head {
            let key = requirement.key();
            if !base.iter().any(|other| other.key() == key) {
                self.emit(
                    &format!("{prefix}-added"),
                    op,
                    format_args!("`{key}`"),
                    here,
                    was,
                );
            }
        }
    }

    fn security_schemes(&mut self) {
        let (base, head) = (self.base, self.head);
        for scheme in &base.security_schemes {
            let Some(kept) = head.security_schemes.iter().find(|s| s.name == scheme.name) else {
                let detail = format_args!("`{}`", scheme.name);
                self.emit(
                    "api-security-component-removed",
                    None,
                    detail,
                    Some(head.root_loc),
                    Some(scheme.loc),
                );
                continue;
            };
            let (here, was) = (Some(kept.loc), Some(scheme.loc));
            if kept.kind != scheme.kind {
                let detail = format_args!("`{}`", scheme.name);
                self.emit(
                    "api-security-component-type-changed",
                    None,
                    detail,
                    here,
                    was,
                );
            }
            for flow in &scheme.flows {
                let Some(new_flow) = kept.flows.iter().find(|f| f.name == flow.name) else {
                    continue;
                };
                if new_flow.authorization_url != flow.authorization_url {
                    let detail = format_args!("`{}` flow `{}`", scheme.name, flow.name);
                    self.emit(
                        "api-security-component-oauth-url-changed",
                        None,
                        detail,
                        here,
                        was,
                    );
                }
                if new_flow.token_url != flow.token_url {
                    let detail = format_args!("`{}` flow `{}`", scheme.name, flow.name);
                    self.emit(
                        "api-security-component-oauth-token-url-changed",
                        None,
                        detail,
                        here,
                        was,
                    );
                }
                for (scope, text) in &flow.scopes {
                    let detail = format_args!("`{scope}` of `{}`", scheme.name);
                    match new_flow.scopes.iter().find(|(name, _)| name == scope) {
                        None => self.emit(
                            "api-security-component-oauth-scope-removed",
                            None,
                            detail,
                            here,
                            was,
                        ),
                        Some((_, new_text)) if new_text != text => {
                            self.emit(
                                "api-security-component-oauth-scope-changed",
                                None,
                                detail,
                                here,
                                was,
                            );
                        }
                        Some(_) => {}
                    }
                }
                for (scope, _) in &new_flow.scopes {
                    if !flow.scopes.iter().any(|(name, _)| name == scope) {
                        let detail = format_args!("`{scope}` of `{}`", scheme.name);
                        self.emit(
                            "api-security-component-oauth-scope-added",
                            None,
                            detail,
                            here,
                            was,
                        );
                    }
                }
            }
        }
        for scheme in &head.security_schemes {
            if !base.security_schemes.iter().any(|s| s.name == scheme.name) {
                let detail = format_args!("`{}`", scheme.name);
                self.emit(
                    "api-security-component-added",
                    None,
                    detail,
                    Some(scheme.loc),
                    None,
                );
            }
        }
    }

    fn component_schemas(&mut self) {
        let (base, head) = (self.base, self.head);
        for (name, schema) in &base.component_schemas {
            if !head
                .component_schemas
                .iter()
                .any(|(other, _)| other == name)
            {
                let was = Some(base.schema(schema.id).loc);
                self.emit(
                    "api-schema-removed",
                    None,
                    format_args!("`{name}`"),
                    Some(head.root_loc),
                    was,
                );
            }
        }
    }
}

fn op_ctx(operation: &Operation, entry: &PathEntry, kind: PathKind, muted: bool) -> OpCtx {
    let path = match kind {
        PathKind::Path => entry.path.clone(),
        PathKind::Webhook => format!("webhook:{}", entry.path),
    };
    OpCtx {
        method: operation.method.clone(),
        path,
        muted,
    }
}

/// The entry of `paths` whose template matches `path`, parameter names aside.
fn find_path<'p>(paths: &'p [PathEntry], path: &str) -> Option<&'p PathEntry> {
    let key = template_key(path);
    paths
        .iter()
        .find(|entry| entry.path == path)
        .or_else(|| paths.iter().find(|entry| template_key(&entry.path) == key))
}

/// A path template with every `{parameter}` written as `{}`.
pub(crate) fn template_key(path: &str) -> String {
    let mut key = String::with_capacity(path.len());
    let mut in_parameter = false;
    for character in path.chars() {
        match character {
            '{' => {
                in_parameter = true;
                key.push('{');
            }
            '}' if in_parameter => {
                in_parameter = false;
                key.push('}');
            }
            _ if in_parameter => {}
            other => key.push(other),
        }
    }
    key
}

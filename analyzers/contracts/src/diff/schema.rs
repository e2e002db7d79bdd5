//! Schemas compared pairwise, in the context of where they are used.
//!
//! The same change means different things in different places, so every finding's id is built
//! from the place (`request-body`, `request-property`, `response-body`, `response-property`,
//! `request-parameter`, `request-parameter-property`, `response-header`) and the change
//! (`type-changed`, `max-length-decreased`, ...); the catalog gives each combination its
//! oasdiff level, so whether a change breaks depends on the direction it travels in.
//!
//! The walk descends only into pairs that are not equivalent (see [`super::equiv`]) and visits
//! each pair once per use, so recursion and shared schemas cost nothing twice.

use std::collections::{HashSet, VecDeque};
use std::fmt::Display;
use std::rc::Rc;

use super::equiv;
use super::lifecycle::{self, Sunset};
use super::types::{self, TypeChange, Typed};
use super::{Differ, OpCtx};
use crate::model::{BoolOrSchema, Exclusive, Loc, Rare, Schema, SchemaId, SchemaRef, Spec};

/// Where a schema is used.
#[derive(Clone, Copy, Debug)]
pub(super) enum Target<'a> {
    RequestBody,
    Response {
        status: &'a str,
    },
    Parameter {
        name: &'a str,
        location: &'a str,
        form_exploded: bool,
    },
    Header {
        name: &'a str,
        status: &'a str,
    },
}

/// A schema use: the operation, the target and the media type.
#[derive(Clone, Copy, Debug)]
pub(super) struct SchemaSite<'a> {
    pub op: &'a OpCtx,
    pub target: Target<'a>,
    pub media_type: Option<&'a str>,
}

impl SchemaSite<'_> {
    fn is_request(&self) -> bool {
        matches!(self.target, Target::RequestBody | Target::Parameter { .. })
    }

    fn is_body(&self) -> bool {
        matches!(self.target, Target::RequestBody | Target::Response { .. })
    }

    /// The id prefix for a change at the root schema (`root`) or below it.
    fn prefix(&self, root: bool) -> Option<&'static str> {
        Some(match (self.target, root) {
            (Target::RequestBody, true) => "request-body",
            (Target::RequestBody, false) => "request-property",
            (Target::Response { .. }, true) => "response-body",
            (Target::Response { .. }, false) => "response-property",
            (Target::Parameter { .. }, true) => "request-parameter",
            (Target::Parameter { .. }, false) => "request-parameter-property",
            (Target::Header { .. }, true) => "response-header",
            (Target::Header { .. }, false) => return None,
        })
    }

    /// The use in words: `request body`, `response 200`, `query parameter \`limit\``.
    fn describe(&self) -> String {
        let media = self
            .media_type
            .map(|media| format!(" `{media}`"))
            .unwrap_or_default();
        match self.target {
            Target::RequestBody => format!("request body{media}"),
            Target::Response { status } => format!("response {status}{media}"),
            Target::Parameter { name, location, .. } => format!("{location} parameter `{name}`"),
            Target::Header { name, status } => format!("response {status} header `{name}`"),
        }
    }
}

/// One pair being compared: the site, the property path (empty at the root) and both schemas.
#[derive(Clone, Copy)]
struct Pair<'a, 's> {
    site: &'s SchemaSite<'s>,
    root: bool,
    base: &'a Schema,
    head: &'a Schema,
}

impl Pair<'_, '_> {
    fn is_root(&self) -> bool {
        self.root
    }
}

/// A finding of one compared pair, before the path that led to it is known.
#[derive(Clone, Debug)]
pub(super) struct Local {
    id: &'static str,
    /// The property the finding is about, for findings a parent reports about a child.
    property: Option<String>,
    extra: String,
    here: Loc,
    was: Option<Loc>,
}

/// What comparing one pair in one kind of use yields: its own findings and the child pairs to
/// compare next, each with the path segment that leads to it. Cached, so a pair shared by
/// many operations is compared once.
#[derive(Debug, Default)]
pub(super) struct PairNode {
    locals: Vec<Local>,
    children: Vec<(String, SchemaId, SchemaId)>,
}

/// A pair in a kind of use: what a [`PairNode`] depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct NodeKey {
    base: SchemaId,
    head: SchemaId,
    target: u8,
    root: bool,
    xml: bool,
}

impl SchemaSite<'_> {
    fn node_key(&self, base: SchemaId, head: SchemaId, root: bool) -> NodeKey {
        let target = match self.target {
            Target::RequestBody => 0,
            Target::Response { .. } => 1,
            Target::Parameter {
                form_exploded: false,
                ..
            } => 2,
            Target::Header { .. } => 3,
            Target::Parameter {
                form_exploded: true,
                ..
            } => 4,
        };
        NodeKey {
            base,
            head,
            target,
            root,
            xml: self.media_type.is_some_and(|media| media.contains("xml")),
        }
    }
}

/// Which ids a keyword change maps to, tried in order (the first the catalog knows wins).
type Suffixes<'s> = &'s [&'s str];

impl<'a> Differ<'a> {
    /// Compares the schemas of one use (a media type, a parameter, a header).
    pub(super) fn compare_root(
        &mut self,
        site: &SchemaSite<'_>,
        base: &SchemaRef,
        head: &SchemaRef,
    ) {
        if self.equivalence.same(base.id, head.id) {
            return;
        }
        if site.is_body() && self.wrapped_in_one_of(site, base.id, head.id) {
            return;
        }
        let key = site.node_key(base.id, head.id, true);
        let placed = match self.walks.get(&key) {
            Some(placed) => Rc::clone(placed),
            None => {
                let placed = Rc::new(self.walk(site, base.id, head.id));
                self.walks.insert(key, Rc::clone(&placed));
                placed
            }
        };
        for (path, local) in placed.iter() {
            self.place(site, path, local);
        }
    }

    /// Every finding under a root pair with the path it is first reached by, breadth first so
    /// the path is a shortest one; each pair is visited once, so recursion ends.
    fn walk(
        &mut self,
        site: &SchemaSite<'_>,
        base: SchemaId,
        head: SchemaId,
    ) -> Vec<(String, Local)> {
        let mut placed = Vec::new();
        let mut visited = HashSet::new();
        let mut queue = VecDeque::from([(base, head, String::new())]);
        while let Some((base, head, path)) = queue.pop_front() {
            if self.equivalence.same(base, head) || !visited.insert((base, head)) {
                continue;
            }
            let node = self.node(site, base, head, path.is_empty());
            for local in &node.locals {
                placed.push((path.clone(), local.clone()));
            }
            for (segment, base, head) in &node.children {
                queue.push_back((*base, *head, join(&path, segment)));
            }
        }
        placed
    }

    /// Reports a pair's finding at the path it was reached by.
    fn place(&mut self, site: &SchemaSite<'_>, path: &str, local: &Local) {
        let subject = match (&local.property, path.is_empty()) {
            (Some(name), _) => format!("`{}` in {}", join(path, name), site.describe()),
            (None, true) => site.describe(),
            (None, false) => format!("`{path}` in {}", site.describe()),
        };
        let detail = format!("{subject}{}", local.extra);
        self.emit(local.id, Some(site.op), detail, Some(local.here), local.was);
    }

    /// The findings and children of a pair in a kind of use, computed once.
    fn node(
        &mut self,
        site: &SchemaSite<'_>,
        base: SchemaId,
        head: SchemaId,
        root: bool,
    ) -> Rc<PairNode> {
        let key = site.node_key(base, head, root);
        if let Some(node) = self.nodes.get(&key) {
            return Rc::clone(node);
        }
        let pair = Pair {
            site,
            root,
            base: self.base.schema(base),
            head: self.head.schema(head),
        };
        self.compare(pair);
        let node = Rc::new(PairNode {
            locals: std::mem::take(&mut self.locals),
            children: std::mem::take(&mut self.children),
        });
        self.nodes.insert(key, Rc::clone(&node));
        node
    }

    /// A body schema replaced by a `oneOf` of variants that hold its properties: reported once,
    /// as oasdiff does, instead of as every property moved.
    fn wrapped_in_one_of(&mut self, site: &SchemaSite<'_>, base: SchemaId, head: SchemaId) -> bool {
        let (base_schema, head_schema) = (self.base.schema(base), self.head.schema(head));
        let wrapped = base_schema.one_of.is_empty()
            && !base_schema.properties.is_empty()
            && !head_schema.one_of.is_empty()
            && head_schema.properties.is_empty()
            && base_schema.properties.iter().all(|property| {
                head_schema.one_of.iter().any(|variant| {
                    self.head
                        .schema(variant.id)
                        .property(&property.name)
                        .is_some()
                })
            });
        if wrapped {
            let id = if site.is_request() {
                "request-body-wrapped-in-one-of"
            } else {
                "response-body-wrapped-in-one-of"
            };
            let detail = format!(
                "{} is now a `oneOf` of {} variants",
                site.describe(),
                head_schema.one_of.len()
            );
            self.emit(
                id,
                Some(site.op),
                detail,
                Some(head_schema.loc),
                Some(base_schema.loc),
            );
        }
        wrapped
    }

    /// Collects the findings of one pair into `self.locals` and its children into
    /// `self.children`.
    fn compare(&mut self, pair: Pair<'_, '_>) {
        self.types(pair);
        self.nullability(pair);
        self.enums(pair);
        self.values(pair);
        self.pattern(pair);
        self.bounds(pair);
        self.lengths_and_counts(pair);
        self.discriminator(pair);
        if !pair.is_root() {
            self.property_lifecycle(pair);
        }
        self.applicators(pair);
        self.dependencies(pair);
        self.content_keywords(pair);
        self.properties(pair);
        self.subschema_lists(pair);
        self.single_children(pair);
    }

    /// Reports `<prefix>-<suffix>` for the first suffix whose id oasdiff has. Below the root,
    /// a property clients cannot see (`readOnly` in requests, `writeOnly` in responses) uses
    /// the `-read-only-property-` / `-write-only-property-` variant where one exists.
    fn keyword(&mut self, pair: Pair<'_, '_>, suffixes: Suffixes<'_>, extra: impl Display) {
        let Some(prefix) = pair.site.prefix(pair.is_root()) else {
            return;
        };
        let invisible_prefix = match (
            pair.is_root() || !pair.site.is_body(),
            pair.site.is_request(),
        ) {
            (true, _) => None,
            (false, true) if pair.head.read_only => Some("request-read-only-property"),
            (false, false) if pair.head.write_only => Some("response-write-only-property"),
            _ => None,
        };
        let id = suffixes.iter().find_map(|suffix| {
            let invisible = invisible_prefix
                .map(|prefix| format!("{prefix}-{suffix}"))
                .filter(|id| crate::rules::oasdiff::check(id).is_some());
            invisible.or_else(|| {
                let id = format!("{prefix}-{suffix}");
                crate::rules::oasdiff::check(&id).is_some().then_some(id)
            })
        });
        if let Some(check) = id.as_deref().and_then(crate::rules::oasdiff::check) {
            self.locals.push(Local {
                id: check.id,
                property: None,
                extra: extra.to_string(),
                here: pair.head.loc,
                was: Some(pair.base.loc),
            });
        }
    }

    /// Records the finding `id` of the pair being compared, about `property` of it when given.
    fn local(
        &mut self,
        id: &str,
        property: Option<&str>,
        extra: String,
        here: Loc,
        was: Option<Loc>,
    ) {
        if let Some(check) = crate::rules::oasdiff::check(id) {
            self.locals.push(Local {
                id: check.id,
                property: property.map(str::to_owned),
                extra,
                here,
                was,
            });
        }
    }

    /// A type or format change, judged as oasdiff judges it where the schema is used (see
    /// [`types`](super::types)).
    fn types(&mut self, pair: Pair<'_, '_>) {
        // An object wrapped in a `oneOf` of variants holding its properties lost its `type`
        // to the wrapping, which oasdiff reports (or not) as such, not as a type change.
        if pair.head.types.is_empty()
            && pair
                .base
                .properties
                .iter()
                .any(|property| self.moved_into_one_of(pair, &property.name))
        {
            return;
        }
        let (base_types, head_types) = (pair.base.non_null_types(), pair.head.non_null_types());
        let Some(change) = TypeChange::new(
            Typed::new(&base_types, pair.base),
            Typed::new(&head_types, pair.head),
        ) else {
            return;
        };
        let strong = pair.site.media_type.is_some_and(types::strongly_typed);
        let verdict = match (pair.site.target, pair.is_root()) {
            // oasdiff leaves out request properties the client cannot send.
            (Target::RequestBody, false) if pair.head.read_only => return,
            (Target::RequestBody, _) => change.request(strong),
            (Target::Response { .. }, _) => change.response(strong),
            (Target::Header { .. }, _) => change.response(false),
            (Target::Parameter { form_exploded, .. }, true) => {
                change.parameter(|| form_exploded && self.items_accept_scalar(pair))
            }
            (Target::Parameter { .. }, false) => change.parameter_property(),
        };
        let describe = |types: &[&str], schema: &Schema| {
            let types = if types.is_empty() {
                "any".to_owned()
            } else {
                types.join("|")
            };
            match &schema.format {
                Some(format) => format!("{types} ({format})"),
                None => types,
            }
        };
        let detail = format!(
            " from `{}` to `{}`",
            describe(&base_types, pair.base),
            describe(&head_types, pair.head)
        );
        self.keyword(pair, &[verdict.suffix()], detail);
    }

    /// Whether the head's array items accept every value of the base scalar: the item's type
    /// holds the base's, and its other constraints are the base's.
    fn items_accept_scalar(&self, pair: Pair<'_, '_>) -> bool {
        let Some(items) = &pair.head.items else {
            return false;
        };
        let item = self.head.schema(items.id);
        types::item_accepts_scalar(&item.non_null_types(), &pair.base.non_null_types())
            && equiv::same_value_constraints(pair.base, item)
    }

    fn nullability(&mut self, pair: Pair<'_, '_>) {
        match (pair.base.accepts_null(), pair.head.accepts_null()) {
            (false, true) => self.keyword(pair, &["became-nullable"], ""),
            (true, false) => self.keyword(pair, &["became-not-nullable"], ""),
            _ => {}
        }
    }

    fn enums(&mut self, pair: Pair<'_, '_>) {
        match (&pair.base.enum_values, &pair.head.enum_values) {
            (None, Some(_)) => {
                self.keyword(pair, &["became-enum"], "");
                // A header parameter, or any property in it, has a check of its own
                // (`RequestHeaderPropertyBecameEnumCheck`).
                if let Target::Parameter {
                    location: "header", ..
                } = pair.site.target
                {
                    self.local(
                        "request-header-property-became-enum",
                        None,
                        String::new(),
                        pair.head.loc,
                        Some(pair.base.loc),
                    );
                }
            }
            (Some(base), Some(head)) => {
                for value in base.iter().filter(|value| !head.contains(value)) {
                    if pair.is_root() && pair.site.is_body() && !pair.site.is_request() {
                        self.local(
                            "response-mediatype-enum-value-removed",
                            None,
                            format!(": {value}"),
                            pair.head.loc,
                            Some(pair.base.loc),
                        );
                    } else {
                        self.keyword(pair, &["enum-value-removed"], format_args!(": {value}"));
                    }
                }
                for value in head.iter().filter(|value| !base.contains(value)) {
                    self.keyword(pair, &["enum-value-added"], format_args!(": {value}"));
                }
            }
            _ => {}
        }
        let extensible = |schema: &Schema| -> Vec<String> {
            schema
                .extension("x-extensible-enum")
                .and_then(serde_json::Value::as_array)
                .map(|values| values.iter().map(ToString::to_string).collect())
                .unwrap_or_default()
        };
        let head_values = extensible(pair.head);
        for value in extensible(pair.base)
            .iter()
            .filter(|value| !head_values.contains(value))
        {
            self.keyword(
                pair,
                &["x-extensible-enum-value-removed"],
                format_args!(": {value}"),
            );
        }
    }

    fn values(&mut self, pair: Pair<'_, '_>) {
        for (keyword, base, head) in [
            ("default-value", &pair.base.default, &pair.head.default),
            (
                "const",
                &pair.base.rare().const_value,
                &pair.head.rare().const_value,
            ),
        ] {
            match (base, head) {
                (None, Some(value)) => self.keyword(
                    pair,
                    &[&format!("{keyword}-added")],
                    format_args!(": {value}"),
                ),
                (Some(value), None) => self.keyword(
                    pair,
                    &[&format!("{keyword}-removed")],
                    format_args!(": {value}"),
                ),
                (Some(from), Some(to)) if from != to => {
                    self.keyword(
                        pair,
                        &[&format!("{keyword}-changed")],
                        format_args!(" from {from} to {to}"),
                    );
                }
                _ => {}
            }
        }
    }

    fn pattern(&mut self, pair: Pair<'_, '_>) {
        match (&pair.base.pattern, &pair.head.pattern) {
            (None, Some(pattern)) => {
                self.keyword(pair, &["pattern-added"], format_args!(": `{pattern}`"))
            }
            (Some(pattern), None) => {
                self.keyword(pair, &["pattern-removed"], format_args!(": `{pattern}`"))
            }
            (Some(from), Some(to)) if from != to => {
                // oasdiff calls only `.*` itself a generalization: it does not compare the
                // languages of two patterns, so `^.*$` or `.+` is a change like any other.
                let suffixes: Suffixes<'_> = if to == ".*" {
                    &["pattern-generalized", "pattern-changed"]
                } else {
                    &["pattern-changed"]
                };
                self.keyword(pair, suffixes, format_args!(" from `{from}` to `{to}`"));
            }
            _ => {}
        }
    }

    fn bounds(&mut self, pair: Pair<'_, '_>) {
        self.bound(pair, "min", pair.base.minimum, pair.head.minimum);
        self.bound(pair, "max", pair.base.maximum, pair.head.maximum);
        let value = |bound: Option<Exclusive>, inclusive: Option<f64>| match bound {
            Some(Exclusive::Value(value)) => Some(value),
            Some(Exclusive::Flag(true)) => inclusive,
            _ => None,
        };
        self.bound(
            pair,
            "exclusive-min",
            value(pair.base.exclusive_minimum, pair.base.minimum),
            value(pair.head.exclusive_minimum, pair.head.minimum),
        );
        self.bound(
            pair,
            "exclusive-max",
            value(pair.base.exclusive_maximum, pair.base.maximum),
            value(pair.head.exclusive_maximum, pair.head.maximum),
        );
    }

    /// A numeric bound: `<name>-set`, `-unset`, `-increased`, `-decreased`.
    fn bound(&mut self, pair: Pair<'_, '_>, name: &str, base: Option<f64>, head: Option<f64>) {
        match (base, head) {
            (None, Some(to)) => {
                self.keyword(pair, &[&format!("{name}-set")], format_args!(" to {to}"))
            }
            (Some(from), None) => self.keyword(
                pair,
                &[&format!("{name}-unset")],
                format_args!(" (was {from})"),
            ),
            (Some(from), Some(to)) if to > from => {
                self.keyword(
                    pair,
                    &[&format!("{name}-increased")],
                    format_args!(" from {from} to {to}"),
                );
            }
            (Some(from), Some(to)) if to < from => {
                self.keyword(
                    pair,
                    &[&format!("{name}-decreased")],
                    format_args!(" from {from} to {to}"),
                );
            }
            _ => {}
        }
    }

    fn lengths_and_counts(&mut self, pair: Pair<'_, '_>) {
        let float = |value: Option<u64>| value.map(|value| value as f64);
        let (base, head) = (pair.base, pair.head);
        self.bound(
            pair,
            "min-length",
            float(base.min_length),
            float(head.min_length),
        );
        self.bound(
            pair,
            "max-length",
            float(base.max_length),
            float(head.max_length),
        );
        self.bound(
            pair,
            "min-items",
            float(base.min_items),
            float(head.min_items),
        );
        let (base_max_items, head_max_items) = self.max_items(pair);
        self.bound(
            pair,
            "max-items",
            float(base_max_items),
            float(head_max_items),
        );
        self.bound(
            pair,
            "min-properties",
            float(base.rare().min_properties),
            float(head.rare().min_properties),
        );
        self.bound(
            pair,
            "max-properties",
            float(base.rare().max_properties),
            float(head.rare().max_properties),
        );
        if base.rare().contains.is_some() || head.rare().contains.is_some() {
            // `minContains` defaults to 1 and `maxContains` to unbounded.
            let min = |schema: &Schema| float(Some(schema.rare().min_contains.unwrap_or(1)));
            self.bound(pair, "min-contains", min(base), min(head));
            if let (Some(from), Some(to)) = (base.rare().max_contains, head.rare().max_contains) {
                self.bound(pair, "max-contains", float(Some(from)), float(Some(to)));
            }
        }
    }

    /// The `maxItems` a pair compares. For a parameter whose own `maxItems` did not change,
    /// oasdiff reads its items' (`RequestParameterMaxItemsUpdatedCheck`), as written by
    /// specs that put the bound on the wrong level; only a change of both bounds counts there.
    fn max_items(&self, pair: Pair<'_, '_>) -> (Option<u64>, Option<u64>) {
        let own = (pair.base.max_items, pair.head.max_items);
        if own.0 != own.1
            || !pair.is_root()
            || !matches!(pair.site.target, Target::Parameter { .. })
        {
            return own;
        }
        match (&pair.base.items, &pair.head.items) {
            (Some(base), Some(head)) => match (
                self.base.schema(base.id).max_items,
                self.head.schema(head.id).max_items,
            ) {
                (Some(from), Some(to)) => (Some(from), Some(to)),
                _ => own,
            },
            _ => own,
        }
    }

    fn discriminator(&mut self, pair: Pair<'_, '_>) {
        match (
            &pair.base.rare().discriminator,
            &pair.head.rare().discriminator,
        ) {
            (None, Some(_)) => self.keyword(pair, &["discriminator-added"], ""),
            (Some(_), None) => self.keyword(pair, &["discriminator-removed"], ""),
            (Some(base), Some(head)) => {
                if base.property_name != head.property_name {
                    let change =
                        format!(" from `{}` to `{}`", base.property_name, head.property_name);
                    self.keyword(pair, &["discriminator-property-name-changed"], change);
                }
                let added = missing_keys(&head.mapping, &base.mapping);
                let deleted = missing_keys(&base.mapping, &head.mapping);
                if !added.is_empty() {
                    self.keyword(
                        pair,
                        &["discriminator-mapping-added"],
                        format_args!(": {}", added.join(", ")),
                    );
                }
                if !deleted.is_empty() {
                    self.keyword(
                        pair,
                        &["discriminator-mapping-deleted"],
                        format_args!(": {}", deleted.join(", ")),
                    );
                }
                for (key, value) in &base.mapping {
                    if let Some((_, new_value)) =
                        head.mapping.iter().find(|(other, _)| other == key)
                        && new_value != value
                    {
                        let change = format!(": `{key}` from `{value}` to `{new_value}`");
                        self.keyword(pair, &["discriminator-mapping-changed"], change);
                    }
                }
            }
            (None, None) => {}
        }
    }

    /// `deprecated` and `x-stability-level` of a property.
    fn property_lifecycle(&mut self, pair: Pair<'_, '_>) {
        match (pair.base.deprecated, pair.head.deprecated) {
            (false, true) => match lifecycle::sunset(&pair.head.extensions) {
                Sunset::Date(date) => self.keyword(
                    pair,
                    &["deprecated-with-sunset"],
                    format_args!(", sunset {date}"),
                ),
                Sunset::Invalid(text) => {
                    self.keyword(
                        pair,
                        &["deprecated-sunset-invalid"],
                        format_args!(": `x-sunset: {text}`"),
                    );
                }
                Sunset::Absent => self.keyword(pair, &["deprecated"], ""),
            },
            (true, false) => self.keyword(pair, &["reactivated"], ""),
            _ => {}
        }
        // oasdiff looks at a property's stability only in bodies, and only when its
        // extensions changed (`checkPropertyStabilityChange`); a level it cannot read is
        // reported against the operation, the base's first.
        if !pair.site.is_body() || pair.base.extensions == pair.head.extensions {
            return;
        }
        let levels = lifecycle::stability(&pair.base.extensions)
            .and_then(|base| Ok((base, lifecycle::stability(&pair.head.extensions)?)));
        let (base, head) = match levels {
            Ok(levels) => levels,
            Err(text) => {
                self.local(
                    "api-invalid-stability-level",
                    None,
                    format!(": `x-stability-level: {text}` is not draft, alpha, beta or stable"),
                    pair.head.loc,
                    Some(pair.base.loc),
                );
                return;
            }
        };
        if let Some((from, to)) = lifecycle::stability_change(base, head) {
            if to < from {
                self.keyword(
                    pair,
                    &["stability-decreased"],
                    format_args!(" from {from:?} to {to:?}"),
                );
            } else if to > from {
                self.keyword(
                    pair,
                    &["stability-increased"],
                    format_args!(" from {from:?} to {to:?}"),
                );
            }
        }
    }

    /// Keywords whose presence is the change: `if`/`then`/`else`, `contains`, `propertyNames`,
    /// `prefixItems`, `patternProperties`, `unevaluated*`, `contentSchema`.
    fn applicators(&mut self, pair: Pair<'_, '_>) {
        let (base, head) = (pair.base, pair.head);
        /// Whether the keyword is written (`false` and `{}` included).
        type Written = fn(&Rare) -> bool;
        let keywords: [(&str, Written); 8] = [
            ("if", |rare| rare.if_schema.is_some()),
            ("then", |rare| rare.then_schema.is_some()),
            ("else", |rare| rare.else_schema.is_some()),
            ("contains", |rare| rare.contains.is_some()),
            ("property-names", |rare| rare.property_names.is_some()),
            ("unevaluated-items", |rare| rare.unevaluated_items.is_some()),
            ("unevaluated-properties", |rare| {
                rare.unevaluated_properties.is_some()
            }),
            ("content-schema", |rare| rare.content_schema.is_some()),
        ];
        for (name, present) in keywords {
            self.presence(pair, name, present(base.rare()), present(head.rare()));
        }
        match base
            .rare()
            .prefix_items
            .len()
            .cmp(&head.rare().prefix_items.len())
        {
            std::cmp::Ordering::Less => self.keyword(pair, &["prefix-items-added"], ""),
            std::cmp::Ordering::Greater => self.keyword(pair, &["prefix-items-removed"], ""),
            std::cmp::Ordering::Equal => {}
        }
        for (from, to, change) in [
            (base, head, "pattern-property-removed"),
            (head, base, "pattern-property-added"),
        ] {
            for pattern in missing_keys(
                &from.rare().pattern_properties,
                &to.rare().pattern_properties,
            ) {
                self.keyword(pair, &[change], format_args!(": `{pattern}`"));
            }
        }
    }

    fn presence(&mut self, pair: Pair<'_, '_>, name: &str, base: bool, head: bool) {
        match (base, head) {
            (false, true) => self.keyword(pair, &[&format!("{name}-added")], ""),
            (true, false) => self.keyword(pair, &[&format!("{name}-removed")], ""),
            _ => {}
        }
    }

    fn dependencies(&mut self, pair: Pair<'_, '_>) {
        let (base, head) = (pair.base, pair.head);
        for (name, required) in &base.rare().dependent_required {
            match head
                .rare()
                .dependent_required
                .iter()
                .find(|(other, _)| other == name)
            {
                None => self.keyword(
                    pair,
                    &["dependent-required-removed"],
                    format_args!(": `{name}`"),
                ),
                Some((_, new_required)) if new_required != required => {
                    self.keyword(
                        pair,
                        &["dependent-required-changed"],
                        format_args!(": `{name}`"),
                    );
                }
                Some(_) => {}
            }
        }
        let (base_rare, head_rare) = (base.rare(), head.rare());
        let missing = [
            (
                missing_keys(&head_rare.dependent_required, &base_rare.dependent_required),
                "dependent-required-added",
            ),
            (
                missing_keys(&base_rare.dependent_schemas, &head_rare.dependent_schemas),
                "dependent-schema-removed",
            ),
            (
                missing_keys(&head_rare.dependent_schemas, &base_rare.dependent_schemas),
                "dependent-schema-added",
            ),
        ];
        for (names, change) in missing {
            for name in names {
                self.keyword(pair, &[change], format_args!(": `{name}`"));
            }
        }
    }

    fn content_keywords(&mut self, pair: Pair<'_, '_>) {
        if pair.base.rare().content_media_type != pair.head.rare().content_media_type {
            self.keyword(pair, &["content-media-type-changed"], "");
        }
        if pair.base.rare().content_encoding != pair.head.rare().content_encoding {
            self.keyword(pair, &["content-encoding-changed"], "");
        }
    }

    // --- properties -------------------------------------------------------------------------

    fn properties(&mut self, pair: Pair<'_, '_>) {
        let (base, head) = (pair.base, pair.head);
        for property in &base.properties {
            let name = property.name.as_str();
            match head.property(name) {
                None if self.moved_into_one_of(pair, name) => {}
                None => self.removed_property(
                    pair,
                    name,
                    property.schema.id,
                    base.required.iter().any(|required| required == name),
                ),
                Some(kept) => {
                    self.requiredness(pair, name, kept.schema.id, kept.loc, property.loc);
                    self.children
                        .push((name.to_owned(), property.schema.id, kept.schema.id));
                }
            }
        }
        for property in &head.properties {
            if base.property(&property.name).is_none() {
                let required = head.required.contains(&property.name);
                self.added_property(
                    pair,
                    &property.name,
                    property.schema.id,
                    required,
                    property.loc,
                );
            }
        }
    }

    /// Whether a property the head no longer has was moved into the variants of a `oneOf` that
    /// now wraps the object: the wrapping is the change (see `wrapped_in_one_of`), not the
    /// property's removal.
    fn moved_into_one_of(&self, pair: Pair<'_, '_>, name: &str) -> bool {
        pair.base.one_of.is_empty()
            && pair.head.properties.is_empty()
            && pair
                .head
                .one_of
                .iter()
                .any(|variant| self.head.schema(variant.id).property(name).is_some())
    }

    fn removed_property(
        &mut self,
        pair: Pair<'_, '_>,
        name: &str,
        schema: SchemaId,
        required: bool,
    ) {
        if !pair.site.is_body() {
            return;
        }
        let removed = self.base.schema(schema);
        let id = if pair.site.is_request() {
            // Clients never sent a read-only property.
            if removed.read_only {
                return;
            }
            "request-property-removed"
        } else {
            match (required, removed.write_only) {
                (true, false) => "response-required-property-removed",
                (true, true) => "response-required-write-only-property-removed",
                (false, false) => "response-optional-property-removed",
                (false, true) => "response-optional-write-only-property-removed",
            }
        };
        self.local(
            id,
            Some(name),
            String::new(),
            pair.head.loc,
            Some(removed.loc),
        );
    }

    fn added_property(
        &mut self,
        pair: Pair<'_, '_>,
        name: &str,
        schema: SchemaId,
        required: bool,
        loc: Loc,
    ) {
        if !pair.site.is_body() {
            return;
        }
        let added = self.head.schema(schema);
        let id = if pair.site.is_request() {
            match (added.read_only, required, added.default.is_some()) {
                (true, _, _) => return,
                (false, true, false) => "new-required-request-property",
                (false, true, true) => "new-required-request-property-with-default",
                (false, false, _) => "new-optional-request-property",
            }
        } else {
            match (required, added.write_only) {
                (true, false) => "response-required-property-added",
                (true, true) => "response-required-write-only-property-added",
                (false, false) => "response-optional-property-added",
                (false, true) => "response-optional-write-only-property-added",
            }
        };
        self.local(id, Some(name), String::new(), loc, None);
    }

    /// A property in both: whether it became required or optional, read-only or write-only.
    fn requiredness(
        &mut self,
        pair: Pair<'_, '_>,
        name: &str,
        schema: SchemaId,
        here: Loc,
        was: Loc,
    ) {
        if !pair.site.is_body() {
            return;
        }
        let name = name.to_owned();
        let (base_required, head_required) = (
            pair.base.required.contains(&name),
            pair.head.required.contains(&name),
        );
        let property = self.head.schema(schema);
        let before = self
            .base
            .schema(pair.base.property(&name).map_or(schema, |p| p.schema.id));
        // oasdiff reads `writeOnly` from the head for a property of the body itself and from
        // the base below it (`ResponsePropertyBecameRequiredCheck`, `-BecameOptionalCheck`).
        let write_only = if pair.is_root() {
            property.write_only
        } else {
            before.write_only
        };
        let id = match (pair.site.is_request(), base_required, head_required) {
            // Clients do not send read-only properties: whether they are required is moot.
            (true, _, _) if property.read_only => None,
            (true, false, true) if property.default.is_some() => {
                Some("request-property-became-required-with-default")
            }
            (true, false, true) => Some("request-property-became-required"),
            (true, true, false) => Some("request-property-became-optional"),
            (false, true, false) if write_only => {
                Some("response-write-only-property-became-optional")
            }
            (false, true, false) => Some("response-property-became-optional"),
            (false, false, true) if write_only => {
                Some("response-write-only-property-became-required")
            }
            (false, false, true) => Some("response-property-became-required"),
            _ => None,
        };
        if let Some(id) = id {
            self.local(id, Some(&name), String::new(), here, Some(was));
        }
        let direction = if pair.site.is_request() {
            "request"
        } else {
            "response"
        };
        // Whether the property was required before it changed, as oasdiff's
        // `*PropertyWriteOnlyReadOnlyCheck`s read it.
        let requiredness = if base_required {
            "required"
        } else {
            "optional"
        };
        for (flag, from, to) in [
            ("read-only", before.read_only, property.read_only),
            ("write-only", before.write_only, property.write_only),
        ] {
            let change = match (from, to) {
                (false, true) => flag.to_owned(),
                (true, false) => format!("not-{flag}"),
                _ => continue,
            };
            let id = format!("{direction}-{requiredness}-property-became-{change}");
            self.local(&id, Some(&name), String::new(), here, Some(was));
        }
    }

    // --- subschemas -------------------------------------------------------------------------

    fn subschema_lists(&mut self, pair: Pair<'_, '_>) {
        for (keyword, suffix, base, head) in [
            ("allOf", "all-of", &pair.base.all_of, &pair.head.all_of),
            ("anyOf", "any-of", &pair.base.any_of, &pair.head.any_of),
            ("oneOf", "one-of", &pair.base.one_of, &pair.head.one_of),
        ] {
            let matched = self.match_subschemas(base, head);
            for index in &matched.removed {
                let label = subschema_label(&base[*index], *index);
                self.keyword(
                    pair,
                    &[&format!("{suffix}-removed")],
                    format_args!(": {label}"),
                );
            }
            for index in &matched.added {
                let added = &head[*index];
                let label = subschema_label(added, *index);
                let annotation_only =
                    keyword == "allOf" && is_annotation_only(self.head.schema(added.id));
                let suffixes = if annotation_only {
                    vec![format!("{suffix}-added-annotation-only")]
                } else {
                    vec![format!("{suffix}-added")]
                };
                let suffixes: Vec<&str> = suffixes.iter().map(String::as_str).collect();
                self.keyword(pair, &suffixes, format_args!(": {label}"));
            }
            for (base_index, head_index) in matched.pairs {
                let label = subschema_label(&head[head_index], head_index);
                let segment = format!("{keyword}[{label}]");
                self.children
                    .push((segment, base[base_index].id, head[head_index].id));
            }
        }
    }

    /// Pairs the subschemas of an `allOf`/`anyOf`/`oneOf` list the way oasdiff does: by `$ref`,
    /// then inline ones by content and by title, then a lone leftover inline pair, then any
    /// leftover pair that is the same schema spelled differently (inline vs `$ref`).
    fn match_subschemas(&self, base: &[SchemaRef], head: &[SchemaRef]) -> Matched {
        let mut pairing = Pairing::new(base.len(), head.len());
        pairing.pair_where(base, head, |left, right| {
            left.reference.is_some() && left.reference == right.reference
        });
        pairing.pair_where(base, head, |left, right| {
            left.reference.is_none()
                && right.reference.is_none()
                && self.equivalence.same(left.id, right.id)
        });
        pairing.pair_where(base, head, |left, right| {
            let base_title = &self.base.schema(left.id).title;
            left.reference.is_none()
                && right.reference.is_none()
                && base_title.is_some()
                && *base_title == self.head.schema(right.id).title
        });
        let lone = |list: &[SchemaRef], free: &[bool], side: &Spec| -> Option<usize> {
            let free: Vec<usize> = (0..list.len()).filter(|&i| free[i]).collect();
            let index = *free.first()?;
            let plain =
                list[index].reference.is_none() && side.schema(list[index].id).title.is_none();
            (free.len() == 1 && plain).then_some(index)
        };
        if let (Some(i), Some(j)) = (
            lone(base, &pairing.base_free, self.base),
            lone(head, &pairing.head_free, self.head),
        ) {
            pairing.pair(i, j);
        }
        pairing.pair_where(base, head, |left, right| {
            left.reference.is_some() != right.reference.is_some()
                && self.equivalence.same(left.id, right.id)
        });
        pairing.finish()
    }

    /// Children held by one keyword each (`items`, `not`, `if`, ...), and keyed ones that both
    /// sides have.
    fn single_children(&mut self, pair: Pair<'_, '_>) {
        let (base, head) = (pair.base, pair.head);
        fn id(schema: &Option<SchemaRef>) -> Option<SchemaId> {
            schema.as_ref().map(|schema| schema.id)
        }
        fn schema_of(value: &Option<BoolOrSchema>) -> Option<SchemaId> {
            match value {
                Some(BoolOrSchema::Schema(schema)) => Some(schema.id),
                _ => None,
            }
        }
        /// The keyword's subschema, if it holds one.
        type Child = fn(&Schema) -> Option<SchemaId>;
        let singles: [(&str, Child); 11] = [
            ("items", |schema| id(&schema.items)),
            ("additionalProperties", |schema| {
                schema_of(&schema.additional_properties)
            }),
            ("not", |schema| id(&schema.rare().not)),
            ("if", |schema| id(&schema.rare().if_schema)),
            ("then", |schema| id(&schema.rare().then_schema)),
            ("else", |schema| id(&schema.rare().else_schema)),
            ("contains", |schema| id(&schema.rare().contains)),
            ("propertyNames", |schema| id(&schema.rare().property_names)),
            ("contentSchema", |schema| id(&schema.rare().content_schema)),
            ("unevaluatedItems", |schema| {
                schema_of(&schema.rare().unevaluated_items)
            }),
            ("unevaluatedProperties", |schema| {
                schema_of(&schema.rare().unevaluated_properties)
            }),
        ];
        for (keyword, child) in singles {
            if let (Some(from), Some(to)) = (child(base), child(head)) {
                self.children.push((keyword.to_owned(), from, to));
            }
        }
        for (index, (from, to)) in base
            .rare()
            .prefix_items
            .iter()
            .zip(&head.rare().prefix_items)
            .enumerate()
        {
            self.children
                .push((format!("prefixItems[{index}]"), from.id, to.id));
        }
        for (keyword, base_map, head_map) in [
            (
                "patternProperties",
                &base.rare().pattern_properties,
                &head.rare().pattern_properties,
            ),
            (
                "dependentSchemas",
                &base.rare().dependent_schemas,
                &head.rare().dependent_schemas,
            ),
        ] {
            for (key, from) in base_map {
                if let Some((_, to)) = head_map.iter().find(|(other, _)| other == key) {
                    self.children
                        .push((format!("{keyword}[{key}]"), from.id, to.id));
                }
            }
        }
    }
}

/// The outcome of pairing two subschema lists, by index.
struct Matched {
    pairs: Vec<(usize, usize)>,
    removed: Vec<usize>,
    added: Vec<usize>,
}

/// Two subschema lists being paired up, pass by pass.
struct Pairing {
    base_free: Vec<bool>,
    head_free: Vec<bool>,
    pairs: Vec<(usize, usize)>,
}

impl Pairing {
    fn new(base: usize, head: usize) -> Self {
        Self {
            base_free: vec![true; base],
            head_free: vec![true; head],
            pairs: Vec::new(),
        }
    }

    fn pair(&mut self, base: usize, head: usize) {
        self.base_free[base] = false;
        self.head_free[head] = false;
        self.pairs.push((base, head));
    }

    /// Pairs each free base subschema with the first free head one `accept` takes.
    fn pair_where(
        &mut self,
        base: &[SchemaRef],
        head: &[SchemaRef],
        accept: impl Fn(&SchemaRef, &SchemaRef) -> bool,
    ) {
        for (i, left) in base.iter().enumerate() {
            if !self.base_free[i] {
                continue;
            }
            if let Some(j) = (0..head.len()).find(|&j| self.head_free[j] && accept(left, &head[j]))
            {
                self.pair(i, j);
            }
        }
    }

    fn finish(self) -> Matched {
        let free = |flags: &[bool]| (0..flags.len()).filter(|&i| flags[i]).collect();
        Matched {
            removed: free(&self.base_free),
            added: free(&self.head_free),
            pairs: self.pairs,
        }
    }
}

/// How a subschema is named in messages and property paths: its `$ref`, else its position.
fn subschema_label(schema: &SchemaRef, index: usize) -> String {
    schema
        .reference
        .clone()
        .unwrap_or_else(|| format!("#{}", index + 1))
}

/// A schema that only annotates (`description`, `title`, `example`): it constrains nothing.
fn is_annotation_only(schema: &Schema) -> bool {
    schema.types.is_empty()
        && !schema.nullable
        && schema.format.is_none()
        && schema.enum_values.is_none()
        && schema.rare().const_value.is_none()
        && schema.default.is_none()
        && schema.pattern.is_none()
        && schema.minimum.is_none()
        && schema.maximum.is_none()
        && schema.exclusive_minimum.is_none()
        && schema.exclusive_maximum.is_none()
        && [
            schema.min_length,
            schema.max_length,
            schema.min_items,
            schema.max_items,
            schema.rare().min_properties,
            schema.rare().max_properties,
        ]
        .iter()
        .all(Option::is_none)
        && schema.required.is_empty()
        && schema.children().is_empty()
        && schema.additional_properties.is_none()
        && schema.rare().discriminator.is_none()
        && !schema.read_only
        && !schema.write_only
}

/// The keys of `from` that `to` does not have, in `from`'s order.
fn missing_keys<'a, V, W>(from: &'a [(String, V)], to: &[(String, W)]) -> Vec<&'a str> {
    from.iter()
        .filter(|(key, _)| !to.iter().any(|(other, _)| other == key))
        .map(|(key, _)| key.as_str())
        .collect()
}

/// `parent/child`, or `child` at the root.
fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}/{child}")
    }
}

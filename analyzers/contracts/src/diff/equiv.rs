//! Which schemas of the base and the head are the same contract, however they are spelled.
//!
//! Two schemas are equivalent when their keywords match and their children, keyword by keyword,
//! are equivalent again, all the way down, through `$ref`s and recursion alike: the coarsest
//! bisimulation of the two schema graphs, found by partition refinement. An inline schema moved
//! to `components` and referenced is equivalent to what it was, and so is a recursive schema
//! renamed; the diff skips equivalent pairs without looking inside, which is also what makes
//! it fast on large specs where almost everything is unchanged.

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use crate::model::{BoolOrSchema, Exclusive, Schema, SchemaId, Spec};

/// Refinement that has not settled after this many rounds is abandoned: then no pair counts as
/// equivalent and the diff simply looks at everything.
const MAX_ROUNDS: usize = 512;

/// Equivalence classes of the schemas of a base and a head spec.
#[derive(Debug)]
pub struct Equivalence {
    base: Vec<u32>,
    head: Vec<u32>,
    settled: bool,
}

impl Equivalence {
    pub fn new(base: &Spec, head: &Spec) -> Self {
        let schemas: Vec<&Schema> = base.schemas.iter().chain(&head.schemas).collect();
        let offset = base.schemas.len();
        let edges: Vec<Vec<(u64, usize)>> = schemas
            .iter()
            .enumerate()
            .map(|(index, schema)| {
                let shift = if index < offset { 0 } else { offset };
                children(schema)
                    .into_iter()
                    .map(|(label, child)| (label, child.index() + shift))
                    .collect()
            })
            .collect();
        let mut classes = dense(schemas.iter().map(|schema| keywords_hash(schema)));
        let mut count = class_count(&classes);
        let mut settled = false;
        for _ in 0..MAX_ROUNDS {
            let refined = dense((0..schemas.len()).map(|index| {
                let mut hasher = DefaultHasher::new();
                classes[index].hash(&mut hasher);
                for (label, child) in &edges[index] {
                    label.hash(&mut hasher);
                    classes[*child].hash(&mut hasher);
                }
                hasher.finish()
            }));
            let refined_count = class_count(&refined);
            classes = refined;
            if refined_count == count {
                settled = true;
                break;
            }
            count = refined_count;
        }
        let head = classes.split_off(offset);
        Self {
            base: classes,
            head,
            settled,
        }
    }

    /// Whether the base schema `base` and the head schema `head` are the same contract.
    pub fn same(&self, base: SchemaId, head: SchemaId) -> bool {
        self.settled
            && matches!(
                (self.base.get(base.index()), self.head.get(head.index())),
                (Some(left), Some(right)) if left == right
            )
    }

    /// Whether two schemas of the base spec are the same contract.
    pub fn same_in_base(&self, left: SchemaId, right: SchemaId) -> bool {
        self.settled && self.base.get(left.index()) == self.base.get(right.index())
    }

    /// Whether two schemas of the head spec are the same contract.
    pub fn same_in_head(&self, left: SchemaId, right: SchemaId) -> bool {
        self.settled && self.head.get(left.index()) == self.head.get(right.index())
    }
}

/// Renumbers hashes to small dense class ids, in order of first appearance.
fn dense(hashes: impl Iterator<Item = u64>) -> Vec<u32> {
    let mut ids: HashMap<u64, u32> = HashMap::new();
    hashes
        .map(|hash| {
            let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
            *ids.entry(hash).or_insert(next)
        })
        .collect()
}

fn class_count(classes: &[u32]) -> usize {
    classes.iter().max().map_or(0, |max| *max as usize + 1)
}

/// The child schemas of `schema`, each with a hash of the keyword (and name or position) that
/// holds it.
fn children(schema: &Schema) -> Vec<(u64, SchemaId)> {
    schema
        .children()
        .into_iter()
        .map(|(label, id)| (hash_of(&label), id))
        .collect()
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Whether two leaf schemas (no subschemas) constrain values alike, their types and
/// nullability aside: what is left to compare once the type change is judged on its own.
pub(super) fn same_value_constraints(left: &Schema, right: &Schema) -> bool {
    left.children().is_empty()
        && right.children().is_empty()
        && constraints_hash(left) == constraints_hash(right)
}

/// A hash of everything about `schema` except its children and where it is written.
fn keywords_hash(schema: &Schema) -> u64 {
    let mut hasher = DefaultHasher::new();
    let mut types = schema.types.clone();
    types.sort();
    types.hash(&mut hasher);
    schema.nullable.hash(&mut hasher);
    constraints_hash(schema).hash(&mut hasher);
    hasher.finish()
}

/// [`keywords_hash`] without the types and nullability.
fn constraints_hash(schema: &Schema) -> u64 {
    let mut hasher = DefaultHasher::new();
    schema.format.hash(&mut hasher);
    schema.enum_values.hash(&mut hasher);
    schema.rare().const_value.hash(&mut hasher);
    schema.default.hash(&mut hasher);
    schema.pattern.hash(&mut hasher);
    for bound in [schema.minimum, schema.maximum] {
        bound.map(f64::to_bits).hash(&mut hasher);
    }
    for bound in [schema.exclusive_minimum, schema.exclusive_maximum] {
        match bound {
            None => 0u8.hash(&mut hasher),
            Some(Exclusive::Flag(flag)) => (1u8, flag).hash(&mut hasher),
            Some(Exclusive::Value(value)) => (2u8, value.to_bits()).hash(&mut hasher),
        }
    }
    [
        schema.min_length,
        schema.max_length,
        schema.min_items,
        schema.max_items,
        schema.rare().min_properties,
        schema.rare().max_properties,
        schema.rare().min_contains,
        schema.rare().max_contains,
    ]
    .hash(&mut hasher);
    let mut required = schema.required.clone();
    required.sort();
    required.hash(&mut hasher);
    for flag in [
        &schema.additional_properties,
        &schema.rare().unevaluated_items,
        &schema.rare().unevaluated_properties,
    ] {
        match flag {
            None => 0u8.hash(&mut hasher),
            Some(BoolOrSchema::Bool(value)) => (1u8, *value).hash(&mut hasher),
            Some(BoolOrSchema::Schema(_)) => 2u8.hash(&mut hasher),
        }
    }
    schema.rare().dependent_required.hash(&mut hasher);
    schema.rare().discriminator.hash(&mut hasher);
    (
        schema.unique_items,
        schema.read_only,
        schema.write_only,
        schema.deprecated,
    )
        .hash(&mut hasher);
    schema.rare().content_encoding.hash(&mut hasher);
    schema.rare().content_media_type.hash(&mut hasher);
    for (name, value) in &schema.extensions {
        (name, value.to_string()).hash(&mut hasher);
    }
    hasher.finish()
}

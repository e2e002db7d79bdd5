//! The typed OpenAPI 3.0/3.1 description the diff reads, with every `$ref` already followed.
//!
//! Schemas live in one arena per [`Spec`] and refer to each other by [`SchemaId`], so recursive
//! schemas are plain cycles in the arena and a `$ref` costs nothing: a schema reached inline and
//! one reached through `#/components/schemas/X` are the same kind of value. Every element keeps
//! a [`Loc`] (document and byte range) so findings can point at it.

use std::path::PathBuf;

use commerce_diagnostics::TextRange;
use serde_json::Value as Json;

/// Which document of a [`Spec`] a location is in (the root document is 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocId(pub u32);

/// A place in one of the spec's documents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Loc {
    pub doc: DocId,
    pub range: TextRange,
}

/// An index into [`Spec::schemas`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaId(pub u32);

impl SchemaId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A use of a schema: which one, and the `$ref` that led to it, if any.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SchemaRef {
    pub id: SchemaId,
    /// The reference as written (`#/components/schemas/Pet`), when the schema was reached by one.
    pub reference: Option<String>,
}

impl SchemaRef {
    /// The component name at the end of the reference (`Pet`), when there is one.
    pub fn component(&self) -> Option<&str> {
        let reference = self.reference.as_deref()?;
        Some(reference.rsplit('/').next().unwrap_or(reference))
    }
}

/// The OpenAPI version family; 3.0 and 3.1 differ in how nullability and exclusive bounds are
/// written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V30,
    V31,
}

/// One loaded file of a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecDocument {
    /// As it should appear in reports (relative to the project root, or as given).
    pub path: PathBuf,
    /// Where it was read from: the path, or `git:REF:path`.
    pub source: String,
    pub text: String,
}

/// A loaded OpenAPI description.
#[derive(Clone, Debug)]
pub struct Spec {
    pub documents: Vec<SpecDocument>,
    pub version: Version,
    /// `info.version`.
    pub api_version: Option<String>,
    pub paths: Vec<PathEntry>,
    pub webhooks: Vec<PathEntry>,
    /// Top-level `security`; `None` when absent.
    pub security: Option<Vec<SecurityRequirement>>,
    pub security_loc: Loc,
    pub security_schemes: Vec<SecurityScheme>,
    /// `components.schemas` by name.
    pub component_schemas: Vec<(String, SchemaRef)>,
    pub schemas: Vec<Schema>,
    /// Where the document starts: findings about the spec as a whole point here.
    pub root_loc: Loc,
    /// The path part of each top-level `servers` URL (`/api` for `https://shop.example/api`;
    /// `""` for none), the variables replaced by their defaults; empty when there are none.
    pub base_paths: Vec<String>,
}

impl Spec {
    pub fn schema(&self, id: SchemaId) -> &Schema {
        &self.schemas[id.index()]
    }

    /// The path item of `path`, matched as written.
    pub fn path(&self, path: &str) -> Option<&PathEntry> {
        self.paths.iter().find(|entry| entry.path == path)
    }

    /// The full paths a server answers `operation` of `entry` on: its path under each base
    /// path of the nearest `servers` (the operation's, else the path item's, else the
    /// document's), or as written when there are none.
    pub fn served_paths(&self, entry: &PathEntry, operation: &Operation) -> Vec<String> {
        let bases = [&operation.base_paths, &entry.base_paths, &self.base_paths]
            .into_iter()
            .find(|bases| !bases.is_empty());
        match bases {
            Some(bases) => bases
                .iter()
                .map(|base| format!("{base}{}", entry.path))
                .collect(),
            None => vec![entry.path.clone()],
        }
    }
}

/// One entry of `paths` (or `webhooks`).
#[derive(Clone, Debug)]
pub struct PathEntry {
    pub path: String,
    /// The key's location.
    pub loc: Loc,
    pub operations: Vec<Operation>,
    pub extensions: Vec<(String, Json)>,
    /// The base paths of the path item's own `servers` (see [`Spec::base_paths`]).
    pub base_paths: Vec<String>,
}

/// An operation, with the path item's parameters merged in.
#[derive(Clone, Debug)]
pub struct Operation {
    /// Upper case, as reports show it: `GET`.
    pub method: String,
    /// The method key's location.
    pub loc: Loc,
    pub operation_id: Option<String>,
    pub tags: Vec<String>,
    pub deprecated: bool,
    pub extensions: Vec<(String, Json)>,
    pub parameters: Vec<Parameter>,
    pub request_body: Option<RequestBody>,
    pub responses: Vec<Response>,
    /// `None` when the operation inherits the top-level `security`.
    pub security: Option<Vec<SecurityRequirement>>,
    pub security_loc: Loc,
    /// The base paths of the operation's own `servers` (see [`Spec::base_paths`]).
    pub base_paths: Vec<String>,
}

impl Operation {
    pub fn extension(&self, name: &str) -> Option<&Json> {
        extension(&self.extensions, name)
    }
}

/// The value of the extension `name` in a list of `x-` extensions.
pub fn extension<'a>(extensions: &'a [(String, Json)], name: &str) -> Option<&'a Json> {
    extensions
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// A parameter, identified by `(name, in)`.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: String,
    /// `path`, `query`, `header` or `cookie`.
    pub location: String,
    pub required: bool,
    pub deprecated: bool,
    /// Serialized with `style: form` and `explode: true` (the default for query and cookie
    /// parameters): then `?a=1` is also a one-element array.
    pub form_exploded: bool,
    pub schema: Option<SchemaRef>,
    /// `content` instead of `schema` (one media type).
    pub content: Vec<MediaType>,
    /// The first of `example` and `examples`, as compact JSON text.
    pub example: Option<String>,
    pub extensions: Vec<(String, Json)>,
    pub loc: Loc,
}

impl Parameter {
    pub fn extension(&self, name: &str) -> Option<&Json> {
        extension(&self.extensions, name)
    }
}

#[derive(Clone, Debug)]
pub struct RequestBody {
    pub required: bool,
    pub content: Vec<MediaType>,
    pub loc: Loc,
}

/// One entry of a `content` map.
#[derive(Clone, Debug)]
pub struct MediaType {
    /// `application/json`.
    pub name: String,
    pub schema: Option<SchemaRef>,
    /// The first of `example` and `examples`, as compact JSON text.
    pub example: Option<String>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Response {
    /// `200`, `4XX`, `default`.
    pub status: String,
    pub headers: Vec<Header>,
    pub content: Vec<MediaType>,
    pub loc: Loc,
}

#[derive(Clone, Debug)]
pub struct Header {
    pub name: String,
    pub required: bool,
    pub schema: Option<SchemaRef>,
    pub loc: Loc,
}

/// One alternative of a `security` list: every scheme in it must be satisfied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityRequirement {
    /// Scheme name and the scopes it needs, sorted by name.
    pub schemes: Vec<(String, Vec<String>)>,
}

impl SecurityRequirement {
    /// The schemes joined as oasdiff names a requirement: `oauth AND apiKey`.
    pub fn key(&self) -> String {
        self.schemes
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(" AND ")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SecurityScheme {
    pub name: String,
    /// `type`: `http`, `apiKey`, `oauth2`, `openIdConnect`, `mutualTLS`.
    pub kind: Option<String>,
    pub flows: Vec<OAuthFlow>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OAuthFlow {
    /// `implicit`, `password`, `clientCredentials` or `authorizationCode`.
    pub name: String,
    pub authorization_url: Option<String>,
    pub token_url: Option<String>,
    pub scopes: Vec<(String, String)>,
}

/// An exclusive bound: a flag on `minimum`/`maximum` in 3.0, a number of its own in 3.1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Exclusive {
    Flag(bool),
    Value(f64),
}

/// `additionalProperties`, `unevaluatedProperties` and friends: a flag or a schema.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BoolOrSchema {
    Bool(bool),
    Schema(SchemaRef),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Discriminator {
    pub property_name: String,
    pub mapping: Vec<(String, String)>,
}

/// A JSON Schema (OpenAPI flavour), its keywords already typed.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    pub loc: Loc,
    /// `type`: one name in 3.0, one or several in 3.1; empty when unconstrained.
    pub types: Vec<String>,
    /// 3.0 `nullable: true` (3.1 writes `"null"` in `types` instead).
    pub nullable: bool,
    pub format: Option<String>,
    /// `enum` values, each as compact JSON text so values compare exactly.
    pub enum_values: Option<Vec<String>>,
    pub default: Option<String>,
    pub pattern: Option<String>,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub exclusive_minimum: Option<Exclusive>,
    pub exclusive_maximum: Option<Exclusive>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub unique_items: bool,
    pub required: Vec<String>,
    /// Properties in document order, each with its key's location.
    pub properties: Vec<Property>,
    pub additional_properties: Option<BoolOrSchema>,
    pub items: Option<SchemaRef>,
    pub all_of: Vec<SchemaRef>,
    pub any_of: Vec<SchemaRef>,
    pub one_of: Vec<SchemaRef>,
    pub read_only: bool,
    pub write_only: bool,
    pub deprecated: bool,
    pub title: Option<String>,
    /// Keywords that only annotate (`description`, `example`, `xml`, ...): present or not.
    pub has_annotations: bool,
    /// `x-` extensions.
    pub extensions: Vec<(String, Json)>,
    /// The keywords few schemas use, kept apart so that the many plain schemas of a large spec
    /// stay small; `None` when the schema uses none of them.
    pub rare: Option<Box<Rare>>,
}

/// The keywords of [`Schema`] that few schemas use (see [`Schema::rare`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rare {
    pub const_value: Option<String>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub min_contains: Option<u64>,
    pub max_contains: Option<u64>,
    pub prefix_items: Vec<SchemaRef>,
    pub contains: Option<SchemaRef>,
    pub pattern_properties: Vec<(String, SchemaRef)>,
    pub property_names: Option<SchemaRef>,
    pub unevaluated_items: Option<BoolOrSchema>,
    pub unevaluated_properties: Option<BoolOrSchema>,
    pub dependent_required: Vec<(String, Vec<String>)>,
    pub dependent_schemas: Vec<(String, SchemaRef)>,
    pub if_schema: Option<SchemaRef>,
    pub then_schema: Option<SchemaRef>,
    pub else_schema: Option<SchemaRef>,
    pub not: Option<SchemaRef>,
    pub discriminator: Option<Discriminator>,
    pub content_encoding: Option<String>,
    pub content_media_type: Option<String>,
    pub content_schema: Option<SchemaRef>,
    /// The first of `example` (3.0) and `examples` (3.1, a list), as compact JSON text: contract
    /// tests send it. Annotations do not change the contract, so the diff ignores it.
    pub example: Option<String>,
}

/// What a schema without rare keywords has.
static NO_RARE: Rare = Rare {
    const_value: None,
    min_properties: None,
    max_properties: None,
    min_contains: None,
    max_contains: None,
    prefix_items: Vec::new(),
    contains: None,
    pattern_properties: Vec::new(),
    property_names: None,
    unevaluated_items: None,
    unevaluated_properties: None,
    dependent_required: Vec::new(),
    dependent_schemas: Vec::new(),
    if_schema: None,
    then_schema: None,
    else_schema: None,
    not: None,
    discriminator: None,
    content_encoding: None,
    content_media_type: None,
    content_schema: None,
    example: None,
};

/// One entry of `properties`.
#[derive(Clone, Debug)]
pub struct Property {
    pub name: String,
    pub schema: SchemaRef,
    /// The property name's location.
    pub loc: Loc,
}

impl Schema {
    /// The rare keywords (all absent when the schema has none).
    pub fn rare(&self) -> &Rare {
        self.rare.as_deref().unwrap_or(&NO_RARE)
    }

    pub fn property(&self, name: &str) -> Option<&Property> {
        self.properties
            .iter()
            .find(|property| property.name == name)
    }

    pub fn extension(&self, name: &str) -> Option<&Json> {
        extension(&self.extensions, name)
    }

    /// Whether `null` is an accepted value: 3.0 `nullable`, or `"null"` among 3.1 types.
    pub fn accepts_null(&self) -> bool {
        self.nullable || self.types.iter().any(|name| name == "null")
    }

    /// The types without `"null"`, sorted.
    pub fn non_null_types(&self) -> Vec<&str> {
        let mut types: Vec<&str> = self
            .types
            .iter()
            .map(String::as_str)
            .filter(|name| *name != "null")
            .collect();
        types.sort_unstable();
        types.dedup();
        types
    }

    /// Every schema this one points to, with a label saying through which keyword.
    pub fn children(&self) -> Vec<(String, SchemaId)> {
        let rare = self.rare();
        let mut children = Vec::new();
        let mut push = |label: String, schema: &SchemaRef| children.push((label, schema.id));
        for property in &self.properties {
            push(format!("properties/{}", property.name), &property.schema);
        }
        if let Some(BoolOrSchema::Schema(schema)) = &self.additional_properties {
            push("additionalProperties".to_owned(), schema);
        }
        for (keyword, schema) in [
            ("items", &self.items),
            ("contains", &rare.contains),
            ("propertyNames", &rare.property_names),
            ("if", &rare.if_schema),
            ("then", &rare.then_schema),
            ("else", &rare.else_schema),
            ("not", &rare.not),
            ("contentSchema", &rare.content_schema),
        ] {
            if let Some(schema) = schema {
                push(keyword.to_owned(), schema);
            }
        }
        for (keyword, schema) in [
            ("unevaluatedItems", &rare.unevaluated_items),
            ("unevaluatedProperties", &rare.unevaluated_properties),
        ] {
            if let Some(BoolOrSchema::Schema(schema)) = schema {
                push(keyword.to_owned(), schema);
            }
        }
        for (keyword, list) in [
            ("prefixItems", &rare.prefix_items),
            ("allOf", &self.all_of),
            ("anyOf", &self.any_of),
            ("oneOf", &self.one_of),
        ] {
            for (index, schema) in list.iter().enumerate() {
                push(format!("{keyword}/{index}"), schema);
            }
        }
        for (name, schema) in &rare.pattern_properties {
            push(format!("patternProperties/{name}"), schema);
        }
        for (name, schema) in &rare.dependent_schemas {
            push(format!("dependentSchemas/{name}"), schema);
        }
        children
    }
}

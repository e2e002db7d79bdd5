//! Loading an OpenAPI 3.0/3.1 description: text to [`yaml`](crate::yaml) tree to the typed
//! [`Spec`], following local and relative-file `$ref`s.
//!
//! The loader is lenient: what a strict validator would reject but a reader can still make sense
//! of (an operation without `responses`, a duplicate key, a dangling `$ref`) becomes a
//! [`LoadIssue`] and loading goes on. Only what leaves nothing to compare is a [`LoadError`]:
//! unreadable or invalid YAML, Swagger 2.0, a document that is not OpenAPI 3.
//!
//! Schemas are built from a work list rather than by recursion, so a long chain of `$ref`s
//! cannot overflow the stack, and each schema node is built once however many `$ref`s reach it.

use std::collections::HashMap;
use std::path::PathBuf;

use commerce_diagnostics::{Diagnostic, Severity, TextRange, TextSize};
use serde_json::Value as Json;

use crate::model::{
    BoolOrSchema, Discriminator, DocId, Exclusive, Header, Loc, MediaType, OAuthFlow, Operation,
    Parameter, PathEntry, Property, Rare, RequestBody, Response, Schema, SchemaId, SchemaRef,
    SecurityRequirement, SecurityScheme, Spec, SpecDocument, Version,
};
use crate::rules::INVALID_SPEC;
use crate::source::{ReadError, SourceReader, SpecSource};
use crate::yaml::{self, Node, Value};

/// Specs larger than this are refused before parsing (the largest public specs are ~10 MB).
pub const DEFAULT_MAX_SPEC_BYTES: u64 = 64 * 1024 * 1024;

/// More files than this joined by `$ref` is surely a reference loop through file names.
const MAX_DOCUMENTS: usize = 512;

/// More `$ref` hops than this from one place to its target is a loop.
const MAX_REF_HOPS: usize = 64;

/// The HTTP methods an OpenAPI path item can hold, in report order.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A spec and what the lenient loader had to overlook.
#[derive(Debug)]
pub struct Loaded {
    pub spec: Spec,
    pub issues: Vec<LoadIssue>,
}

/// Something wrong with a spec that loading could work around.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadIssue {
    pub severity: Severity,
    pub message: String,
    pub loc: Loc,
}

/// Why a spec could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{path}:{}: {message}", position(text, *range))]
    Syntax {
        path: PathBuf,
        text: String,
        range: TextRange,
        message: String,
    },
    #[error("{path}:{}: {SWAGGER_2}", position(text, *range))]
    Swagger2 {
        path: PathBuf,
        text: String,
        range: TextRange,
    },
    #[error("{path}: {NOT_OPENAPI}")]
    NotOpenApi { path: PathBuf, text: String },
    #[error("{path}:{}: {}", position(text, *range), unsupported_version(version))]
    UnsupportedVersion {
        path: PathBuf,
        text: String,
        range: TextRange,
        version: String,
    },
}

const SWAGGER_2: &str = "Swagger 2.0 is not supported; convert it to OpenAPI 3 (e.g. with swagger2openapi) and diff the converted files";

const NOT_OPENAPI: &str = "not an OpenAPI description (no `openapi` version field at the top); only OpenAPI 3.0 and 3.1 are supported";

fn unsupported_version(version: &str) -> String {
    format!("OpenAPI `{version}` is not supported; only 3.0.x and 3.1.x are")
}

impl LoadError {
    /// The error as a `contracts/invalid-spec` diagnostic at the place it is about (with the
    /// file's text, to render it), for analyses that must not fail on bad input; `None` when
    /// the file could not be read at all.
    pub fn to_diagnostic(&self) -> Option<(Diagnostic, String)> {
        let (path, text, range, message) = match self {
            LoadError::Read(_) => return None,
            LoadError::Syntax {
                path,
                text,
                range,
                message,
            } => (path, text, *range, message.clone()),
            LoadError::Swagger2 { path, text, range } => (path, text, *range, SWAGGER_2.to_owned()),
            LoadError::NotOpenApi { path, text } => {
                (path, text, TextRange::default(), NOT_OPENAPI.to_owned())
            }
            LoadError::UnsupportedVersion {
                path,
                text,
                range,
                version,
            } => (path, text, *range, unsupported_version(version)),
        };
        let diagnostic =
            Diagnostic::new(INVALID_SPEC, Severity::Error, path.clone(), range, message);
        Some((diagnostic, text.clone()))
    }
}

/// Loads the spec at `source` and every file its `$ref`s name.
///
/// # Errors
/// See [`LoadError`]: the root file cannot be read or parsed, is Swagger 2.0, or is not
/// OpenAPI 3.0/3.1. Problems in files reached through `$ref` are [`LoadIssue`]s.
pub fn load(reader: &SourceReader<'_>, source: &SpecSource) -> Result<Loaded, LoadError> {
    let text = reader.read(source)?;
    load_text(reader, source, text)
}

/// Loads a spec whose root text is already read; `$ref`s to other files are read through
/// `reader`, next to `source`.
///
/// # Errors
/// As [`load`], except reading the root file.
pub fn load_text(
    reader: &SourceReader<'_>,
    source: &SpecSource,
    text: String,
) -> Result<Loaded, LoadError> {
    let path = source.display_path();
    let document = yaml::parse(&text).map_err(|error| LoadError::Syntax {
        path: path.clone(),
        text: text.clone(),
        range: error.range,
        message: error.message,
    })?;
    let version = detect_version(&document.root, &path, &text)?;
    let mut documents = Documents::default();
    documents.push(source.clone(), text, document);
    documents.load_referenced_files(reader);
    let mut issues = std::mem::take(&mut documents.issues);
    let mut builder = Builder::new(&documents, version);
    let mut spec = builder.build();
    issues.append(&mut builder.issues);
    // The trees are no longer needed; the texts move into the spec rather than being copied.
    spec.documents = documents.into_spec_documents();
    Ok(Loaded { spec, issues })
}

/// A spec that is all in `text` (no other file to read), loaded as `path`; for unit tests.
#[cfg(test)]
pub(crate) fn load_str(path: &str, text: &str) -> Loaded {
    let fs = commerce_project::MemoryFs::default();
    let reader = SourceReader {
        fs: &fs,
        root: std::path::Path::new("/"),
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    load_text(&reader, &SpecSource::parse(path), text.to_owned()).expect("the spec loads")
}

/// `line:column` (1-based) of the start of `range` in `text`.
fn position(text: &str, range: TextRange) -> String {
    let position = commerce_diagnostics::LineIndex::new(text).source_position(range.start());
    format!("{}:{}", position.line, position.column)
}

fn detect_version(root: &Node, path: &std::path::Path, text: &str) -> Result<Version, LoadError> {
    if let Some(swagger) = root.entry("swagger") {
        return Err(LoadError::Swagger2 {
            path: path.to_owned(),
            text: text.to_owned(),
            range: swagger.key_range,
        });
    }
    let Some(entry) = root.entry("openapi") else {
        return Err(LoadError::NotOpenApi {
            path: path.to_owned(),
            text: text.to_owned(),
        });
    };
    let version = match &entry.value.value {
        Value::String(version) => version.clone(),
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    };
    if version.starts_with("3.0") {
        Ok(Version::V30)
    } else if version.starts_with("3.") {
        Ok(Version::V31)
    } else {
        Err(LoadError::UnsupportedVersion {
            path: path.to_owned(),
            text: text.to_owned(),
            range: entry.value.range,
            version,
        })
    }
}

/// The parsed files of one spec.
#[derive(Default)]
struct Documents {
    sources: Vec<SpecSource>,
    texts: Vec<String>,
    trees: Vec<Node>,
    issues: Vec<LoadIssue>,
}

impl Documents {
    fn push(&mut self, source: SpecSource, text: String, document: yaml::Document) -> DocId {
        let doc = DocId(u32::try_from(self.trees.len()).unwrap_or(u32::MAX));
        self.issues
            .extend(document.issues.into_iter().map(|issue| LoadIssue {
                severity: Severity::Warning,
                message: issue.message,
                loc: Loc {
                    doc,
                    range: issue.range,
                },
            }));
        self.sources.push(source);
        self.texts.push(text);
        self.trees.push(document.root);
        doc
    }

    fn find(&self, source: &SpecSource) -> Option<DocId> {
        self.sources
            .iter()
            .position(|known| known == source)
            .map(|index| DocId(u32::try_from(index).unwrap_or(u32::MAX)))
    }

    /// Reads, transitively, every file a `$ref` names. A file that cannot be read or parsed is
    /// an issue at the `$ref`; the reference then dangles.
    fn load_referenced_files(&mut self, reader: &SourceReader<'_>) {
        let mut next = 0;
        while next < self.trees.len() && self.trees.len() < MAX_DOCUMENTS {
            let doc = DocId(u32::try_from(next).unwrap_or(u32::MAX));
            for (file, range) in file_references(&self.trees[next]) {
                let source = self.sources[next].sibling(&file);
                if self.find(&source).is_some() {
                    continue;
                }
                match reader
                    .read(&source)
                    .map_err(|error| error.to_string())
                    .and_then(|text| {
                        yaml::parse(&text)
                            .map(|document| (text, document))
                            .map_err(|error| format!("{source}: {}", error.message))
                    }) {
                    Ok((text, document)) => {
                        self.push(source, text, document);
                    }
                    Err(message) => self.issues.push(LoadIssue {
                        severity: Severity::Error,
                        message: format!("cannot load the file this $ref names: {message}"),
                        loc: Loc { doc, range },
                    }),
                }
            }
            next += 1;
        }
    }

    fn into_spec_documents(self) -> Vec<SpecDocument> {
        self.sources
            .into_iter()
            .zip(self.texts)
            .map(|(source, text)| SpecDocument {
                path: source.display_path(),
                source: source.to_string(),
                text,
            })
            .collect()
    }
}

/// The distinct files named by the `$ref`s of a tree (the part before `#`), with the range of
/// the first `$ref` naming each.
fn file_references(root: &Node) -> Vec<(String, TextRange)> {
    let mut files: Vec<(String, TextRange)> = Vec::new();
    let mut pending = vec![root];
    while let Some(node) = pending.pop() {
        match &node.value {
            Value::Map(entries) => {
                for entry in entries {
                    if entry.key == "$ref"
                        && let Some(reference) = entry.value.as_str()
                        && let Some(file) = file_part(reference)
                        && !files.iter().any(|(known, _)| known == file)
                    {
                        files.push((file.to_owned(), entry.value.range));
                    }
                    pending.push(&entry.value);
                }
            }
            Value::Seq(items) => pending.extend(items),
            _ => {}
        }
    }
    files
}

/// The file part of a reference (`schemas.yaml` of `schemas.yaml#/Pet`); `None` for a local one
/// or a URL (which is never fetched).
fn file_part(reference: &str) -> Option<&str> {
    let file = reference.split('#').next().unwrap_or("");
    let remote = file.contains("://");
    (!file.is_empty() && !remote).then_some(file)
}

/// A node of one of the documents.
#[derive(Clone, Copy)]
struct At<'d> {
    doc: DocId,
    node: &'d Node,
}

impl<'d> At<'d> {
    fn get(self, key: &str) -> Option<At<'d>> {
        self.node.get(key).map(|node| At {
            doc: self.doc,
            node,
        })
    }

    fn loc(self) -> Loc {
        Loc {
            doc: self.doc,
            range: self.node.range,
        }
    }

    /// The entries of a mapping, each with its key's location.
    fn entries(self) -> impl Iterator<Item = (&'d str, Loc, At<'d>)> {
        self.node.entries().iter().map(move |entry| {
            (
                entry.key.as_str(),
                Loc {
                    doc: self.doc,
                    range: entry.key_range,
                },
                At {
                    doc: self.doc,
                    node: &entry.value,
                },
            )
        })
    }

    fn items(self) -> impl Iterator<Item = At<'d>> {
        self.node.items().iter().map(move |node| At {
            doc: self.doc,
            node,
        })
    }

    fn str(self, key: &str) -> Option<String> {
        self.node.get(key)?.as_str().map(str::to_owned)
    }

    fn flag(self, key: &str) -> bool {
        self.node.get(key).and_then(Node::as_bool).unwrap_or(false)
    }

    fn count(self, key: &str) -> Option<u64> {
        self.node.get(key)?.as_u64()
    }

    fn number(self, key: &str) -> Option<f64> {
        self.node.get(key)?.as_f64()
    }

    fn json_text(self, key: &str) -> Option<String> {
        self.node.get(key).map(|node| node.to_json().to_string())
    }

    fn extensions(self) -> Vec<(String, Json)> {
        self.node
            .entries()
            .iter()
            .filter(|entry| entry.key.starts_with("x-"))
            .map(|entry| (entry.key.clone(), entry.value.to_json()))
            .collect()
    }

    fn strings(self, key: &str) -> Vec<String> {
        self.node
            .get(key)
            .map(|node| {
                node.items()
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Builds the typed model from the documents.
struct Builder<'d> {
    documents: &'d Documents,
    version: Version,
    schemas: Vec<Schema>,
    /// Schema nodes already given an id, by document and node address.
    built: HashMap<(DocId, *const Node), SchemaId>,
    /// Schemas with an id whose keywords are still to be read.
    pending: Vec<(SchemaId, At<'d>)>,
    /// The schema every dangling or looping `$ref` stands for: it accepts anything.
    broken: Option<SchemaId>,
    issues: Vec<LoadIssue>,
}

impl<'d> Builder<'d> {
    fn new(documents: &'d Documents, version: Version) -> Self {
        Self {
            documents,
            version,
            schemas: Vec::new(),
            built: HashMap::new(),
            pending: Vec::new(),
            broken: None,
            issues: Vec::new(),
        }
    }

    fn root(&self) -> At<'d> {
        At {
            doc: DocId(0),
            node: &self.documents.trees[0],
        }
    }

    fn build(&mut self) -> Spec {
        let root = self.root();
        let paths = self.path_entries(root.get("paths"));
        let webhooks = self.path_entries(root.get("webhooks"));
        let security = root.get("security").map(security_requirements);
        let security_loc = root.get("security").map_or(root_loc(root), At::loc);
        let components = root.get("components");
        let security_schemes = components
            .and_then(|components| components.get("securitySchemes"))
            .map(|schemes| self.security_schemes(schemes))
            .unwrap_or_default();
        let component_schemas = components
            .and_then(|components| components.get("schemas"))
            .map(|schemas| {
                schemas
                    .entries()
                    .map(|(name, _, node)| (name.to_owned(), self.schema(node)))
                    .collect()
            })
            .unwrap_or_default();
        self.finish_schemas();
        let base_paths = self.base_paths(root.get("servers"));
        Spec {
            documents: Vec::new(),
            version: self.version,
            api_version: root.get("info").and_then(|info| info.str("version")),
            paths,
            webhooks,
            security,
            security_loc,
            security_schemes,
            component_schemas,
            schemas: std::mem::take(&mut self.schemas),
            root_loc: root_loc(root),
            base_paths,
        }
    }

    /// The path part of each URL of a `servers` list, its variables replaced by their
    /// defaults. A URL that is not one is an issue, and left out.
    fn base_paths(&mut self, servers: Option<At<'d>>) -> Vec<String> {
        let Some(servers) = servers else {
            return Vec::new();
        };
        let mut bases = Vec::new();
        for server in servers.items() {
            let Some(url) = server.str("url") else {
                continue;
            };
            let defaults: Vec<(String, String)> = server
                .get("variables")
                .map(|variables| {
                    variables
                        .entries()
                        .filter_map(|(name, _, variable)| {
                            Some((name.to_owned(), variable.str("default")?))
                        })
                        .collect()
                })
                .unwrap_or_default();
            match server_base_path(&url, &defaults) {
                Ok(base) => bases.push(base),
                Err(problem) => {
                    let loc = server.get("url").map_or_else(|| server.loc(), At::loc);
                    self.issue(
                        Severity::Warning,
                        format!(
                            "server URL `{url}` {problem}; its base path is ignored when routes are matched"
                        ),
                        loc,
                    );
                }
            }
        }
        bases.sort();
        bases.dedup();
        bases
    }

    fn issue(&mut self, severity: Severity, message: String, loc: Loc) {
        self.issues.push(LoadIssue {
            severity,
            message,
            loc,
        });
    }

    // --- $ref -------------------------------------------------------------------------------

    /// The node a `$ref` at `at` leads to, following chains of references; `at` itself when it
    /// is not a reference. A dangling or looping reference is an issue and `None`.
    fn deref(&mut self, at: At<'d>) -> Option<At<'d>> {
        let mut current = at;
        let mut seen: Vec<(DocId, *const Node)> = Vec::new();
        while let Some(reference) = current.node.get("$ref").and_then(Node::as_str) {
            let key = (current.doc, std::ptr::from_ref(current.node));
            if seen.contains(&key) || seen.len() > MAX_REF_HOPS {
                let loc = at.get("$ref").map_or(at.loc(), At::loc);
                self.issue(
                    Severity::Error,
                    format!("`$ref: {reference}` is part of a reference cycle that never reaches a definition"),
                    loc,
                );
                return None;
            }
            seen.push(key);
            match self.target(current.doc, reference) {
                Ok(target) => current = target,
                Err(message) => {
                    let loc = current.get("$ref").map_or(current.loc(), At::loc);
                    self.issue(Severity::Error, message, loc);
                    return None;
                }
            }
        }
        Some(current)
    }

    /// The node one reference names, from the document `doc`.
    fn target(&self, doc: DocId, reference: &str) -> Result<At<'d>, String> {
        let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let target_doc = if file.is_empty() {
            doc
        } else if file.contains("://") {
            return Err(format!(
                "`$ref: {reference}` names a URL; remote references are not fetched, copy the definition into a local file"
            ));
        } else {
            let source = self.documents.sources[doc.0 as usize].sibling(file);
            self.documents.find(&source).ok_or_else(|| {
                format!("`$ref: {reference}` names a file that could not be loaded")
            })?
        };
        let mut node = &self.documents.trees[target_doc.0 as usize];
        for token in fragment.split('/').skip(1) {
            let token = decode_pointer_token(token);
            let next = match &node.value {
                Value::Map(_) => node.get(&token),
                Value::Seq(items) => token
                    .parse::<usize>()
                    .ok()
                    .and_then(|index| items.get(index)),
                _ => None,
            };
            node = next.ok_or_else(|| {
                format!("`$ref: {reference}` points to nothing: there is no `{token}` on the way; fix the reference or add the definition")
            })?;
        }
        Ok(At {
            doc: target_doc,
            node,
        })
    }

    // --- schemas ----------------------------------------------------------------------------

    /// The schema at `at`, given an id now and read later (see [`Builder::finish_schemas`]).
    fn schema(&mut self, at: At<'d>) -> SchemaRef {
        let reference = at.str("$ref");
        let id = match self.deref(at) {
            Some(target) => self.schema_id(target),
            None => self.broken_schema(at),
        };
        SchemaRef { id, reference }
    }

    fn schema_id(&mut self, at: At<'d>) -> SchemaId {
        let key = (at.doc, std::ptr::from_ref(at.node));
        if let Some(id) = self.built.get(&key) {
            return *id;
        }
        let id = self.alloc(Schema {
            loc: at.loc(),
            ..Schema::default()
        });
        self.built.insert(key, id);
        self.pending.push((id, at));
        id
    }

    fn alloc(&mut self, schema: Schema) -> SchemaId {
        let id = SchemaId(u32::try_from(self.schemas.len()).unwrap_or(u32::MAX));
        self.schemas.push(schema);
        id
    }

    fn broken_schema(&mut self, at: At<'d>) -> SchemaId {
        if let Some(id) = self.broken {
            return id;
        }
        let id = self.alloc(Schema {
            loc: at.loc(),
            ..Schema::default()
        });
        self.broken = Some(id);
        id
    }

    fn finish_schemas(&mut self) {
        while let Some((id, at)) = self.pending.pop() {
            let schema = self.read_schema(at);
            self.schemas[id.index()] = schema;
        }
    }

    fn optional_schema(&mut self, at: Option<At<'d>>) -> Option<SchemaRef> {
        at.filter(|at| at.node.is_map()).map(|at| self.schema(at))
    }

    fn schema_list(&mut self, at: Option<At<'d>>) -> Vec<SchemaRef> {
        at.map(|at| at.items().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|item| self.schema(item))
            .collect()
    }

    fn schema_map(&mut self, at: Option<At<'d>>) -> Vec<(String, SchemaRef)> {
        at.map(|at| at.entries().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|(name, _, value)| (name.to_owned(), self.schema(value)))
            .collect()
    }

    fn bool_or_schema(&mut self, at: Option<At<'d>>) -> Option<BoolOrSchema> {
        let at = at?;
        match at.node.as_bool() {
            Some(flag) => Some(BoolOrSchema::Bool(flag)),
            None => Some(BoolOrSchema::Schema(self.schema(at))),
        }
    }

    fn read_schema(&mut self, at: At<'d>) -> Schema {
        let types = match at.node.get("type").map(|node| &node.value) {
            Some(Value::String(name)) => vec![name.clone()],
            Some(Value::Seq(names)) => names
                .iter()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let items = at.get("items");
        let (items, mut prefix_items) = match items {
            // Draft 4 tuple form: `items: [..]` means positional items.
            Some(list) if matches!(list.node.value, Value::Seq(_)) => {
                (None, self.schema_list(Some(list)))
            }
            other => (self.optional_schema(other), Vec::new()),
        };
        if prefix_items.is_empty() {
            prefix_items = self.schema_list(at.get("prefixItems"));
        }
        let properties = at
            .get("properties")
            .map(|properties| properties.entries().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|(name, loc, value)| Property {
                name: name.to_owned(),
                schema: self.schema(value),
                loc,
            })
            .collect();
        let dependent_required = at
            .get("dependentRequired")
            .map(|map| {
                map.entries()
                    .map(|(name, _, list)| {
                        let names = list
                            .items()
                            .filter_map(|item| item.node.as_str().map(str::to_owned))
                            .collect();
                        (name.to_owned(), names)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let discriminator = at.get("discriminator").and_then(|node| {
            Some(Discriminator {
                property_name: node.str("propertyName")?,
                mapping: node
                    .get("mapping")
                    .map(|mapping| {
                        mapping
                            .entries()
                            .filter_map(|(key, _, value)| {
                                Some((key.to_owned(), value.node.as_str()?.to_owned()))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        });
        let rare = Rare {
            const_value: at.json_text("const"),
            min_properties: at.count("minProperties"),
            max_properties: at.count("maxProperties"),
            min_contains: at.count("minContains"),
            max_contains: at.count("maxContains"),
            prefix_items,
            contains: self.optional_schema(at.get("contains")),
            pattern_properties: self.schema_map(at.get("patternProperties")),
            property_names: self.optional_schema(at.get("propertyNames")),
            unevaluated_items: self.bool_or_schema(at.get("unevaluatedItems")),
            unevaluated_properties: self.bool_or_schema(at.get("unevaluatedProperties")),
            dependent_required,
            dependent_schemas: self.schema_map(at.get("dependentSchemas")),
            if_schema: self.optional_schema(at.get("if")),
            then_schema: self.optional_schema(at.get("then")),
            else_schema: self.optional_schema(at.get("else")),
            not: self.optional_schema(at.get("not")),
            discriminator,
            content_encoding: at.str("contentEncoding"),
            content_media_type: at.str("contentMediaType"),
            content_schema: self.optional_schema(at.get("contentSchema")),
            example: at.json_text("example").or_else(|| {
                at.get("examples")?
                    .items()
                    .next()
                    .map(|first| first.node.to_json().to_string())
            }),
        };
        Schema {
            loc: at.loc(),
            types,
            nullable: at.flag("nullable"),
            format: at.str("format"),
            enum_values: at.get("enum").map(|values| {
                values
                    .items()
                    .map(|value| value.node.to_json().to_string())
                    .collect()
            }),
            default: at.json_text("default"),
            // An empty pattern matches everything: it is no pattern.
            pattern: at.str("pattern").filter(|pattern| !pattern.is_empty()),
            minimum: at.number("minimum"),
            maximum: at.number("maximum"),
            exclusive_minimum: exclusive(at.get("exclusiveMinimum")),
            exclusive_maximum: exclusive(at.get("exclusiveMaximum")),
            min_length: at.count("minLength"),
            max_length: at.count("maxLength"),
            min_items: at.count("minItems"),
            max_items: at.count("maxItems"),
            unique_items: at.flag("uniqueItems"),
            required: at.strings("required"),
            properties,
            additional_properties: self.bool_or_schema(at.get("additionalProperties")),
            items,
            all_of: self.schema_list(at.get("allOf")),
            any_of: self.schema_list(at.get("anyOf")),
            one_of: self.schema_list(at.get("oneOf")),
            read_only: at.flag("readOnly"),
            write_only: at.flag("writeOnly"),
            deprecated: at.flag("deprecated"),
            title: at.str("title"),
            has_annotations: ANNOTATIONS.iter().any(|key| at.node.get(key).is_some()),
            extensions: at.extensions(),
            rare: (rare != Rare::default()).then(|| Box::new(rare)),
        }
    }

    // --- paths and operations ---------------------------------------------------------------

    fn path_entries(&mut self, paths: Option<At<'d>>) -> Vec<PathEntry> {
        let Some(paths) = paths else {
            return Vec::new();
        };
        let mut entries = Vec::new();
        for (path, loc, item) in paths.entries() {
            if path.starts_with("x-") {
                continue;
            }
            let Some(item) = self.deref(item) else {
                continue;
            };
            entries.push(self.path_entry(path, loc, item));
        }
        entries
    }

    fn path_entry(&mut self, path: &str, loc: Loc, item: At<'d>) -> PathEntry {
        let shared = self.parameters(item.get("parameters"));
        let operations = METHODS
            .iter()
            .filter_map(|method| {
                let entry = item.node.entry(method)?;
                Some((
                    *method,
                    Loc {
                        doc: item.doc,
                        range: entry.key_range,
                    },
                    At {
                        doc: item.doc,
                        node: &entry.value,
                    },
                ))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(method, key, operation)| self.operation(method, key, operation, &shared))
            .collect();
        PathEntry {
            path: path.to_owned(),
            loc,
            operations,
            extensions: item.extensions(),
            base_paths: self.base_paths(item.get("servers")),
        }
    }

    fn operation(&mut self, method: &str, loc: Loc, at: At<'d>, shared: &[Parameter]) -> Operation {
        let own = self.parameters(at.get("parameters"));
        let mut parameters: Vec<Parameter> = shared
            .iter()
            .filter(|parameter| {
                !own.iter()
                    .any(|mine| mine.name == parameter.name && mine.location == parameter.location)
            })
            .cloned()
            .collect();
        parameters.extend(own);
        let request_body = at
            .get("requestBody")
            .and_then(|body| self.deref(body))
            .map(|body| RequestBody {
                required: body.flag("required"),
                content: self.content(body.get("content")),
                loc: body.loc(),
            });
        let responses = match at.get("responses") {
            Some(responses) => self.responses(responses),
            None => {
                self.issue(
                    Severity::Info,
                    format!(
                        "{} operation has no `responses` (required by OpenAPI); read leniently as declaring none",
                        method.to_uppercase()
                    ),
                    loc,
                );
                Vec::new()
            }
        };
        Operation {
            method: method.to_uppercase(),
            loc,
            operation_id: at.str("operationId"),
            tags: at.strings("tags"),
            deprecated: at.flag("deprecated"),
            extensions: at.extensions(),
            parameters,
            request_body,
            responses,
            security: at.get("security").map(security_requirements),
            security_loc: at.get("security").map_or(loc, At::loc),
            base_paths: self.base_paths(at.get("servers")),
        }
    }

    fn parameters(&mut self, list: Option<At<'d>>) -> Vec<Parameter> {
        let mut parameters = Vec::new();
        for item in list
            .map(|list| list.items().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let Some(at) = self.deref(item) else {
                continue;
            };
            let (Some(name), Some(location)) = (at.str("name"), at.str("in")) else {
                self.issue(
                    Severity::Warning,
                    "a parameter without `name` and `in` is ignored".to_owned(),
                    at.loc(),
                );
                continue;
            };
            let style = at.str("style").unwrap_or_else(|| {
                if matches!(location.as_str(), "query" | "cookie") {
                    "form".to_owned()
                } else {
                    "simple".to_owned()
                }
            });
            let explode = match at.get("explode") {
                Some(_) => at.flag("explode"),
                None => style == "form",
            };
            parameters.push(Parameter {
                form_exploded: style == "form" && explode,
                required: at.flag("required") || location == "path",
                deprecated: at.flag("deprecated"),
                schema: self.optional_schema(at.get("schema")),
                content: self.content(at.get("content")),
                example: self.example(at),
                extensions: at.extensions(),
                loc: item.loc(),
                name,
                location,
            });
        }
        parameters
    }

    fn content(&mut self, content: Option<At<'d>>) -> Vec<MediaType> {
        content
            .map(|content| content.entries().collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|(name, loc, media)| MediaType {
                name: name.to_owned(),
                schema: self.optional_schema(media.get("schema")),
                example: self.example(media),
                loc,
            })
            .collect()
    }

    /// The `example` of a parameter or media type, else the `value` of the first of its
    /// `examples` (Example Objects, `$ref`s to `components/examples` followed).
    fn example(&mut self, at: At<'d>) -> Option<String> {
        if let Some(example) = at.json_text("example") {
            return Some(example);
        }
        let (_, _, first) = at.get("examples")?.entries().next()?;
        self.deref(first)?.json_text("value")
    }

    fn responses(&mut self, responses: At<'d>) -> Vec<Response> {
        let mut list = Vec::new();
        for (status, loc, response) in responses.entries() {
            if status.starts_with("x-") {
                continue;
            }
            let Some(response) = self.deref(response) else {
                continue;
            };
            let headers = self.headers(response.get("headers"));
            list.push(Response {
                status: status.to_owned(),
                headers,
                content: self.content(response.get("content")),
                loc,
            });
        }
        list
    }

    fn headers(&mut self, headers: Option<At<'d>>) -> Vec<Header> {
        let mut list = Vec::new();
        for (name, loc, header) in headers
            .map(|h| h.entries().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let Some(header) = self.deref(header) else {
                continue;
            };
            let schema = self.optional_schema(header.get("schema")).or_else(|| {
                self.content(header.get("content"))
                    .into_iter()
                    .find_map(|media| media.schema)
            });
            list.push(Header {
                name: name.to_owned(),
                required: header.flag("required"),
                schema,
                loc,
            });
        }
        list
    }

    fn security_schemes(&mut self, schemes: At<'d>) -> Vec<SecurityScheme> {
        let mut list = Vec::new();
        for (name, loc, scheme) in schemes.entries() {
            let Some(scheme) = self.deref(scheme) else {
                continue;
            };
            let flows = scheme
                .get("flows")
                .map(|flows| {
                    flows
                        .entries()
                        .map(|(flow, _, at)| OAuthFlow {
                            name: flow.to_owned(),
                            authorization_url: at.str("authorizationUrl"),
                            token_url: at.str("tokenUrl"),
                            scopes: at
                                .get("scopes")
                                .map(|scopes| {
                                    scopes
                                        .entries()
                                        .map(|(scope, _, text)| {
                                            (
                                                scope.to_owned(),
                                                text.node.as_str().unwrap_or("").to_owned(),
                                            )
                                        })
                                        .collect()
                                })
                                .unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            list.push(SecurityScheme {
                name: name.to_owned(),
                kind: scheme.str("type"),
                flows,
                loc,
            });
        }
        list
    }
}

/// Keywords that describe a schema without constraining it.
const ANNOTATIONS: [&str; 7] = [
    "description",
    "example",
    "examples",
    "externalDocs",
    "xml",
    "$comment",
    "title",
];

fn root_loc(root: At<'_>) -> Loc {
    Loc {
        doc: root.doc,
        range: root
            .node
            .entry("openapi")
            .map_or(TextRange::empty(TextSize::new(0)), |entry| entry.key_range),
    }
}

fn exclusive(at: Option<At<'_>>) -> Option<Exclusive> {
    let node = at?.node;
    node.as_bool()
        .map(Exclusive::Flag)
        .or_else(|| node.as_f64().map(Exclusive::Value))
}

fn security_requirements(list: At<'_>) -> Vec<SecurityRequirement> {
    list.items()
        .map(|requirement| {
            let mut schemes: Vec<(String, Vec<String>)> = requirement
                .entries()
                .map(|(name, _, scopes)| {
                    let mut scopes: Vec<String> = scopes
                        .items()
                        .filter_map(|scope| scope.node.as_str().map(str::to_owned))
                        .collect();
                    scopes.sort();
                    (name.to_owned(), scopes)
                })
                .collect();
            schemes.sort();
            SecurityRequirement { schemes }
        })
        .collect()
}

/// One JSON Pointer token with `~1`, `~0` and percent escapes decoded.
fn decode_pointer_token(token: &str) -> String {
    let unescaped = token.replace("~1", "/").replace("~0", "~");
    if !unescaped.contains('%') {
        return unescaped;
    }
    let bytes = unescaped.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = (bytes[index] == b'%')
            .then(|| unescaped.get(index + 1..index + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(byte) = escaped {
            decoded.push(byte);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).unwrap_or(unescaped)
}

/// The path of a server URL (absolute, `//host/path` or relative like `/api`), without a
/// trailing slash: `""` for the root. `{name}` takes the variable's default.
fn server_base_path(url: &str, defaults: &[(String, String)]) -> Result<String, String> {
    let mut expanded = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(open) = rest.find('{') {
        expanded.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| "has an unclosed `{`".to_owned())?;
        let name = &rest[open + 1..open + close];
        let value = defaults
            .iter()
            .find(|(variable, _)| variable == name)
            .map(|(_, default)| default.as_str())
            .ok_or_else(|| format!("uses `{{{name}}}`, which `variables` gives no default"))?;
        expanded.push_str(value);
        rest = &rest[open + close + 1..];
    }
    expanded.push_str(rest);
    if expanded.is_empty()
        || expanded
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("is not a URL".to_owned());
    }
    let without_query = expanded.split(['?', '#']).next().unwrap_or_default();
    let path = if let Some((scheme, after)) = without_query.split_once("://") {
        let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !valid_scheme || after.is_empty() || after.starts_with('/') {
            return Err("is not a URL".to_owned());
        }
        after.find('/').map_or("", |slash| &after[slash..])
    } else if let Some(after) = without_query.strip_prefix("//") {
        after.find('/').map_or("", |slash| &after[slash..])
    } else {
        without_query
    };
    let path = path.trim_end_matches('/');
    Ok(if path.is_empty() || path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    })
}

#[cfg(test)]
mod server_tests {
    use super::server_base_path;

    #[test]
    fn base_paths_of_server_urls() {
        let none: &[(String, String)] = &[];
        let base = |url: &str| server_base_path(url, none);
        assert_eq!(base("https://api.example.com/api").as_deref(), Ok("/api"));
        assert_eq!(
            base("https://api.example.com/api/v1/").as_deref(),
            Ok("/api/v1")
        );
        assert_eq!(base("https://api.example.com").as_deref(), Ok(""));
        assert_eq!(base("http://localhost:3000/").as_deref(), Ok(""));
        assert_eq!(base("/api").as_deref(), Ok("/api"));
        assert_eq!(base("v2").as_deref(), Ok("/v2"));
        assert_eq!(base("/").as_deref(), Ok(""));
        assert_eq!(base("//cdn.example.com/shop?x=1").as_deref(), Ok("/shop"));
        let defaults = [
            ("region".to_owned(), "eu".to_owned()),
            ("version".to_owned(), "v3".to_owned()),
        ];
        assert_eq!(
            server_base_path("https://{region}.example.com/{version}", &defaults).as_deref(),
            Ok("/v3")
        );
        assert_eq!(
            base("https://{region}.example.com/"),
            Err("uses `{region}`, which `variables` gives no default".to_owned())
        );
        assert_eq!(base("not a url"), Err("is not a URL".to_owned()));
        assert_eq!(base("https:///nohost"), Err("is not a URL".to_owned()));
        assert_eq!(base("1http://x/y"), Err("is not a URL".to_owned()));
        assert_eq!(
            base("https://x/{open"),
            Err("has an unclosed `{`".to_owned())
        );
        assert_eq!(base(""), Err("is not a URL".to_owned()));
    }
}

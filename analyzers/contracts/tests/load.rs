//! The loader on the fixtures of `fixtures/rules/contracts/invalid-spec`: what it reads, what it
//! reads around (issues), and what it refuses (errors) — never a panic.

use std::path::{Path, PathBuf};

use commerce_contracts::load::{self, DEFAULT_MAX_SPEC_BYTES, LoadError, Loaded};
use commerce_contracts::model::{Spec, Version};
use commerce_contracts::source::ReadError;
use commerce_contracts::{SourceReader, SpecSource};
use commerce_diagnostics::{LineIndex, Severity};
use commerce_project::{MemoryFs, OsFs};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/rules/contracts/invalid-spec")
}

fn load_fixture(name: &str) -> Result<Loaded, LoadError> {
    let root = fixtures();
    let reader = SourceReader {
        fs: &OsFs,
        root: &root,
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    load::load(&reader, &SpecSource::Path(PathBuf::from(name)))
}

/// Each issue as `line: severity: message`.
fn issues(loaded: &Loaded) -> Vec<String> {
    loaded
        .issues
        .iter()
        .map(|issue| {
            let document = &loaded.spec.documents[issue.loc.doc.0 as usize];
            let line = LineIndex::new(&document.text)
                .source_position(issue.loc.range.start())
                .line;
            format!(
                "{}:{line}: {}: {}",
                document.path.display(),
                issue.severity,
                issue.message
            )
        })
        .collect()
}

fn schema_named<'s>(spec: &'s Spec, name: &str) -> &'s commerce_contracts::model::Schema {
    let (_, schema) = spec
        .component_schemas
        .iter()
        .find(|(component, _)| component == name)
        .unwrap_or_else(|| panic!("no component `{name}`"));
    spec.schema(schema.id)
}

#[test]
fn reads_3_1_with_relative_file_refs_recursion_and_lenient_issues() {
    let loaded = load_fixture("petstore.yaml").expect("loads");
    let spec = &loaded.spec;
    assert_eq!(spec.version, Version::V31);
    assert_eq!(spec.documents.len(), 2, "the $ref'd file is loaded once");
    assert_eq!(spec.documents[1].path, Path::new("schemas/pet.yaml"));
    let path = spec.path("/pets/{petId}").expect("the path");
    let get = &path.operations[0];
    assert_eq!(get.method, "GET");
    assert_eq!(
        get.parameters[0].name, "petId",
        "path-level parameters are merged in"
    );
    // The recursive schema points back at itself through the arena.
    let category = schema_named(spec, "Category");
    let parent = category.property("parent").expect("parent");
    assert_eq!(
        spec.schema(parent.schema.id)
            .property("parent")
            .map(|p| p.schema.id),
        Some(parent.schema.id)
    );
    assert_eq!(parent.schema.component(), Some("Category"));
    // The same file reference reached twice is one schema.
    let pet = schema_named(spec, "Pet");
    let owner = pet.property("owner").expect("owner");
    let body = get_body_schema(spec);
    assert_eq!(owner.schema.id, body);
    assert_eq!(
        spec.schema(body).property("email").map(|p| p.name.as_str()),
        Some("email")
    );
    // The duplicate key keeps its later value (3.1 multi-type).
    let name = pet.property("name").expect("name");
    assert!(spec.schema(name.schema.id).accepts_null());
    assert_eq!(
        issues(&loaded),
        [
            "petstore.yaml:39: warning: duplicate key `name` (first on line 38): the later value replaces the earlier one",
            "petstore.yaml:18: info: POST operation has no `responses` (required by OpenAPI); read leniently as declaring none",
        ]
    );
}

fn get_body_schema(spec: &Spec) -> commerce_contracts::model::SchemaId {
    let post = &spec.path("/pets/{petId}").expect("path").operations[1];
    let body = post.request_body.as_ref().expect("a body");
    body.content[0].schema.as_ref().expect("a schema").id
}

#[test]
fn a_dangling_ref_is_an_error_issue_and_accepts_anything() {
    let loaded = load_fixture("dangling-ref.yaml").expect("loads leniently");
    assert_eq!(
        issues(&loaded),
        [
            "dangling-ref.yaml:12: error: `$ref: #/components/schemas/Orders` points to nothing: there is no `Orders` on the way; fix the reference or add the definition"
        ]
    );
    let response = &loaded.spec.paths[0].operations[0].responses[0];
    let schema = response.content[0].schema.as_ref().expect("a schema");
    assert!(loaded.spec.schema(schema.id).types.is_empty());
}

#[test]
fn a_ref_cycle_is_an_error_issue_not_a_hang() {
    let loaded = load_fixture("ref-cycle.yaml").expect("loads leniently");
    let found = issues(&loaded);
    assert!(!found.is_empty());
    assert!(
        found.iter().all(
            |issue| issue.contains("error: `$ref: #/components/schemas/")
                && issue.contains("is part of a reference cycle")
        ),
        "{found:?}"
    );
}

#[test]
fn swagger_2_invalid_yaml_and_other_versions_are_clean_errors() {
    let error = load_fixture("swagger2.yaml").expect_err("refused");
    assert!(matches!(error, LoadError::Swagger2 { .. }));
    assert!(
        error
            .to_string()
            .starts_with("swagger2.yaml:1:1: Swagger 2.0 is not supported"),
        "{error}"
    );

    let error = load_fixture("invalid.yaml").expect_err("refused");
    let LoadError::Syntax { .. } = &error else {
        panic!("expected a syntax error, got {error:?}");
    };
    assert!(
        error
            .to_string()
            .starts_with("invalid.yaml:8:1: invalid YAML"),
        "{error}"
    );
    let (diagnostic, text) = error.to_diagnostic().expect("points into the file");
    assert_eq!(diagnostic.rule, "contracts/invalid-spec");
    assert_eq!(diagnostic.severity, Severity::Error);
    assert!(text.starts_with("openapi: 3.0.3"));

    let error = load_fixture("openapi-4.yaml").expect_err("refused");
    assert_eq!(
        error.to_string(),
        "openapi-4.yaml:1:10: OpenAPI `4.0.0` is not supported; only 3.0.x and 3.1.x are"
    );
    let error = load_fixture("missing.yaml").expect_err("refused");
    assert!(
        matches!(error, LoadError::Read(ReadError::Io { .. })),
        "{error:?}"
    );
}

#[test]
fn specs_over_the_size_limit_are_refused_before_reading() {
    let fs: MemoryFs = [(
        "/p/big.json",
        "{\"openapi\": \"3.0.0\", \"padding\": \"".to_owned() + &"x".repeat(4096) + "\"}",
    )]
    .into_iter()
    .collect();
    let reader = SourceReader {
        fs: &fs,
        root: Path::new("/p"),
        max_bytes: 1024,
    };
    let error =
        load::load(&reader, &SpecSource::Path(PathBuf::from("big.json"))).expect_err("too large");
    assert!(
        matches!(
            error,
            LoadError::Read(ReadError::TooLarge { limit: 1024, .. })
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("specs over 1024 bytes are not read"),
        "{error}"
    );
}

#[test]
fn hostile_texts_never_panic() {
    let texts = [
        "",
        "openapi: 3.0.0",
        "openapi: 3.0.0\npaths: []\n",
        "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      responses: 7\n",
        "openapi: 3.0.0\npaths:\n  /a:\n    $ref: '#/paths/~1a'\n",
        "openapi: 3.0.0\ncomponents:\n  schemas:\n    A: {items: [1, {$ref: '#/components/schemas/A'}], allOf: 3}\n",
        "openapi: 3.0.0\npaths:\n  /a:\n    get:\n      parameters: [{$ref: 'other.yaml#/p'}, {name: q}]\n",
        "{\"openapi\": \"3.1.0\", \"paths\": {\"/a\": {\"get\": {\"responses\": {\"200\": {\"$ref\": \"http://x/y\"}}}}}}",
        "\u{feff}openapi: 3.0.0\ninfo: {title: é, version: '1'}\n",
        "- just\n- a list\n",
    ];
    for text in texts {
        let fs: MemoryFs = [("/p/spec.yaml", text)].into_iter().collect();
        let reader = SourceReader {
            fs: &fs,
            root: Path::new("/p"),
            max_bytes: DEFAULT_MAX_SPEC_BYTES,
        };
        // Loading may fail, but only with an error.
        let _ = load::load(&reader, &SpecSource::Path(PathBuf::from("spec.yaml")));
    }
}

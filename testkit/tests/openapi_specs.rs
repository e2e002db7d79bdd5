//! The auth matrix's operations from real OpenAPI documents of the shared corpus, in YAML and
//! in JSON.

use commerce_project::testing::corpus;
use commerce_testkit::auth::{Operation, operations_from_openapi, operations_from_openapi_file};
use commerce_testkit::document;

#[test]
fn a_yaml_spec_gives_its_operations_in_document_order() {
    let spec = corpus("openapi/oasdiff/data").join("openapi-test1.yaml");
    let operations = operations_from_openapi_file(&spec).unwrap();
    // Read by hand from the file: four paths, one operation each (path-level `parameters`
    // and `x-` keys are not operations).
    assert_eq!(
        operations,
        [
            "GET /api/{domain}/{project}/badges/security-score",
            "GET /api/{domain}/{project}/install-command",
            "POST /subscribe",
            "POST /register",
        ]
        .map(Operation::parse)
    );
}

#[test]
fn every_yaml_spec_of_the_corpus_reads() {
    let dir = corpus("openapi/oasdiff/data");
    let mut specs = Vec::new();
    let mut pending = vec![dir];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
            {
                specs.push(path);
            }
        }
    }
    assert!(specs.len() > 100, "only {} YAML specs found", specs.len());
    let mut operations = 0;
    for spec in &specs {
        let value = document::read(spec).unwrap_or_else(|error| panic!("{error}"));
        assert!(
            value.get("openapi").is_some(),
            "{} has no `openapi`",
            spec.display()
        );
        operations += operations_from_openapi(&value).len();
    }
    assert!(
        operations > specs.len(),
        "{operations} operations in {} specs",
        specs.len()
    );
}

#[test]
fn a_large_json_spec_reads_the_same_through_the_yaml_reader() {
    let path = corpus("openapi/real").join("twilio-messaging-v1-2026-02-05-55a17be.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    // JSON is YAML: a leading comment sends the same text through the YAML reader.
    let yaml = document::parse(&format!("# {}\n{text}", path.display())).unwrap();
    assert!(
        yaml == json,
        "the YAML reader read {} differently",
        path.display()
    );
    let operations = operations_from_openapi(&yaml);
    assert_eq!(operations, operations_from_openapi(&json));
    assert!(operations.len() >= 33, "{} operations", operations.len());
}

//! SARIF 2.1.0 (`--format sarif`), the format GitHub code scanning and most IDEs import.
//!
//! One run; every registered rule is described in `tool.driver.rules` whether or not it fired,
//! so viewers can show rule help for suppressed or fixed findings too. Artifact URIs are relative
//! to `%SRCROOT%` (the project root), so a report is portable between checkouts.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use super::{Sources, slash_path};
use crate::{Diagnostic, Edit, Fix, Label, RuleMeta, RuleRegistry, Severity, TextRange, doc_text};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
/// The base id every artifact URI is relative to.
const SRCROOT: &str = "%SRCROOT%";
/// The key of our fingerprint in `partialFingerprints`; bump the suffix if the hash changes.
const FINGERPRINT_KEY: &str = "commerce/v1";

/// Who produced the report, for `tool.driver`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// Where to read about the tool; left out of the report when `None` (SARIF wants a URI).
    pub information_uri: Option<String>,
}

pub fn render(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    rules: &RuleRegistry,
    tool: &ToolInfo,
) -> Value {
    let rule_indices: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(index, rule)| (rule.id, index))
        .collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|diagnostic| {
            let rule_index = rule_indices.get(diagnostic.rule.as_str()).copied();
            result(diagnostic, rule_index, sources)
        })
        .collect();
    let mut driver = json!({
        "name": tool.name,
        "version": tool.version,
    });
    if let Some(uri) = &tool.information_uri {
        driver["informationUri"] = Value::from(uri.as_str());
    }
    driver["rules"] = rules.iter().map(rule_descriptor).collect();
    json!({
        "$schema": SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {
                "driver": driver,
            },
            "originalUriBaseIds": {
                SRCROOT: {
                    "description": {
                        "text": "The root of the analyzed project; every artifact URI is relative to it.",
                    },
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn rule_descriptor(rule: &RuleMeta) -> Value {
    let doc = doc_text(rule.doc);
    // The id without its namespace: `focused-or-skipped-test`.
    let name = rule.id.split_once('/').map_or(rule.id, |(_, name)| name);
    json!({
        "id": rule.id,
        "name": name,
        "shortDescription": { "text": rule.summary() },
        "fullDescription": { "text": doc, "markdown": doc },
        "help": { "text": doc, "markdown": doc },
        "defaultConfiguration": { "level": level(rule.default_severity) },
        "properties": { "tags": [rule.namespace()] },
    })
}

const fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A result; `rule_index` is `None` for a rule the registry does not know, which SARIF allows as
/// long as no index points nowhere.
fn result(diagnostic: &Diagnostic, rule_index: Option<usize>, sources: &Sources) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".into(), diagnostic.rule.clone().into());
    if let Some(index) = rule_index {
        result.insert("ruleIndex".into(), index.into());
    }
    result.insert("level".into(), level(diagnostic.severity).into());
    result.insert("message".into(), json!({ "text": diagnostic.message }));
    result.insert(
        "locations".into(),
        json!([{ "physicalLocation": physical_location(sources, &diagnostic.path, diagnostic.range) }]),
    );
    if !diagnostic.related.is_empty() {
        let related: Vec<Value> = diagnostic
            .related
            .iter()
            .enumerate()
            .map(|(id, label)| related_location(id, label, sources))
            .collect();
        result.insert("relatedLocations".into(), related.into());
    }
    if let Some(fix) = &diagnostic.fix {
        result.insert("fixes".into(), json!([fix_json(fix, sources)]));
    }
    result.insert(
        "partialFingerprints".into(),
        json!({ FINGERPRINT_KEY: fingerprint(diagnostic) }),
    );
    Value::Object(result)
}

fn related_location(id: usize, label: &Label, sources: &Sources) -> Value {
    json!({
        "id": id,
        "physicalLocation": physical_location(sources, &label.path, label.range),
        "message": { "text": label.message },
    })
}

fn physical_location(sources: &Sources, path: &Path, range: TextRange) -> Value {
    json!({
        "artifactLocation": artifact_location(path),
        "region": region(sources, path, range),
    })
}

fn artifact_location(path: &Path) -> Value {
    json!({ "uri": relative_uri(path), "uriBaseId": SRCROOT })
}

/// Columns are Unicode code points, as `columnKind` declares; `endColumn` is exclusive in both
/// SARIF and our model.
fn region(sources: &Sources, path: &Path, range: TextRange) -> Value {
    let range = sources.source_range(path, range);
    json!({
        "startLine": range.start.line,
        "startColumn": range.start.column,
        "endLine": range.end.line,
        "endColumn": range.end.column,
    })
}

/// A fix as one artifact change per file (in the order the files first appear), each holding
/// that file's replacements.
fn fix_json(fix: &Fix, sources: &Sources) -> Value {
    let mut files: Vec<(&Path, Vec<&Edit>)> = Vec::new();
    for edit in &fix.edits {
        match files.iter_mut().find(|(path, _)| *path == edit.path) {
            Some((_, edits)) => edits.push(edit),
            None => files.push((&edit.path, vec![edit])),
        }
    }
    let changes: Vec<Value> = files
        .into_iter()
        .map(|(path, edits)| {
            json!({
                "artifactLocation": artifact_location(path),
                "replacements": edits
                    .into_iter()
                    .map(|edit| replacement(edit, sources))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "description": { "text": fix.title },
        "artifactChanges": changes,
        "properties": { "applicability": fix.applicability.as_str() },
    })
}

fn replacement(edit: &Edit, sources: &Sources) -> Value {
    json!({
        "deletedRegion": region(sources, &edit.path, edit.range),
        "insertedContent": { "text": edit.new_text },
    })
}

/// A relative URI reference for `path`: `/`-separated, with every byte outside RFC 3986's
/// unreserved set percent-encoded (a space or a `:` in a file name would otherwise make the URI
/// invalid or look like a scheme).
fn relative_uri(path: &Path) -> String {
    let mut uri = String::new();
    for byte in slash_path(path).bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// A hash of what identifies a finding across runs — rule, file and message, but not the
/// position, which moves with every edit above it. FNV-1a, because it is fixed by its definition,
/// whereas std's `DefaultHasher` may change between Rust releases.
fn fingerprint(diagnostic: &Diagnostic) -> String {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let path = slash_path(&diagnostic.path);
    // The 0xff separators keep ("ab", "c") and ("a", "bc") apart; no UTF-8 text contains 0xff.
    let parts = [
        diagnostic.rule.as_bytes(),
        path.as_bytes(),
        diagnostic.message.as_bytes(),
    ];
    let hash = parts.join(&0xff).iter().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(PRIME)
    });
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    fn tool() -> ToolInfo {
        ToolInfo {
            name: "cargo-commerce".into(),
            version: "0.1.0".into(),
            information_uri: Some("https://example.invalid/cargo-commerce".into()),
        }
    }

    fn report() -> Value {
        render(
            &fixtures::diagnostics(),
            &fixtures::sources(),
            &fixtures::registry(),
            &tool(),
        )
    }

    #[test]
    fn report_matches_the_snapshot() {
        insta::assert_json_snapshot!(report());
    }

    #[test]
    fn rule_indices_point_at_their_rules() {
        let report = report();
        let run = &report["runs"][0];
        let results = run["results"].as_array().expect("results is an array");
        assert!(
            results
                .iter()
                .any(|result| result.get("ruleIndex").is_none())
        );
        for result in results {
            if let Some(index) = result["ruleIndex"].as_u64() {
                let rule = &run["tool"]["driver"]["rules"][index as usize];
                assert_eq!(rule["id"], result["ruleId"]);
            }
        }
    }

    #[test]
    fn fingerprints_are_fixed_by_definition() {
        // FNV-1a 64 of the empty input is its offset basis; of "a" is a published test vector.
        let empty = Diagnostic::new("", Severity::Info, "", TextRange::default(), "");
        assert_eq!(
            fingerprint(&empty),
            format!("{:016x}", fnv_of(&[0xff, 0xff]))
        );
        let moved = Diagnostic {
            range: TextRange::new(3.into(), 4.into()),
            ..empty.clone()
        };
        assert_eq!(fingerprint(&moved), fingerprint(&empty));
        let renamed = Diagnostic {
            message: "other".into(),
            ..empty
        };
        assert_ne!(fingerprint(&renamed), fingerprint(&moved));
        assert_eq!(fnv_of(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv_of(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    /// FNV-1a 64 written out independently of `fingerprint`, to pin its constants.
    fn fnv_of(bytes: &[u8]) -> u64 {
        let mut hash: u64 = 14_695_981_039_346_656_037;
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(1_099_511_628_211);
        }
        hash
    }

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(
            relative_uri(Path::new("web/my file:ü.ts")),
            "web/my%20file%3A%C3%BC.ts"
        );
    }
}

//! End-to-end tests of the `cargo-commerce` binary on a copy of `fixtures/sample`: exit codes,
//! every output format (snapshots), SARIF against the official 2.1.0 schema, --fix and --diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use commerce_project::testing::copy_fixture;
use serde_json::Value;

/// A scratch copy of `fixtures/sample`, so fixes never touch the repository.
struct Sample {
    dir: tempfile::TempDir,
}

impl Sample {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(&fixtures_dir().join("sample"), dir.path());
        Self { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root().join(relative)).expect("fixture file")
    }

    fn write(&self, relative: &str, text: &str) {
        std::fs::write(self.root().join(relative), text).expect("write fixture file");
    }

    /// Runs `cargo-commerce ARGS --project <copy>`.
    fn run(&self, args: &[&str]) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"));
        command.args(args).arg("--project").arg(self.root());
        Run::of(command)
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(mut command: Command) -> Self {
        let Output {
            status,
            stdout,
            stderr,
        } = command
            .env_remove("CLICOLOR_FORCE")
            .env("NO_COLOR", "1")
            .output()
            .expect("run cargo-commerce");
        Self {
            code: status.code().expect("exited, not killed by a signal"),
            stdout: String::from_utf8(stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(stderr).expect("UTF-8 stderr"),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            std::fs::create_dir_all(&target).expect("create dir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

fn redact_elapsed(mut json: Value) -> Value {
    json["summary"]["elapsed_ms"] = Value::from(0);
    json
}

const FOCUSED_TEST: &str = "web/src/cart/cart.test.ts";

#[test]
fn json_output_has_the_stable_shape_and_findings_exit_1() {
    let sample = Sample::new();
    let run = sample.run(&["check", "--no-tests", "--format", "json"]);
    assert_eq!(
        run.code, 1,
        "an error-level finding fails the run\n{}",
        run.stderr
    );
    let json = redact_elapsed(run.json());
    assert_eq!(json["version"], 1);
    let focused = json["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .find(|diagnostic| diagnostic["path"] == FOCUSED_TEST)
        .expect("the focused test is reported");
    assert_eq!(
        focused["range"]["start"],
        serde_json::json!({"line": 5, "column": 3})
    );
    assert_eq!(focused["fix"]["applicability"], "safe");
    insta::assert_json_snapshot!(json);
}

#[test]
fn human_output_looks_like_rustc() {
    let sample = Sample::new();
    let run = sample.run(&["check", "--no-tests"]);
    assert_eq!(run.code, 1);
    assert!(
        !run.stdout.contains('\u{1b}'),
        "no colours when piped or NO_COLOR"
    );
    insta::with_settings!({filters => vec![(r"\(\d+ ms\)", "([elapsed])")]}, {
        insta::assert_snapshot!(run.stdout);
    });
}

#[test]
fn github_output_is_workflow_commands() {
    let sample = Sample::new();
    let run = sample.run(&["check", "--no-tests", "--format", "github"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let sample = Sample::new();
    let run = sample.run(&["check", "--no-tests", "--format", "sarif"]);
    assert_eq!(run.code, 1);
    let sarif = run.json();
    let schema = official_sarif_schema();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema violations:\n{}",
        errors.join("\n")
    );
    // The typed model of another implementation reads it too.
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_value(sarif.clone()).expect("serde-sarif reads our SARIF");
    assert_eq!(typed.runs.len(), 1);
    // Every result points at its rule's descriptor.
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .clone();
    for result in sarif["runs"][0]["results"].as_array().expect("results") {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
    }
    // The snapshot shows the results; the rule list grows with every new rule.
    let mut sarif = sarif;
    sarif["runs"][0]["tool"]["driver"]["version"] = Value::from("[version]");
    sarif["runs"][0]["tool"]["driver"]["rules"] = Value::from("[every rule]");
    for result in sarif["runs"][0]["results"].as_array_mut().expect("results") {
        result["ruleIndex"] = Value::from("[index]");
    }
    insta::assert_json_snapshot!(sarif);
}

/// The OASIS SARIF 2.1.0 schema as shipped in the `serde-sarif` crate's sources (a pinned dev
/// dependency, so cargo has unpacked it in its registry whenever this test builds).
fn official_sarif_schema() -> Value {
    const CRATE_DIR: &str = "serde-sarif-0.8.0";
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .expect("CARGO_HOME or HOME is set");
    let registries =
        std::fs::read_dir(cargo_home.join("registry/src")).expect("cargo's registry sources");
    let schema_path = registries
        .filter_map(Result::ok)
        .map(|registry| registry.path().join(CRATE_DIR).join("src/schema.json"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{CRATE_DIR}/src/schema.json not found under {}",
                cargo_home.display()
            )
        });
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(&schema_path).expect("serde-sarif ships src/schema.json"),
    )
    .expect("schema JSON");
    let mut schema = schema;
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    // The official schema's `language` patterns (on `run` and `toolComponent`) end in a stray
    // `]`, which strict ECMA-262 (the validator's meta-schema check) rejects; escape it, keeping
    // its meaning.
    let escaped = escape_stray_bracket(&mut schema, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
    assert_eq!(escaped, 2, "the schema's two `language` patterns");
    schema
}

fn escape_stray_bracket(value: &mut Value, pattern: &str) -> usize {
    match value {
        Value::String(text) if text == pattern => {
            *text = pattern.replace("]?$", "\\]?$");
            1
        }
        Value::Array(items) => items
            .iter_mut()
            .map(|item| escape_stray_bracket(item, pattern))
            .sum(),
        Value::Object(map) => map
            .values_mut()
            .map(|item| escape_stray_bracket(item, pattern))
            .sum(),
        _ => 0,
    }
}

#[test]
fn fix_removes_the_focus_and_a_second_run_passes() {
    let sample = Sample::new();
    let before = sample.read(FOCUSED_TEST);
    let fixed = sample.run(&["check", "--no-tests", "--fix"]);
    assert_eq!(
        fixed.code, 0,
        "only warnings remain\n{}{}",
        fixed.stdout, fixed.stderr
    );
    assert!(
        fixed.stderr.contains("applied 1 fix in 1 file"),
        "{}",
        fixed.stderr
    );
    let after = sample.read(FOCUSED_TEST);
    assert_ne!(before, after);
    assert!(after.contains(r#"  it("adds a line", () => {"#), "{after}");
    commerce_frontend::parse_module(Path::new(FOCUSED_TEST), &after)
        .expect("the fixed file still parses");
    let again = sample.run(&["check", "--no-tests", "--format", "json"]);
    assert_eq!(again.code, 0);
    let errors = again.json()["summary"]["errors"].clone();
    assert_eq!(errors, 0);
}

#[test]
fn diff_prints_the_change_and_writes_nothing() {
    let sample = Sample::new();
    let before = sample.read(FOCUSED_TEST);
    let run = sample.run(&["check", "--no-tests", "--diff"]);
    assert_eq!(run.code, 1, "pending fixes fail a --diff run");
    assert_eq!(sample.read(FOCUSED_TEST), before, "--diff writes nothing");
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn a_typo_in_commerce_toml_exits_2_with_its_position_and_a_suggestion() {
    let sample = Sample::new();
    sample.write(
        "commerce.toml",
        "[frontend]\nroots = [\"web\"]\ntsconfg = \"web/tsconfig.json\"\n",
    );
    let run = sample.run(&["check", "--no-tests"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty(), "errors go to stderr");
    assert!(run.stderr.contains("commerce.toml:3:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("did you mean `tsconfig`?"),
        "{}",
        run.stderr
    );
    let stderr = run
        .stderr
        .replace(&sample.root().display().to_string(), "[project]");
    insta::assert_snapshot!(stderr);
}

#[test]
fn an_unknown_rule_in_commerce_toml_exits_2() {
    let sample = Sample::new();
    sample.write(
        "commerce.toml",
        "[rules]\n\"tests/focused-test\" = \"off\"\n",
    );
    let run = sample.run(&["check", "--no-tests"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("commerce.toml:2:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("tests/focused-or-skipped-test"),
        "{}",
        run.stderr
    );
}

#[test]
fn rule_levels_from_commerce_toml_apply() {
    let sample = Sample::new();
    sample.write(
        "commerce.toml",
        "[rules]\n\"tests/focused-or-skipped-test\" = \"warning\"\n",
    );
    let run = sample.run(&["check", "--no-tests", "--format", "json"]);
    assert_eq!(run.code, 0, "downgraded to warnings");
    let strict = sample.run(&["check", "--no-tests", "--fail-on", "warning"]);
    assert_eq!(strict.code, 1);
    sample.write(
        "commerce.toml",
        "[rules]\n\"tests/focused-or-skipped-test\" = \"off\"\n",
    );
    let off = sample.run(&["check", "--no-tests", "--format", "json"]);
    assert_eq!(off.json()["diagnostics"], serde_json::json!([]));
}

#[test]
fn paths_restrict_the_check() {
    let sample = Sample::new();
    let run = sample.run(&["check", "--no-tests", "--format", "json", "backend"]);
    let paths: Vec<Value> = run.json()["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|diagnostic| diagnostic["path"].clone())
        .collect();
    assert_eq!(paths, [Value::from("backend/src/lib.rs")]);
    assert_eq!(run.code, 0, "only a warning in backend/");
}

#[test]
fn works_as_a_cargo_subcommand() {
    let sample = Sample::new();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"));
    command
        .args([
            "commerce",
            "check",
            "--no-tests",
            "--format",
            "json",
            "--project",
        ])
        .arg(sample.root());
    let run = Run::of(command);
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["version"], 1);
}

#[test]
fn usage_errors_exit_2() {
    let sample = Sample::new();
    assert_eq!(sample.run(&["check", "--format", "xml"]).code, 2);
    assert_eq!(sample.run(&["explain", "tests/nope"]).code, 2);
    let missing = Sample::new();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"));
    command
        .args(["check", "--project"])
        .arg(missing.root().join("no-such-dir"));
    let run = Run::of(command);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
}

#[test]
fn rules_and_explain_print_the_rule_docs() {
    let sample = Sample::new();
    let rules = sample.run(&["rules"]);
    assert_eq!(rules.code, 0);
    assert!(rules.stdout.contains("tests/focused-or-skipped-test"));
    let explain = sample.run(&["explain", "tests/focused-or-skipped-test"]);
    assert_eq!(explain.code, 0);
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Fix safety",
    ] {
        assert!(explain.stdout.contains(section), "missing {section}");
    }
}

#[test]
fn init_writes_a_config_that_check_accepts() {
    let sample = Sample::new();
    std::fs::remove_file(sample.root().join("commerce.toml")).expect("remove config");
    let init = sample.run(&["init"]);
    assert_eq!(init.code, 0, "{}", init.stderr);
    let config = sample.read("commerce.toml");
    assert!(config.contains("roots = [\"web\"]"), "{config}");
    assert_eq!(sample.run(&["init"]).code, 2, "refuses to overwrite");
    assert_eq!(sample.run(&["init", "--force"]).code, 0);
    assert_eq!(
        sample
            .run(&["check", "--no-tests", "--format", "json"])
            .code,
        1
    );
}

#[test]
fn a_non_utf8_file_is_reported_and_never_rewritten() {
    // (The fix engine's own tests cover a file changed between analysis and write.) A
    // non-UTF-8 test file is reported, never rewritten, and the other files are still checked.
    let sample = Sample::new();
    std::fs::write(
        sample.root().join("web/src/latin1.test.ts"),
        b"it.only(\"caf\xe9\", () => {});\n",
    )
    .expect("write latin-1 file");
    let run = sample.run(&["check", "--no-tests", "--fix", "--format", "json"]);
    let json = run.json();
    let rules: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|diagnostic| diagnostic["path"] == "web/src/latin1.test.ts")
        .filter_map(|diagnostic| diagnostic["rule"].as_str())
        .collect();
    assert_eq!(rules, ["commerce/unreadable-file"]);
    assert_eq!(
        std::fs::read(sample.root().join("web/src/latin1.test.ts")).expect("read"),
        b"it.only(\"caf\xe9\", () => {});\n"
    );
    assert_eq!(run.code, 1);
}

#[test]
fn base_checks_only_the_files_changed_since_the_merge_base() {
    let sample = Sample::new();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args([
                "-c",
                "user.name=test",
                "-c",
                "user.email=test@example.invalid",
            ])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(sample.root())
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "sample"]);
    git(&["checkout", "-q", "-b", "feature"]);
    sample.write(
        "web/src/checkout/checkout.spec.tsx",
        &sample
            .read("web/src/checkout/checkout.spec.tsx")
            .replace("describe.skip(", "describe.only("),
    );
    let run = sample.run(&["check", "--no-tests", "--format", "json", "--base", "main"]);
    let json = run.json();
    let paths: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|diagnostic| diagnostic["path"].as_str())
        .collect();
    assert_eq!(paths, ["web/src/checkout/checkout.spec.tsx"]);
    assert_eq!(run.code, 1);

    let unknown = sample.run(&["check", "--no-tests", "--base", "origin/nope"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown git ref `origin/nope`"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn project_level_analyzers_report_through_check() {
    let sample = Sample::new();
    std::fs::create_dir_all(sample.root().join("migrations")).expect("migrations dir");
    sample.write(
        "migrations/20250201000000_drop_legacy_price.up.sql",
        "ALTER TABLE products DROP COLUMN legacy_price;\n",
    );
    sample.write(
        "migrations/20250201000000_drop_legacy_price.down.sql",
        "ALTER TABLE products ADD COLUMN legacy_price bigint;\n",
    );
    let run = sample.run(&[
        "check",
        "--no-tests",
        "--only",
        "migrations",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let drop = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|diagnostic| diagnostic["rule"] == "migrations/ban-drop-column")
        .unwrap_or_else(|| panic!("ban-drop-column reported: {json}"));
    assert_eq!(
        drop["path"],
        "migrations/20250201000000_drop_legacy_price.up.sql"
    );
    assert_eq!(drop["data"]["migration"], drop["path"]);
    // The span is the `DROP COLUMN` clause, not the whole statement.
    assert_eq!(
        drop["range"]["start"],
        serde_json::json!({"line": 1, "column": 22})
    );
    // Only the requested analyzer ran.
    assert!(
        json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .all(|diagnostic| diagnostic["rule"]
                .as_str()
                .is_some_and(|rule| rule.starts_with("migrations/"))),
        "{json}"
    );
}

#[test]
fn a_runtime_import_cycle_is_fixed_with_import_type_and_rechecked_as_a_whole() {
    let project = tempfile::tempdir().expect("temp dir");
    let root = project.path();
    copy_fixture(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cli/fixable-import-cycle"),
        root,
    );
    let run = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"));
        command.args(args).arg("--project").arg(root);
        Run::of(command)
    };
    let before = run(&["check", "--no-tests", "--format", "json"]);
    assert_eq!(before.code, 1, "{}", before.stderr);
    let json = before.json();
    let cycle = &json["diagnostics"][0];
    assert_eq!(cycle["rule"], "frontend/import-cycle");
    assert_eq!(cycle["severity"], "error");
    assert_eq!(cycle["data"]["runtime"], true);
    assert_eq!(
        cycle["data"]["members"],
        serde_json::json!(["web/src/cart.ts", "web/src/price.ts"])
    );
    assert_eq!(cycle["fix"]["applicability"], "safe");

    let fixed = run(&["check", "--no-tests", "--fix", "--format", "json"]);
    assert_eq!(fixed.code, 0, "{}{}", fixed.stdout, fixed.stderr);
    let price = std::fs::read_to_string(root.join("web/src/price.ts")).expect("price.ts");
    assert!(
        price.starts_with("import type { CartLine } from \"./cart\";"),
        "{price}"
    );
    // What is left is the erased, type-only cycle: a warning, re-checked over the whole graph.
    let remaining = fixed.json();
    assert_eq!(
        remaining["diagnostics"][0]["data"]["runtime"], false,
        "{remaining}"
    );
    assert_eq!(remaining["diagnostics"][0]["severity"], "warning");
}

/// `rust/query-without-tenant-scope` on its fixture project: every planted unscoped query of
/// `src/invalid.rs` is found (but the one a `commerce-ignore` comment keeps), none of
/// `src/valid.rs`.
#[test]
fn the_tenant_scope_rule_finds_the_planted_unscoped_queries() {
    let project = tempfile::tempdir().expect("temp dir");
    copy_fixture(
        &fixtures_dir().join("rules/migrations/query-without-tenant-scope"),
        project.path(),
    );
    let mut command = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"));
    command
        .args([
            "check",
            "--no-tests",
            "--only",
            "migrations",
            "--format",
            "json",
        ])
        .arg("--project")
        .arg(project.path());
    let run = Run::of(command);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let json = run.json();
    let found: Vec<String> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|diagnostic| diagnostic["rule"] == "rust/query-without-tenant-scope")
        .map(|diagnostic| {
            format!(
                "{}:{} {}",
                diagnostic["path"].as_str().unwrap_or_default(),
                diagnostic["range"]["start"]["line"],
                diagnostic["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    insta::assert_snapshot!(found.join("\n"));
}

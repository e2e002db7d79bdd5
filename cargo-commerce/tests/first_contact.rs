//! What a new user sees on the first `cargo commerce check` of a real repository: a storefront
//! with images and fonts and `roots = ["."]`, bad input, a spec served under a base path, and
//! `[rules]` levels honoured by every subcommand.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "stdout is not JSON ({error}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// `rule path` of every finding, sorted.
    fn findings(&self) -> Vec<String> {
        let json = self.json();
        let mut found: Vec<String> = json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|diagnostic| {
                format!(
                    "{} {}",
                    diagnostic["rule"].as_str().expect("rule"),
                    diagnostic["path"].as_str().expect("path")
                )
            })
            .collect();
        found.sort();
        found
    }
}

fn run(root: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_cargo-commerce"))
        .args(args)
        .arg("--project")
        .arg(root)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cargo-commerce");
    Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn write(root: &Path, relative: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, contents).expect("write");
}

/// A Next.js shop laid out at the top of its repository, with the binary assets every real one
/// has, and one real problem: a runtime import cycle in `lib/` whose modules call each other while
/// they load, which the home page imports.
fn storefront(root: &Path) {
    write(
        root,
        "app/page.tsx",
        "import { Button } from \"../components/button\";\nimport { price } from \"../lib/price\";\nexport default function Page() { return <Button label={price(1)} />; }\n",
    );
    write(
        root,
        "components/button.tsx",
        "export function Button(props: { label: string }) { return <button>{props.label}</button>; }\n",
    );
    write(
        root,
        "lib/price.ts",
        "import { currency } from \"./currency\";\nexport const price = (n: number) => `${n} ${currency}`;\n",
    );
    write(
        root,
        "lib/currency.ts",
        "import { price } from \"./price\";\nexport const currency = \"EUR\";\n// Called while the module loads: whichever of the two runs first meets the other unset.\nexport const zero = price(0);\n",
    );
    write(
        root,
        "app/favicon.ico",
        [0u8, 0, 1, 0, 1, 0, 16, 16, 0xff, 0xfe],
    );
    write(
        root,
        "public/logo.png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xd8",
    );
    write(root, "app/fonts/inter.woff2", b"wOF2\0\x01\0\0\xc3\x28\xff");
    write(
        root,
        "public/brand.ttf",
        b"\0\x01\0\0\0\x0e\x80\0\x03\0\x60\xff\xfe",
    );
}

#[test]
fn a_storefront_with_binary_assets_and_root_dot_reports_only_its_real_finding() {
    let project = tempfile::tempdir().expect("temp dir");
    let root = project.path();
    storefront(root);
    let absolute = format!("{:?}", root.display().to_string());
    let mut seen = Vec::new();
    for roots in [
        r#""""#,
        r#"".""#,
        r#""./""#,
        absolute.as_str(),
        r#""app", "./components", "lib/""#,
    ] {
        write(
            root,
            "commerce.toml",
            format!("[frontend]\nroots = [{roots}]\nroutes = \"./app\"\n"),
        );
        let check = run(root, &["check", "--no-tests", "--format", "json"]);
        assert_eq!(
            check.code, 1,
            "roots = [{roots}]: the cycle and the page it breaks: {}",
            check.stdout
        );
        let json = check.json();
        assert_eq!(
            json["summary"]["files"], 4,
            "roots = [{roots}]: the four sources were analysed, and only they"
        );
        seen.push((roots.to_owned(), check.findings()));
    }
    for (roots, findings) in &seen {
        assert_eq!(
            findings,
            &[
                "frontend/import-cycle lib/currency.ts",
                "frontend/route-broken-import app/page.tsx"
            ],
            "roots = [{roots}]"
        );
    }
}

#[test]
fn bad_input_is_a_clear_finding_never_a_crash() {
    let project = tempfile::tempdir().expect("temp dir");
    let root = project.path();
    write(root, "commerce.toml", "[frontend]\nroots = [\".\"]\n");
    write(root, "src/empty.ts", "");
    write(
        root,
        "src/logo.ts",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xd8",
    );
    write(root, "src/ok.ts", "export const ok = 1;\n");
    let check = run(root, &["check", "--no-tests", "--format", "json"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert_eq!(check.findings(), ["commerce/unreadable-file src/logo.ts"]);
    let message = check.json()["diagnostics"][0]["message"].clone();
    assert!(
        message
            .as_str()
            .expect("message")
            .contains("not valid UTF-8"),
        "{message}"
    );
}

/// The findings of `args` with `rule` at its default level, then with it turned off in
/// `[rules]` (the rest of commerce.toml is `config`).
fn on_and_off(root: &Path, config: &str, rule: &str, args: &[&str]) -> (Run, Run) {
    write(root, "commerce.toml", config);
    let on = run(root, args);
    write(
        root,
        "commerce.toml",
        format!("{config}\n[rules]\n{rule:?} = \"off\"\n"),
    );
    let off = run(root, args);
    (on, off)
}

fn has_rule(run: &Run, rule: &str) -> bool {
    run.findings()
        .iter()
        .any(|finding| finding.starts_with(&format!("{rule} ")))
}

#[test]
fn a_rule_turned_off_is_off_in_every_subcommand() {
    let project = tempfile::tempdir().expect("temp dir");
    let root = project.path();
    storefront(root);
    write(
        root,
        "base.yaml",
        "openapi: 3.0.3\ninfo: { title: Shop, version: \"1\" }\npaths:\n  /carts:\n    get: { responses: { \"200\": { description: ok } } }\n  /orders:\n    get: { responses: { \"200\": { description: ok } } }\n",
    );
    write(
        root,
        "openapi.yaml",
        "openapi: 3.0.3\ninfo: { title: Shop, version: \"1\" }\npaths:\n  /carts:\n    get: { responses: { \"200\": { description: ok } } }\n",
    );
    write(
        root,
        "src/main.rs",
        "use axum::{Router, routing::get};\npub fn app() -> Router {\n    Router::new().route(\"/carts\", get(carts)).route(\"/health\", get(health))\n}\n",
    );
    write(
        root,
        "migrations/1_carts.up.sql",
        "CREATE TABLE carts (id INTEGER PRIMARY KEY, status TEXT NOT NULL DEFAULT 'open');\n",
    );
    write(root, "migrations/1_carts.down.sql", "DROP TABLE carts;\n");
    write(
        root,
        "migrations/2_status.up.sql",
        "ALTER TABLE carts DROP COLUMN status;\n",
    );
    // Loses the default and NOT NULL: a real down-drift.
    write(
        root,
        "migrations/2_status.down.sql",
        "ALTER TABLE carts ADD COLUMN status TEXT;\n",
    );
    let config = "[frontend]\nroots = [\".\"]\nroutes = \"app\"\n\n[contracts]\nspecs = [\"openapi.yaml\"]\nroutes = [\"src/**/*.rs\"]\n\n[migrations]\ndialect = \"sqlite\"\n";
    let json = ["--format", "json"];
    let cases: [(&str, Vec<&str>); 4] = [
        (
            "contracts/api-path-removed-without-deprecation",
            [
                &["contracts", "diff", "base.yaml", "openapi.yaml"][..],
                &json,
            ]
            .concat(),
        ),
        (
            "contracts/route-missing-from-spec",
            [&["contracts", "routes"][..], &json].concat(),
        ),
        (
            "frontend/route-broken-import",
            [&["routes"][..], &json].concat(),
        ),
        (
            "migrations/down-drift",
            [&["migrations", "verify", "--all"][..], &json].concat(),
        ),
    ];
    for (rule, args) in cases {
        let (on, off) = on_and_off(root, config, rule, &args);
        assert!(has_rule(&on, rule), "{args:?} finds {rule}: {}", on.stdout);
        assert_eq!(on.code, 1, "{args:?}: {}", on.stderr);
        assert!(
            !has_rule(&off, rule),
            "{args:?} with {rule} off: {}",
            off.stdout
        );
    }
}

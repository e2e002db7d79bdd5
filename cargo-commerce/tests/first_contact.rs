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
/// has, and one real problem: a runtime import cycle in `lib/`, which the home page imports.
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
        "import { price } from \"./price\";\nexport const currency = \"EUR\";\nexport const free = () => price(0);\n",
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

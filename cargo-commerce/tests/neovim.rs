//! The language server with a client none of us wrote: Neovim (Debian's 0.7, headless) loads
//! our plugin from editors/neovim, opens a file, receives the diagnostics, applies the quick fix
//! the server offers and saves. `scripts/install-deps.sh` installs Neovim.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use commerce_project::testing::copy_fixture;
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn neovim_receives_an_import_cycle_and_applies_the_import_type_fix() {
    let nvim = std::env::var("COMMERCE_NVIM").unwrap_or_else(|_| "nvim".to_owned());
    assert!(
        Command::new(&nvim)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success()),
        "Neovim is needed for this test: run `bash scripts/install-deps.sh` (it runs `apt-get install neovim`)"
    );
    let project = tempfile::tempdir().expect("temp dir");
    let root = project.path();
    // A runtime cycle (`verbatimModuleSyntax`) the import-type quick fix breaks.
    copy_fixture(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/cli/fixable-import-cycle"),
        root,
    );
    let file = root.join("web/src/cart.ts");
    let report = root.join("report.json");
    let editors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/neovim");

    let mut child = Command::new(&nvim)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "--noplugin"])
        .arg("--cmd")
        .arg(format!("set rtp^={}", editors.display()))
        .arg("-c")
        .arg(format!(
            "luafile {}",
            editors.join("tests/quickfix.lua").display()
        ))
        .env("COMMERCE_BIN", env!("CARGO_BIN_EXE_cargo-commerce"))
        .env("COMMERCE_FILE", &file)
        .env("COMMERCE_REPORT", &report)
        .env("XDG_STATE_HOME", root)
        .env("XDG_DATA_HOME", root)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nvim");
    let started = Instant::now();
    while child.try_wait().expect("poll nvim").is_none() {
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nvim did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("nvim wrote its report"))
            .expect("report JSON");
    assert!(report.get("error").is_none(), "{report}");
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    assert!(
        diagnostics
            .iter()
            .any(|diagnostic| diagnostic["code"] == "frontend/import-cycle"
                && diagnostic["line"] == 0),
        "{report}"
    );
    assert_eq!(
        report["action"],
        "Fix: use `import type` for the import used only as types"
    );
    let price = std::fs::read_to_string(root.join("web/src/price.ts")).expect("price.ts");
    assert!(
        price.starts_with("import type { CartLine } from \"./cart\";"),
        "{price}"
    );
}

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use commerce_project::MemoryFs;

use super::*;

const ROOT: &str = "/p";

/// A resolver over `files` (paths relative to `/p`), with every directory as a package dir.
fn resolver_with(
    files: &[(&str, &str)],
    tsconfig: Option<&str>,
    ambient: &[&str],
) -> ModuleResolver {
    let fs: MemoryFs = files
        .iter()
        .map(|(path, text)| (Path::new(ROOT).join(path), *text))
        .collect();
    let package_dirs: BTreeSet<PathBuf> = files
        .iter()
        .flat_map(|(path, _)| {
            Path::new(ROOT)
                .join(path)
                .ancestors()
                .skip(1)
                .map(Path::to_path_buf)
                .collect::<Vec<_>>()
        })
        .filter(|dir| dir.starts_with(ROOT))
        .collect();
    let setup = ResolverSetup {
        root: Path::new(ROOT),
        tsconfig: tsconfig.map(Path::new),
        workspace_roots: vec![PathBuf::from(ROOT)],
        package_dirs,
        ambient_modules: ambient.iter().map(|name| (*name).to_owned()).collect(),
    };
    ModuleResolver::new(Arc::new(fs), &setup)
}

fn resolver(files: &[(&str, &str)]) -> ModuleResolver {
    resolver_with(files, None, &[])
}

/// The resolution of `specifier` from `from`, with paths shown relative to the root.
fn resolved(resolver: &ModuleResolver, from: &str, specifier: &str) -> String {
    let from = Path::new(ROOT).join(from);
    let relative = |path: &Path| {
        path.strip_prefix(ROOT)
            .expect("inside the root")
            .display()
            .to_string()
    };
    match resolver.resolve(&from, specifier) {
        Resolution::Module(path) => format!("module {}", relative(&path)),
        Resolution::Asset(path) => format!("asset {}", relative(&path)),
        Resolution::External => "external".to_owned(),
        Resolution::Unresolved(reason) => format!("unresolved: {reason}"),
    }
}

fn assert_resolves(resolver: &ModuleResolver, from: &str, cases: &[(&str, &str)]) {
    for (specifier, expected) in cases {
        assert_eq!(
            resolved(resolver, from, specifier),
            *expected,
            "{specifier} from {from}"
        );
    }
}

#[test]
fn relative_paths_extensions_and_index_files() {
    let resolver = resolver(&[
        ("src/a.ts", ""),
        ("src/cart.ts", ""),
        ("src/view.tsx", ""),
        ("src/legacy.js", ""),
        ("src/types.d.ts", ""),
        ("src/esm.mts", ""),
        ("src/lib/index.ts", ""),
        ("src/widgets/index.tsx", ""),
        ("src/deep/b.ts", ""),
    ]);
    assert_resolves(
        &resolver,
        "src/a.ts",
        &[
            ("./cart", "module src/cart.ts"),
            ("./cart.ts", "module src/cart.ts"),
            ("./view", "module src/view.tsx"),
            ("./legacy", "module src/legacy.js"),
            ("./types", "module src/types.d.ts"),
            ("./lib", "module src/lib/index.ts"),
            ("./widgets", "module src/widgets/index.tsx"),
            ("./deep/b", "module src/deep/b.ts"),
            ("./cart?raw", "module src/cart.ts"),
        ],
    );
    assert_resolves(
        &resolver,
        "src/deep/b.ts",
        &[
            ("../cart", "module src/cart.ts"),
            ("..", "unresolved: no file matches it"),
        ],
    );
}

#[test]
fn typescript_maps_js_extensions_to_sources() {
    let resolver = resolver(&[
        ("src/a.ts", ""),
        ("src/cart.ts", ""),
        ("src/view.tsx", ""),
        ("src/esm.mts", ""),
        ("src/plain.js", ""),
    ]);
    assert_resolves(
        &resolver,
        "src/a.ts",
        &[
            ("./cart.js", "module src/cart.ts"),
            ("./view.js", "module src/view.tsx"),
            ("./esm.mjs", "module src/esm.mts"),
            ("./plain.js", "module src/plain.js"),
            ("./missing.js", "unresolved: no file matches it"),
        ],
    );
}

#[test]
fn tsconfig_paths_base_url_and_extends() {
    let resolver = resolver(&[
        (
            "tsconfig.base.json",
            r#"{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"], "~config": ["config/index.ts"], "vite": ["./node_modules/vite/index.d.ts"] } } }"#,
        ),
        (
            "tsconfig.json",
            r#"{ "extends": "./tsconfig.base.json", "compilerOptions": { "strict": true } }"#,
        ),
        ("src/a.ts", ""),
        ("src/ui/button.tsx", ""),
        ("config/index.ts", ""),
        ("lib/util.ts", ""),
    ]);
    assert_resolves(
        &resolver,
        "src/a.ts",
        &[
            ("@/ui/button", "module src/ui/button.tsx"),
            ("~config", "module config/index.ts"),
            // baseUrl makes non-relative paths resolve from the root.
            ("lib/util", "module lib/util.ts"),
            (
                "@/ui/missing",
                "unresolved: no file matches it through the tsconfig `paths`",
            ),
            // A `paths` entry into `node_modules` names a package, not installed here.
            ("vite", "external"),
        ],
    );
}

#[test]
fn tsconfig_extends_from_a_package_and_the_configured_tsconfig() {
    let files = [
        ("package.json", r#"{ "workspaces": ["packages/*"] }"#),
        (
            "packages/tsconfig/package.json",
            r#"{ "name": "@acme/tsconfig" }"#,
        ),
        (
            "packages/tsconfig/base.json",
            r##"{ "compilerOptions": { "paths": { "#ui/*": ["./src/ui/*"] } } }"##,
        ),
        (
            "web/tsconfig.app.json",
            r#"{ "extends": "@acme/tsconfig/base.json", "compilerOptions": { "baseUrl": "." } }"#,
        ),
        ("web/src/a.ts", ""),
        ("web/src/ui/card.ts", ""),
    ];
    let resolver = resolver_with(&files, Some("web/tsconfig.app.json"), &[]);
    assert_resolves(
        &resolver,
        "web/src/a.ts",
        &[("#ui/card", "module web/src/ui/card.ts")],
    );
}

#[test]
fn a_tsconfig_extending_a_package_that_is_not_installed_keeps_its_own_paths() {
    // As in CI before `npm install`: the shared base config is a dev dependency.
    let files = [
        (
            "package.json",
            r#"{ "devDependencies": { "@acme/ts-config-react": "1" } }"#,
        ),
        (
            "tsconfig.json",
            r#"{ "extends": "@acme/ts-config-react/tsconfig.base", "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["src/*"] } } }"#,
        ),
        ("src/a.ts", ""),
        ("src/ui/card.ts", ""),
        // Written by a build step, so not in a fresh checkout.
        (".gitignore", "src/consts/generated-types.ts\n"),
    ];
    assert_resolves(
        &resolver(&files),
        "src/a.ts",
        &[
            ("@/ui/card", "module src/ui/card.ts"),
            ("@/consts/generated-types", "external"),
            (
                "@/ui/gone",
                "unresolved: no file matches it through the tsconfig `paths`",
            ),
        ],
    );
}

#[test]
fn package_json_exports_imports_main_and_types() {
    let resolver = resolver(&[
        (
            "package.json",
            r##"{ "name": "shop", "imports": { "#internal/*": "./src/internal/*.ts" }, "dependencies": { "exported": "1", "mained": "1", "typed": "1" } }"##,
        ),
        ("src/a.ts", ""),
        ("src/internal/secret.ts", ""),
        (
            "node_modules/exported/package.json",
            r#"{ "exports": { ".": { "types": "./index.d.ts", "default": "./index.js" }, "./sub": "./sub.js" } }"#,
        ),
        ("node_modules/exported/index.d.ts", ""),
        ("node_modules/exported/index.js", ""),
        ("node_modules/exported/sub.js", ""),
        (
            "node_modules/mained/package.json",
            r#"{ "main": "lib/main.js" }"#,
        ),
        ("node_modules/mained/lib/main.js", ""),
        (
            "node_modules/typed/package.json",
            r#"{ "types": "types.d.ts" }"#,
        ),
        ("node_modules/typed/types.d.ts", ""),
    ]);
    assert_resolves(
        &resolver,
        "src/a.ts",
        &[
            ("#internal/secret", "module src/internal/secret.ts"),
            ("exported", "external"),
            ("exported/sub", "external"),
            ("mained", "external"),
            ("typed", "external"),
            // Installed, but not a subpath the package exports: still not the project's problem.
            ("exported/private", "external"),
            ("#internal/missing", "unresolved: no file matches it"),
        ],
    );
}

#[test]
fn workspace_packages_resolve_to_their_sources() {
    let resolver = resolver(&[
        (
            "package.json",
            r#"{ "private": true, "workspaces": ["packages/*", "apps/*"] }"#,
        ),
        (
            "apps/shop/package.json",
            r#"{ "name": "shop", "dependencies": { "@acme/ui": "workspace:*" } }"#,
        ),
        ("apps/shop/src/a.ts", ""),
        (
            "packages/ui/package.json",
            r#"{ "name": "@acme/ui", "exports": { ".": "./src/index.ts", "./button": "./src/button.tsx" } }"#,
        ),
        ("packages/ui/src/index.ts", ""),
        ("packages/ui/src/button.tsx", ""),
        (
            "packages/utils/package.json",
            r#"{ "name": "utils", "main": "./lib/index.js", "types": "./lib/index.ts" }"#,
        ),
        ("packages/utils/lib/index.ts", ""),
    ]);
    assert_resolves(
        &resolver,
        "apps/shop/src/a.ts",
        &[
            ("@acme/ui", "module packages/ui/src/index.ts"),
            ("@acme/ui/button", "module packages/ui/src/button.tsx"),
            ("utils", "module packages/utils/lib/index.ts"),
        ],
    );
}

#[test]
fn pnpm_workspaces_resolve_too() {
    let resolver = resolver(&[
        ("pnpm-workspace.yaml", "packages:\n  - 'libs/*'\n"),
        ("web/src/a.ts", ""),
        (
            "libs/money/package.json",
            r#"{ "name": "@shop/money", "main": "index.ts" }"#,
        ),
        ("libs/money/index.ts", ""),
    ]);
    assert_resolves(
        &resolver,
        "web/src/a.ts",
        &[("@shop/money", "module libs/money/index.ts")],
    );
}

#[test]
fn assets_packages_builtins_and_ambient_modules() {
    let resolver = resolver_with(
        &[
            (
                "package.json",
                r#"{ "dependencies": { "not-installed-yet": "1" }, "devDependencies": { "@types/jest": "1" } }"#,
            ),
            ("src/a.ts", ""),
            ("src/styles.css", ""),
            ("src/logo.svg", ""),
            ("src/data.json", ""),
            (
                "node_modules/react/package.json",
                r#"{ "main": "index.js" }"#,
            ),
            ("node_modules/react/index.js", ""),
        ],
        None,
        &["legacy-lib", "*.module.scss", "icons:*"],
    );
    assert_resolves(
        &resolver,
        "src/a.ts",
        &[
            ("./styles.css", "asset src/styles.css"),
            ("./logo.svg?react", "asset src/logo.svg"),
            ("./data.json", "asset src/data.json"),
            ("./missing.css", "unresolved: no file matches it"),
            ("react", "external"),
            ("react/jsx-runtime", "external"),
            ("not-installed-yet", "external"),
            ("not-installed-yet/sub/path", "external"),
            ("jest", "external"),
            ("fs", "external"),
            ("node:path", "external"),
            ("virtual:pwa-register", "external"),
            ("legacy-lib", "external"),
            ("theme.module.scss", "external"),
            (
                "reacct",
                "unresolved: it is neither a project path nor an installed or declared package",
            ),
            (
                "@scope/unknown",
                "unresolved: it is neither a project path nor an installed or declared package",
            ),
        ],
    );
}

#[test]
fn paths_differing_only_in_case_are_different_files() {
    let resolver = resolver(&[
        ("src/a.ts", ""),
        ("src/button.tsx", ""),
        ("src/Card.tsx", ""),
        ("src/card.tsx", ""),
    ]);
    assert_resolves(
        &resolver,
        "src/a.ts",
        &[
            ("./button", "module src/button.tsx"),
            ("./Button", "unresolved: no file matches it"),
            ("./Card", "module src/Card.tsx"),
            ("./card", "module src/card.tsx"),
        ],
    );
}

#[test]
fn verbatim_module_syntax_comes_from_the_nearest_tsconfig_and_its_bases() {
    let resolver = resolver(&[
        (
            "tsconfig.base.json",
            r#"{ "compilerOptions": { "verbatimModuleSyntax": true } }"#,
        ),
        (
            "strict/tsconfig.json",
            r#"{ "extends": "../tsconfig.base.json" }"#,
        ),
        ("strict/a.ts", ""),
        (
            "loose/tsconfig.json",
            "{ // comments are allowed\n \"compilerOptions\": {} }",
        ),
        ("loose/a.ts", ""),
        ("none/a.ts", ""),
        (
            "legacy/tsconfig.json",
            r#"{ "compilerOptions": { "preserveValueImports": true } }"#,
        ),
        ("legacy/a.ts", ""),
    ]);
    let keeps = |file: &str| resolver.keeps_imports(&Path::new(ROOT).join(file));
    assert!(keeps("strict/a.ts"));
    assert!(!keeps("loose/a.ts"));
    assert!(!keeps("none/a.ts"));
    assert!(keeps("legacy/a.ts"));
}

#[test]
fn package_names_and_schemes() {
    assert_eq!(package_name("react"), Some("react"));
    assert_eq!(package_name("react/jsx-runtime"), Some("react"));
    assert_eq!(package_name("@scope/pkg/sub"), Some("@scope/pkg"));
    assert_eq!(package_name("@scope"), None);
    assert_eq!(package_name("@/x"), None);
    assert!(has_scheme("virtual:x"));
    assert!(has_scheme("https://cdn/x.js"));
    assert!(!has_scheme("C:/x"));
    assert!(!has_scheme("./a:b"));
    assert!(is_path_specifier("./a") && is_path_specifier("../a") && is_path_specifier("/a"));
    assert!(!is_path_specifier(".a") && !is_path_specifier("a"));
}

#[test]
fn undeclared_packages_are_unresolved_only_once_dependencies_are_installed() {
    let files = [
        (
            "package.json",
            r#"{ "dependencies": { "@dnd-kit/core": "6" } }"#,
        ),
        ("src/a.ts", ""),
    ];
    let not_installed = resolver(&files);
    assert_resolves(
        &not_installed,
        "src/a.ts",
        &[("history", "external"), ("@dnd-kit/utilities", "external")],
    );
    let mut installed_files = files.to_vec();
    installed_files.push(("node_modules/@dnd-kit/core/package.json", "{}"));
    let installed = resolver(&installed_files);
    assert_resolves(
        &installed,
        "src/a.ts",
        &[
            (
                "history",
                "unresolved: it is neither a project path nor an installed or declared package",
            ),
            // A scope the project declares packages of: frameworks put virtual modules there.
            ("@dnd-kit/utilities", "external"),
        ],
    );
}

#[test]
fn ignored_generated_files_are_not_unresolved() {
    let resolver = resolver(&[
        ("package.json", "{}"),
        (".gitignore", "src/keys.generated.ts\n.react-router/\n"),
        // React Router's typegen writes `.react-router/types/app/routes/+types/page.ts`.
        (
            "app/tsconfig.json",
            r#"{ "compilerOptions": { "rootDirs": [".", "../.react-router/types/app"] } }"#,
        ),
        ("app/routes/page.tsx", ""),
        ("src/a.ts", ""),
    ]);
    assert_resolves(
        &resolver,
        "src/a.ts",
        &[
            ("./keys.generated", "external"),
            ("./keys.missing", "unresolved: no file matches it"),
        ],
    );
    assert_resolves(
        &resolver,
        "app/routes/page.tsx",
        &[("./+types/page", "external")],
    );
}

#[test]
fn a_tsconfig_extends_cycle_is_dropped_and_relative_imports_still_resolve() {
    let resolver = resolver(&[
        (
            "web/tsconfig.json",
            r#"{ "extends": "./tsconfig.base.json", "compilerOptions": { "paths": { "@/*": ["./src/*"] } } }"#,
        ),
        (
            "web/tsconfig.base.json",
            r#"{ "extends": "./tsconfig.json" }"#,
        ),
        ("web/src/a.ts", "import './b'; import '@/b';"),
        ("web/src/b.ts", ""),
    ]);
    assert_eq!(
        resolved(&resolver, "web/src/a.ts", "./b"),
        "module web/src/b.ts"
    );
    let aliased = resolved(&resolver, "web/src/a.ts", "@/b");
    // oxc_resolver drops a tsconfig whose `extends` loops (as if the file had none), so its
    // `paths` do not apply: the alias is unresolved, and nothing panics or loops.
    assert!(aliased.starts_with("unresolved"), "{aliased}");
}

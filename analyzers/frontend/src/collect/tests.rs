use std::fmt::Write as _;
use std::path::Path;

use super::*;
use crate::parse::parse_module;

fn facts(name: &str, text: &str) -> ModuleFacts {
    let parsed = parse_module(Path::new(name), text)
        .unwrap_or_else(|error| panic!("{name} does not parse: {error:?}"));
    collect(&parsed)
}

fn usage_text(usage: Usage) -> &'static str {
    match (usage.value, usage.types) {
        (true, true) => "value+type",
        (true, false) => "value",
        (false, true) => "type",
        (false, false) => "unused",
    }
}

/// One line per import, binding, export and declaration, with the source text they point at.
fn summary(name: &str, text: &str) -> String {
    let facts = facts(name, text);
    let slice = |range: TextRange| &text[range.to_usize_range()];
    let mut out = String::new();
    for import in &facts.imports {
        let _ = writeln!(
            out,
            "import {:?} {}{} at {:?}",
            import.form,
            slice(import.specifier_range),
            if import.type_only { " (type)" } else { "" },
            slice(import.range).lines().next().unwrap_or_default(),
        );
        for binding in &import.bindings {
            let _ = writeln!(
                out,
                "  {:?} as {:?}{} {} `{}`",
                binding.imported,
                binding.local.as_deref().unwrap_or("-"),
                if binding.type_only { " (type)" } else { "" },
                usage_text(binding.usage),
                slice(binding.range).lines().next().unwrap_or_default(),
            );
        }
    }
    for export in &facts.exports {
        let _ = writeln!(
            out,
            "export {} <- {:?} `{}`",
            export.name,
            export.source,
            slice(export.range).lines().next().unwrap_or_default()
        );
    }
    for declaration in &facts.declarations {
        let _ = writeln!(
            out,
            "declare {} {:?}{} at {}",
            declaration.name,
            declaration.kind,
            if declaration.exported {
                " exported"
            } else {
                ""
            },
            declaration.statement_start.to_u32()
        );
    }
    for access in &facts.member_accesses {
        let _ = writeln!(
            out,
            "access import {} binding {} .{} `{}`",
            access.import,
            access.binding,
            access.name,
            slice(access.range)
        );
    }
    for module in &facts.ambient_modules {
        let _ = writeln!(out, "ambient module {module}");
    }
    if facts.dynamic_exports {
        out.push_str("dynamic exports\n");
    }
    out
}

#[test]
fn every_import_form() {
    let text = r#"import Default from "./default";
import * as ns from "./namespace";
import { a, b as c, "string name" as d } from "./named";
import Both, { e } from "./both";
import "./side-effect";
import type { T } from "./type-statement";
import type DefaultType from "./type-default";
import type * as TypeNs from "./type-namespace";
import { type U, f } from "./type-specifier";
import legacy = require("./import-equals");
import type legacyType = require("./import-equals-type");
const lazy = import("./dynamic");
const lazyTemplate = import(`./dynamic-template`);
const required = require("./required");
type Query = import("./type-query").Shape<string>;
const computed = import(moduleName);
use(Default, ns, a, c, d, Both, e, f, legacy, lazy, lazyTemplate, required, computed);
let x: T | DefaultType | TypeNs.Shape | U | legacyType.Shape | Query;
"#;
    insta::assert_snapshot!(summary("a.ts", text));
}

#[test]
fn every_export_form() {
    let text = r#"export const one = 1, { two, three: [four] } = values;
export function five() {}
export class Six {}
export enum Seven { A }
export interface Eight {}
export type Nine = string;
export namespace Ten { export const x = 1; }
export declare const eleven: number;
const twelve = 12;
interface Thirteen {}
export { twelve, twelve as renamed, type Thirteen };
export type { Thirteen as ThirteenAlias };
export { fourteen, default as fifteen, sixteen as default } from "./re-export";
export type { Seventeen } from "./re-export-type";
export * from "./star";
export * as eighteen from "./star-namespace";
export type * from "./star-type";
export import nineteen = require("./import-equals");
declare module "virtual:icons" {}
"#;
    insta::assert_snapshot!(summary("a.ts", text));
}

#[test]
fn default_export_forms() {
    let cases = [
        (
            "export default function named() {}",
            "Local { local: \"named\", type_only: false }",
        ),
        ("export default class {}", "Declaration(Both)"),
        (
            "export default interface Props {}",
            "Local { local: \"Props\", type_only: false }",
        ),
        ("export default 1 + 1;", "Declaration(Value)"),
        (
            "const local = 1; export default (local);",
            "Local { local: \"local\", type_only: false }",
        ),
    ];
    for (text, expected) in cases {
        let facts = facts("a.ts", text);
        let defaults: Vec<String> = facts
            .exports_named("default")
            .map(|export| format!("{:?}", export.source))
            .collect();
        assert_eq!(defaults, [expected], "{text}");
    }
}

#[test]
fn usage_separates_values_from_types() {
    let text = r#"import { Value, TypeOnly, Unused, Both, Jsx, Base, Iface, Decorator } from "./m";
import { Shorthand, Exported, ExportedType, Queried, Generic, Cast, Ambient } from "./m";
import { Member, Namespaced } from "./m";
export { Exported };
export type { ExportedType };
@Decorator()
class Widget extends Base implements Iface {
  field: TypeOnly = Value();
  both: Both = new Both();
}
const element = <Jsx.Item prop={1}><Jsx /></Jsx.Item>;
const object = { Shorthand };
type Q = typeof Queried;
const cast = thing as Cast<Generic>;
declare const ambient: Ambient;
const member = Member.create();
let namespaced: Namespaced.Inner;
"#;
    insta::assert_snapshot!(summary("a.tsx", text));
}

#[test]
fn shadowed_names_are_not_uses_of_the_import() {
    let text = r#"import { Param, Block, Caught, Looped, Arrow, Hoisted, Outside, Prop } from "./m";
function f(Param: number) { return Param; }
{ const Block = 1; use(Block); }
try {} catch (Caught) { use(Caught); }
for (const Looped of list) { use(Looped); }
const g = (Arrow) => Arrow;
function h() { use(Hoisted); function Hoisted() {} }
class K { constructor(private Prop: number) { use(Prop); } }
use(Outside);
"#;
    let facts = facts("a.ts", text);
    let usages: Vec<(&str, &str)> = facts.imports[0]
        .bindings
        .iter()
        .map(|binding| {
            (
                binding.local.as_deref().unwrap_or("-"),
                usage_text(binding.usage),
            )
        })
        .collect();
    assert_eq!(
        usages,
        [
            ("Param", "unused"),
            ("Block", "unused"),
            ("Caught", "unused"),
            ("Looped", "unused"),
            ("Arrow", "unused"),
            ("Hoisted", "unused"),
            ("Outside", "value"),
            ("Prop", "unused"),
        ]
    );
}

#[test]
fn jsx_intrinsic_elements_are_not_references() {
    let text = "import { div, Card } from './m';\nexport const A = () => <div><Card /></div>;\n";
    let facts = facts("a.jsx", text);
    let usages: Vec<&str> = facts.imports[0]
        .bindings
        .iter()
        .map(|binding| usage_text(binding.usage))
        .collect();
    assert_eq!(usages, ["unused", "value"]);
}

#[test]
fn commonjs_exports_are_dynamic() {
    for text in [
        "module.exports = { a: 1 };",
        "exports.a = 1;",
        "Object.defineProperty(exports, 'a', { value: 1 });",
        "export = value;",
    ] {
        let name = if text.starts_with("export =") {
            "a.cts"
        } else {
            "a.cjs"
        };
        assert!(facts(name, text).dynamic_exports, "{text}");
    }
    assert!(!facts("a.ts", "export const a = 1;").dynamic_exports);
}

#[test]
fn namespace_member_accesses_are_recorded() {
    let text = "import * as api from './api';\nimport legacy = require('./legacy');\napi.fetchCart();\nconst x: api.Cart = legacy.load();\nconst y = <api.View />;\n";
    let facts = facts("a.tsx", text);
    let accesses: Vec<(usize, &str, &str)> = facts
        .member_accesses
        .iter()
        .map(|access| {
            (
                access.import,
                access.name.as_str(),
                &text[access.range.to_usize_range()],
            )
        })
        .collect();
    assert_eq!(
        accesses,
        [
            (0, "fetchCart", "fetchCart"),
            (0, "Cart", "Cart"),
            (1, "load", "load"),
            (0, "View", "View"),
        ]
    );
}

fn erased(name: &str, text: &str, keeps_imports: bool) -> Vec<bool> {
    let parsed = parse_module(Path::new(name), text).expect("parses");
    let facts = collect(&parsed);
    facts
        .imports
        .iter()
        .map(|import| import.is_erased(parsed.dialect(), keeps_imports, |_| false))
        .collect()
}

#[test]
fn erasure_follows_typescript() {
    let text = r#"import { Value } from "./value";
import { TypeUse } from "./type-use";
import { Unused } from "./unused";
import { type Marked } from "./marked";
import type { Statement } from "./statement";
import { Mixed, type MixedType } from "./mixed";
import "./side-effect";
import("./dynamic");
export { Reexported } from "./re-export";
export type { ReexportedType } from "./re-export-type";
export * from "./star";
use(Value, Mixed);
let t: TypeUse | Marked | Statement | MixedType;
"#;
    assert_eq!(
        erased("a.ts", text, false),
        [
            false, true, true, true, true, false, false, false, true, false, false
        ]
    );
    // Statements first, then the imports found inside code (the dynamic one, last).
    // verbatimModuleSyntax keeps everything not marked `type` on the statement.
    assert_eq!(
        erased("a.ts", text, true),
        [
            false, false, false, false, true, false, false, false, true, false, false
        ]
    );
}

#[test]
fn javascript_keeps_and_declaration_files_erase_every_import() {
    let text = "import { unused } from './a';\nimport './b';\n";
    assert_eq!(erased("a.js", text, false), [false, false]);
    assert_eq!(erased("a.d.ts", text, false), [true, true]);
}

#[test]
fn a_binding_naming_a_type_is_erasable_whatever_its_usage() {
    let text = "import { Props } from './props';\nexport { Shape } from './shape';\nuse(Props);\n";
    let parsed = parse_module(Path::new("a.ts"), text).expect("parses");
    let facts = collect(&parsed);
    for import in &facts.imports {
        assert!(!import.is_erased(parsed.dialect(), false, |_| false));
        assert!(import.is_erased(parsed.dialect(), false, |_| true));
        assert!(!import.is_erased(parsed.dialect(), true, |_| true));
    }
}

#[test]
fn only_typescript_imports_of_types_can_become_type_only() {
    let cases = [
        ("a.ts", "import { A } from './m'; let a: A;", true),
        ("a.ts", "import A, { B } from './m'; let a: A | B;", true),
        ("a.ts", "import * as m from './m'; let a: m.A;", true),
        ("a.ts", "import { A } from './m'; use(A);", false),
        ("a.ts", "import type { A } from './m';", false),
        ("a.ts", "import './m';", false),
        ("a.ts", "export * from './m';", false),
        ("a.ts", "export { A } from './m';", false),
        ("a.js", "import { A } from './m';", false),
        ("a.d.ts", "import { A } from './m';", false),
    ];
    for (name, text, expected) in cases {
        let parsed = parse_module(Path::new(name), text).expect("parses");
        let facts = collect(&parsed);
        let convertible = facts.imports[0].can_become_type_only(parsed.dialect(), |_| false);
        assert_eq!(convertible, expected, "{name}: {text}");
    }
}

#[test]
fn a_value_read_outside_every_function_is_evaluated_with_the_module() {
    let facts = facts(
        "a.tsx",
        "import { Base, helper, Comp, later, T } from './b';\n\
         class A extends Base {}\n\
         export const x = helper();\n\
         export default <Comp />;\n\
         export function f() { return later(); }\n\
         export const g = () => later;\n\
         class B { method() { return later; } }\n\
         let t: T;\n",
    );
    let evaluated: Vec<(&str, bool)> = facts.imports[0]
        .bindings
        .iter()
        .map(|binding| {
            (
                binding.local.as_deref().unwrap_or_default(),
                binding.usage.evaluated,
            )
        })
        .collect();
    assert_eq!(
        evaluated,
        [
            ("Base", true),
            ("helper", true),
            ("Comp", true),
            ("later", false),
            ("T", false)
        ]
    );
}

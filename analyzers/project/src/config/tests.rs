use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;

use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("commerce.toml"))
}

fn parse_err(text: &str) -> ConfigError {
    parse(text).expect_err("the config is invalid")
}

/// The error's kind, `line:column`, message and suggestion, for compact assertions.
fn summary(error: &ConfigError) -> (ConfigErrorKind, String, String, Option<String>) {
    (
        error.kind(),
        format!("{}:{}", error.line(), error.column()),
        error.message().to_owned(),
        error.suggestion().map(str::to_owned),
    )
}

const FULL: &str = r#"
[frontend]
roots = ["web", "admin"]
tsconfig = "web/tsconfig.json"
routes = "web/app"
type_only_cycles = "error"

[contracts]
specs = ["openapi/*.yaml"]
base = "origin/main"
routes = ["crates/*/src/**/*.rs"]

[migrations]
dir = "db/migrations"
dialect = "sqlite"
lint_from = "20240101000000"

[suites.fast]
tags = ["unit"]
budget = "60s"

[suites.smoke]
tags = ["smoke", "http"]
budget = "1m30s"

[gates]
fail_on = ["test", "contract-drift", "render", "p95", "analyzer"]
p95_regression_pct = 7.5

[rules]
"migrations/prefer-bigint-over-int" = "off"
"frontend/import-cycle" = "error"
"#;

#[test]
fn empty_file_gives_the_defaults() {
    let config = parse("").expect("valid");
    assert_eq!(config, Config::default());
    assert!(config.frontend.roots.is_empty());
    assert_eq!(config.frontend.type_only_cycles, CycleLevel::Warn);
    assert_eq!(config.migrations.dir, "migrations");
    assert_eq!(config.migrations.dialect, Dialect::Postgres);
    assert_eq!(config.gates.fail_on, Gate::ALL);
    assert_eq!(config.gates.p95_regression_pct, 10.0);
    assert_eq!(config.suites, default_suites());
    assert_eq!(config.suites["fast"].budget, Some(Duration::from_secs(60)));
    assert_eq!(config.suites["integration"].tags, ["integration"]);
    assert!(config.rule_levels().is_empty());
}

#[test]
fn frontend_render_section() {
    let render = parse(
        "[frontend.render]\nenabled = true\nproviders = [\"web/test/providers.tsx\"]\nfixtures = { \"https://api.example/x\" = \"web/test/x.json\" }\ntimeout = \"2s\"\n",
    )
    .expect("valid")
    .frontend
    .render;
    assert!(render.enabled);
    assert_eq!(render.providers, ["web/test/providers.tsx"]);
    assert_eq!(render.fixtures["https://api.example/x"], "web/test/x.json");
    assert_eq!(render.timeout, Some(Duration::from_secs(2)));
    assert_eq!(
        parse("").expect("valid").frontend.render,
        RenderConfig::default()
    );
}

#[test]
fn frontend_section() {
    let frontend = parse(FULL).expect("valid").frontend;
    assert_eq!(frontend.roots, ["web", "admin"]);
    assert_eq!(frontend.tsconfig.as_deref(), Some("web/tsconfig.json"));
    assert_eq!(frontend.routes.as_deref(), Some("web/app"));
    assert_eq!(frontend.type_only_cycles, CycleLevel::Error);
    assert_eq!(frontend.type_only_cycles.severity(), Some(Severity::Error));
    assert_eq!(CycleLevel::Off.severity(), None);
}

#[test]
fn contracts_section() {
    let contracts = parse(FULL).expect("valid").contracts;
    assert_eq!(contracts.specs, ["openapi/*.yaml"]);
    assert_eq!(contracts.base.as_deref(), Some("origin/main"));
    assert_eq!(contracts.routes, ["crates/*/src/**/*.rs"]);
}

#[test]
fn contracts_section_names_the_service_under_contract_test() {
    let contracts = parse(
        "[contracts]\ntest_base_url = \"http://127.0.0.1:3000\"\ntest_bearer_env = \"SHOP_TOKEN\"\ntest_headers = { \"X-Api-Key\" = \"dev\" }\n",
    )
    .expect("valid")
    .contracts;
    assert_eq!(
        contracts.test_base_url.as_deref(),
        Some("http://127.0.0.1:3000")
    );
    assert_eq!(contracts.test_bearer_env.as_deref(), Some("SHOP_TOKEN"));
    assert_eq!(
        contracts.test_headers,
        BTreeMap::from([("X-Api-Key".to_owned(), "dev".to_owned())])
    );
    assert_eq!(
        summary(&parse_err(
            "[contracts]\ntest_headers = { \"X-Api-Key\" = 1 }\n"
        ))
        .0,
        ConfigErrorKind::WrongType
    );
}

#[test]
fn migrations_section() {
    let migrations = parse(FULL).expect("valid").migrations;
    assert_eq!(migrations.dir, "db/migrations");
    assert_eq!(migrations.dialect, Dialect::Sqlite);
    assert_eq!(migrations.lint_from.as_deref(), Some("20240101000000"));
    assert_eq!(migrations.postgres, None);
}

#[test]
fn the_target_postgres_version_is_its_major_version() {
    let major = |value: &str| {
        parse(&format!("[migrations]\npostgres = {value}\n"))
            .expect("valid")
            .migrations
            .postgres
    };
    assert_eq!(major("\"16\""), Some(16));
    assert_eq!(major("\"16.4\""), Some(16));
    assert_eq!(major("\"9.6\""), Some(9));
    assert_eq!(major("18"), Some(18));
    assert_eq!(parse("").expect("valid").migrations.postgres, None);
}

#[test]
fn configured_suites_replace_the_defaults() {
    let suites = parse(FULL).expect("valid").suites;
    assert_eq!(suites.keys().collect::<Vec<_>>(), ["fast", "smoke"]);
    assert_eq!(suites["smoke"].tags, ["smoke", "http"]);
    assert_eq!(suites["smoke"].budget, Some(Duration::from_secs(90)));
    assert_eq!(suites["fast"].doctests, None);
    let without_doctests =
        parse("[suites.fast]\ntags = [\"unit\"]\ndoctests = false\n").expect("valid");
    assert_eq!(without_doctests.suites["fast"].doctests, Some(false));
    let unbounded = parse("[suites.nightly]\ntags = [\"e2e\"]\n").expect("valid");
    assert_eq!(unbounded.suites["nightly"].budget, None);
    assert!(!unbounded.suites.contains_key("fast"));
}

#[test]
fn gates_section() {
    let gates = parse(FULL).expect("valid").gates;
    assert_eq!(gates.fail_on, Gate::ALL);
    assert_eq!(gates.p95_regression_pct, 7.5);
    let integer = parse("[gates]\nfail_on = [\"test\"]\np95_regression_pct = 10\n").expect("valid");
    assert_eq!(integer.gates.fail_on, [Gate::Test]);
    assert_eq!(integer.gates.p95_regression_pct, 10.0);
}

#[test]
fn rules_keep_file_order_and_key_positions() {
    let config = parse(FULL).expect("valid");
    let settings: Vec<_> = config
        .rule_levels()
        .iter()
        .map(|setting| (setting.id.as_str(), setting.level, setting.position()))
        .collect();
    assert_eq!(
        settings,
        [
            (
                "migrations/prefer-bigint-over-int",
                RuleLevel::Off,
                SourcePosition {
                    line: 31,
                    column: 1
                }
            ),
            (
                "frontend/import-cycle",
                RuleLevel::Error,
                SourcePosition {
                    line: 32,
                    column: 1
                }
            ),
        ]
    );
    let first = &config.rule_levels()[0];
    assert_eq!(
        &FULL[first.range.to_usize_range()],
        "\"migrations/prefer-bigint-over-int\""
    );
    assert_eq!(
        config.rule_level("frontend/import-cycle"),
        Some(RuleLevel::Error)
    );
    assert_eq!(config.rule_level("frontend/other"), None);
    assert_eq!(RuleLevel::Warning.severity(), Some(Severity::Warning));
    assert_eq!(RuleLevel::Off.severity(), None);
}

#[test]
fn rules_in_an_inline_table_and_dotted_keys_have_positions_too() {
    let config = parse("rules = { \"a/b\" = \"info\" }\n").expect("valid");
    assert_eq!(
        config.rule_levels()[0].position(),
        SourcePosition {
            line: 1,
            column: 11
        }
    );
}

#[test]
fn a_typo_in_any_section_names_the_section_and_the_nearest_key() {
    use ConfigErrorKind::UnknownKey;
    let cases = [
        (
            "[frontend]\nrootz = []\n",
            "2:1",
            "unknown key `rootz` in [frontend]",
            "roots",
        ),
        (
            "[frontend.render]\nenable = true\n",
            "2:1",
            "unknown key `enable` in [frontend.render]",
            "enabled",
        ),
        (
            "[frontend]\ntype_only_cycle = \"off\"\n",
            "2:1",
            "unknown key `type_only_cycle` in [frontend]",
            "type_only_cycles",
        ),
        (
            "[contracts]\nspecz = []\n",
            "2:1",
            "unknown key `specz` in [contracts]",
            "specs",
        ),
        (
            "[contracts]\nbase = \"main\"\nroute = []\n",
            "3:1",
            "unknown key `route` in [contracts]",
            "routes",
        ),
        (
            "[contracts]\ntest_bearer = \"TOKEN\"\n",
            "2:1",
            "unknown key `test_bearer` in [contracts]",
            "test_bearer_env",
        ),
        (
            "[migrations]\ndilect = \"postgres\"\n",
            "2:1",
            "unknown key `dilect` in [migrations]",
            "dialect",
        ),
        (
            "[migrations]\nlint-from = \"1\"\n",
            "2:1",
            "unknown key `lint-from` in [migrations]",
            "lint_from",
        ),
        (
            "[suites.fast]\ntagz = []\n",
            "2:1",
            "unknown key `tagz` in [suites.fast]",
            "tags",
        ),
        (
            "[suites.fast]\n  budgte = \"1s\"\n",
            "2:3",
            "unknown key `budgte` in [suites.fast]",
            "budget",
        ),
        (
            "[gates]\nfail_onn = []\n",
            "2:1",
            "unknown key `fail_onn` in [gates]",
            "fail_on",
        ),
        (
            "[gates]\np95_regression = 5\n",
            "2:1",
            "unknown key `p95_regression` in [gates]",
            "p95_regression_pct",
        ),
        (
            "frontend.rootz = []\n",
            "1:10",
            "unknown key `rootz` in [frontend]",
            "roots",
        ),
        (
            "[frontnd]\n",
            "1:2",
            "unknown section `[frontnd]`",
            "frontend",
        ),
        (
            "[contract]\n",
            "1:2",
            "unknown section `[contract]`",
            "contracts",
        ),
        (
            "[migration]\n",
            "1:2",
            "unknown section `[migration]`",
            "migrations",
        ),
        (
            "[suite.fast]\n",
            "1:2",
            "unknown section `[suite]`",
            "suites",
        ),
        ("[gate]\n", "1:2", "unknown section `[gate]`", "gates"),
        ("[rule]\n", "1:2", "unknown section `[rule]`", "rules"),
    ];
    for (text, position, message, suggestion) in cases {
        let expected = (
            UnknownKey,
            position.to_owned(),
            message.to_owned(),
            Some(suggestion.to_owned()),
        );
        assert_eq!(summary(&parse_err(text)), expected, "for {text:?}");
    }
}

const LOAD: &str = r#"
[load]
start = "cargo run -p shop"
base_url = "http://127.0.0.1:8080"
ready_timeout = "2m"

[load.scenarios.cart]
rate = 40
duration = "3s"
warmup = "0s"
connections = 4
p95_ms = 25
error_rate = 0.01
tags = ["load"]
flush = { method = "POST", path = "/admin/cache/flush" }

[[load.scenarios.cart.requests]]
method = "POST"
path = "/carts"
body = '{"sku": "${rand:1..9}"}'
capture = { cart_id = "/id" }

[[load.scenarios.cart.requests]]
path = "/carts/${cart_id}"
headers = { "X-Trace" = "${iteration}" }
"#;

#[test]
fn load_section_with_scenarios_and_their_requests() {
    let load = parse(LOAD).expect("valid").load;
    assert_eq!(load.start.as_deref(), Some("cargo run -p shop"));
    assert_eq!(load.base_url, "http://127.0.0.1:8080");
    assert_eq!(load.healthz, "/healthz");
    assert_eq!(load.ready_timeout, Some(Duration::from_secs(120)));
    let cart = &load.scenarios["cart"];
    assert_eq!(cart.rate, Some(40.0));
    assert_eq!(cart.duration, Some(Duration::from_secs(3)));
    assert_eq!(cart.warmup, Some(Duration::ZERO));
    assert_eq!((cart.connections, cart.p95_ms), (Some(4), Some(25.0)));
    assert_eq!(cart.error_rate, Some(0.01));
    assert_eq!(cart.tags, ["load"]);
    assert_eq!(
        cart.flush.as_ref().map(|flush| flush.method.as_str()),
        Some("POST")
    );
    assert_eq!(cart.requests.len(), 2);
    assert_eq!(cart.requests[0].capture["cart_id"], "/id");
    assert_eq!(cart.requests[1].method, "GET");
    assert_eq!(cart.requests[1].headers["X-Trace"], "${iteration}");
    assert_eq!(parse("").expect("valid").load, LoadConfig::default());
}

#[test]
fn load_typos_and_bad_values_point_at_the_text() {
    use ConfigErrorKind::UnknownKey;
    let typo = parse_err(
        "[load.scenarios.cart]
rate = 5
p95 = 20
",
    );
    assert_eq!(
        summary(&typo),
        (
            UnknownKey,
            "3:1".to_owned(),
            "unknown key `p95` in [load.scenarios.cart]".to_owned(),
            Some("p95_ms".to_owned())
        )
    );
    let request = parse_err(
        "[[load.scenarios.cart.requests]]
path = \"/\"
bdy = \"{}\"
",
    );
    assert_eq!((request.line(), request.column()), (3, 1), "{request}");
    assert_eq!(request.suggestion(), Some("body"));
    let share = parse_err(
        "[load.scenarios.cart]
error_rate = 5
",
    );
    assert_eq!((share.line(), share.column()), (2, 14), "{share}");
    assert!(share.message().contains("from 0 to 1"), "{share}");
    let rate = parse_err(
        "[load.scenarios.cart]
rate = 0
",
    );
    assert!(rate.message().contains("above 0"), "{rate}");
    let start = parse_err(
        "[load]
strt = \"x\"
",
    );
    assert_eq!(start.suggestion(), Some("start"));
}

#[test]
fn a_key_with_no_near_match_lists_the_valid_ones() {
    let error = parse_err("[migrations]\nbanana = 1\n");
    assert_eq!(error.suggestion(), None);
    assert_eq!(
        error.help(),
        Some("valid keys: `dir`, `dialect`, `lint_from`, `postgres`")
    );
    let error = parse_err("[banana]\n");
    assert_eq!(
        error.help(),
        Some(
            "valid sections: `[frontend]`, `[contracts]`, `[migrations]`, `[suites]`, `[gates]`, `[load]`, `[rules]`, `[areas]`"
        )
    );
}

#[test]
fn wrong_types_name_the_key_and_both_types() {
    use ConfigErrorKind::WrongType;
    let cases = [
        (
            "[frontend]\ntsconfig = 1\n",
            "2:12",
            "expected a string for `tsconfig` in [frontend], found an integer",
        ),
        (
            "[frontend]\nroots = \"web\"\n",
            "2:9",
            "expected an array for `roots` in [frontend], found a string",
        ),
        (
            "[frontend]\nroots = [\"web\", 1]\n",
            "2:17",
            "expected a string for items of `roots` in [frontend], found an integer",
        ),
        (
            "[frontend]\ntype_only_cycles = true\n",
            "2:20",
            "expected a string for `type_only_cycles` in [frontend], found a boolean",
        ),
        (
            "frontend = 3\n",
            "1:12",
            "expected a table for `frontend`, found an integer",
        ),
        (
            "suites = []\n",
            "1:10",
            "expected a table for `suites`, found an array",
        ),
        (
            "[suites]\nfast = \"unit\"\n",
            "2:8",
            "expected a table for `fast` in [suites], found a string",
        ),
        (
            "[suites.fast]\nbudget = 60\n",
            "2:10",
            "expected a string for `budget` in [suites.fast], found an integer",
        ),
        (
            "[gates]\np95_regression_pct = \"10\"\n",
            "2:22",
            "expected a number for `p95_regression_pct` in [gates], found a string",
        ),
        (
            "[gates]\nfail_on = \"test\"\n",
            "2:11",
            "expected an array for `fail_on` in [gates], found a string",
        ),
        (
            "[migrations]\nlint_from = 20240101000000\n",
            "2:13",
            "expected a string for `lint_from` in [migrations], found an integer",
        ),
        (
            "[rules]\n\"a/b\" = 1\n",
            "2:9",
            "expected a string for `a/b` in [rules], found an integer",
        ),
    ];
    for (text, position, message) in cases {
        let expected = (WrongType, position.to_owned(), message.to_owned(), None);
        assert_eq!(summary(&parse_err(text)), expected, "for {text:?}");
    }
}

#[test]
fn unknown_levels_and_enum_values_suggest_the_nearest_one() {
    use ConfigErrorKind::UnknownValue;
    let cases = [
        (
            "[rules]\n\"a/b\" = \"warn\"\n",
            "2:9",
            "unknown value `warn` for `a/b` in [rules]",
            Some("warning"),
        ),
        (
            "[rules]\n\"a/b\" = \"fatal\"\n",
            "2:9",
            "unknown value `fatal` for `a/b` in [rules]",
            None,
        ),
        (
            "[frontend]\ntype_only_cycles = \"warning\"\n",
            "2:20",
            "unknown value `warning` for `type_only_cycles` in [frontend]",
            Some("warn"),
        ),
        (
            "[migrations]\ndialect = \"postgresql\"\n",
            "2:11",
            "unknown value `postgresql` for `dialect` in [migrations]",
            Some("postgres"),
        ),
        (
            "[gates]\nfail_on = [\"tests\"]\n",
            "2:12",
            "unknown value `tests` for items of `fail_on` in [gates]",
            Some("test"),
        ),
    ];
    for (text, position, message, suggestion) in cases {
        let expected = (
            UnknownValue,
            position.to_owned(),
            message.to_owned(),
            suggestion.map(str::to_owned),
        );
        assert_eq!(summary(&parse_err(text)), expected, "for {text:?}");
    }
    assert_eq!(
        parse_err("[rules]\n\"a/b\" = \"fatal\"\n").help(),
        Some("expected one of `off`, `info`, `warning`, `error`")
    );
}

#[test]
fn invalid_values_explain_what_is_wrong() {
    use ConfigErrorKind::InvalidValue;
    let cases = [
        (
            "[suites.fast]\nbudget = \"60\"\n",
            "2:10",
            "invalid value for `budget` in [suites.fast]: `60` has no unit; write e.g. `60s` (units: ms, s, m, h)",
        ),
        (
            "[suites.fast]\nbudget = \"1 fortnight\"\n",
            "2:10",
            "invalid value for `budget` in [suites.fast]: unknown unit `fortnight` in `1 fortnight`; use ms, s, m or h",
        ),
        (
            "[suites.fast]\nbudget = \"\"\n",
            "2:10",
            "invalid value for `budget` in [suites.fast]: empty duration; write a number and a unit, e.g. `60s`",
        ),
        (
            "[contracts]\nspecs = [\"openapi/[.yaml\"]\n",
            "2:9",
            "invalid value for `specs` in [contracts]: `openapi/[.yaml` is not a valid glob: unclosed character class; missing ']'",
        ),
        (
            "[migrations]\npostgres = \"sixteen\"\n",
            "2:12",
            "invalid value for `postgres` in [migrations]: `sixteen` is not a PostgreSQL version; write the major version the migrations target, e.g. `\"16\"`",
        ),
        (
            "[migrations]\npostgres = \"16.x\"\n",
            "2:12",
            "invalid value for `postgres` in [migrations]: `16.x` is not a PostgreSQL version; write the major version the migrations target, e.g. `\"16\"`",
        ),
        (
            "[migrations]\npostgres = 0\n",
            "2:12",
            "invalid value for `postgres` in [migrations]: `0` is not a PostgreSQL version; write the major version the migrations target, e.g. `\"16\"`",
        ),
        (
            "[gates]\np95_regression_pct = -5\n",
            "2:22",
            "invalid value for `p95_regression_pct` in [gates]: `-5` is not a percentage; write a number of 0 or more, e.g. `10`",
        ),
        (
            "[gates]\np95_regression_pct = nan\n",
            "2:22",
            "invalid value for `p95_regression_pct` in [gates]: `NaN` is not a percentage; write a number of 0 or more, e.g. `10`",
        ),
    ];
    for (text, position, message) in cases {
        let expected = (InvalidValue, position.to_owned(), message.to_owned(), None);
        assert_eq!(summary(&parse_err(text)), expected, "for {text:?}");
    }
}

#[test]
fn syntax_errors_point_at_the_broken_text() {
    let error = parse_err("[frontend]\nroots = [\"web\"\n");
    assert_eq!(error.kind(), ConfigErrorKind::Syntax);
    assert_eq!((error.line(), error.column()), (2, 15));
    let error = parse_err("[frontend]\nroots = []\nroots = []\n");
    assert_eq!(error.kind(), ConfigErrorKind::Syntax);
    assert_eq!((error.line(), error.column()), (3, 1));
}

#[test]
fn error_ranges_cover_the_offending_text() {
    let text = "[frontend]\n# roots of the app\nrootz = [\"web\"]\n";
    let error = parse_err(text);
    assert_eq!(&text[error.range().to_usize_range()], "rootz");
    let source_range = error.source_range();
    assert_eq!(source_range.start, SourcePosition { line: 3, column: 1 });
    assert_eq!(source_range.end, SourcePosition { line: 3, column: 6 });
}

#[test]
fn columns_count_characters_not_bytes() {
    let error = parse_err("[frontend]\ntsconfig = \"é\"\nrootz = 1\n");
    assert_eq!((error.line(), error.column()), (3, 1));
    let error = parse_err("[rules]\n\"frontend/é\" = \"nope\"\n");
    assert_eq!((error.line(), error.column()), (2, 16));
}

#[test]
fn an_oversized_file_is_rejected_before_parsing() {
    let text = "#".repeat(MAX_CONFIG_BYTES + 1);
    let error = parse_err(&text);
    assert_eq!(error.kind(), ConfigErrorKind::TooLarge);
    assert_eq!((error.line(), error.column()), (1, 1));
}

#[test]
fn error_display_texts() {
    let texts = [
        "[frontend]\nroots = [\"web\"]\nrootz = []\n",
        "[frontnd]\nroots = []\n",
        "[migrations]\nbanana = 1\n",
        "[frontend]\ntsconfig = 1\n",
        "[rules]\n\"migrations/prefer-bigint-over-int\" = \"warn\"\n",
        "[migrations]\ndialect = \"mysql\"\n",
        "[suites.fast]\nbudget = \"1.5s\"\n",
        "[frontend]\nroots = [\n",
    ];
    let rendered: Vec<String> = texts
        .iter()
        .map(|text| parse_err(text).to_string())
        .collect();
    insta::assert_snapshot!(rendered.join("\n\n"));
}

/// Fragments that steer generated documents into every section, key and value type.
fn config_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[frontend]\n".to_owned()),
        Just("[contracts]\n".to_owned()),
        Just("[migrations]\n".to_owned()),
        Just("[suites.fast]\n".to_owned()),
        Just("[gates]\n".to_owned()),
        Just("[rules]\n".to_owned()),
        Just("[[suites]]\n".to_owned()),
        (
            prop::sample::select(vec![
                "roots",
                "tsconfig",
                "routes",
                "type_only_cycles",
                "specs",
                "base",
                "dir",
                "dialect",
                "lint_from",
                "postgres",
                "tags",
                "budget",
                "fail_on",
                "p95_regression_pct",
                "\"a/b\"",
                "frontend.roots",
                "x",
            ]),
            prop::sample::select(vec![
                "1",
                "-1.5",
                "nan",
                "true",
                "\"60s\"",
                "\"warn\"",
                "\"off\"",
                "[]",
                "[1]",
                "[\"p95\"]",
                "{}",
                "{ a = 1 }",
                "1979-05-27",
                "\"[\"",
                "\"é\"",
            ]),
        )
            .prop_map(|(key, value)| format!("{key} = {value}\n")),
        "\\PC{0,12}",
    ]
}

proptest! {
    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,200}") {
        if let Err(error) = parse(&text) {
            prop_assert!(error.line() >= 1 && error.column() >= 1);
            prop_assert!(error.range().end().to_usize() <= text.len());
        }
    }

    #[test]
    fn parsing_config_shaped_text_never_panics(fragments in prop::collection::vec(config_fragment(), 0..12)) {
        let text = fragments.concat();
        if let Err(error) = parse(&text) {
            prop_assert!(!error.to_string().is_empty());
            prop_assert!(error.range().end().to_usize() <= text.len());
        }
    }
}

use std::path::{Path, PathBuf};

use commerce_codemods::{AppliedFix, FixError, FixOptions, InvalidFix, RevertedFix, fix_all};
use commerce_diagnostics::{Applicability, Diagnostic, Edit, Fix, Severity, TextRange};

use crate::host::{WordHost, WordRule, sources};

fn applied_rules(fixes: &[AppliedFix]) -> Vec<&str> {
    fixes.iter().map(|fix| fix.rule.as_str()).collect()
}

#[test]
fn applies_every_fix_and_reanalyses_the_changed_file() {
    let sources = sources(&[("a.ts", "foo(); foo();"), ("b.ts", "untouched")]);
    let mut host = WordHost::new(vec![WordRule::safe("demo/foo", "foo", "bar")], &sources);
    let diagnostics = host.analyse_all();

    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    let file = &outcome.files[Path::new("a.ts")];
    assert_eq!(file.fixed, "bar(); bar();");
    assert_eq!(applied_rules(&file.applied), ["demo/foo", "demo/foo"]);
    assert!(!outcome.files.contains_key(Path::new("b.ts")));
    assert_eq!(outcome.fixes_applied, 2);
    assert_eq!(outcome.passes, 1);
    assert!(outcome.remaining.is_empty());
    assert_eq!(host.analysed, [PathBuf::from("a.ts")]);
}

#[test]
fn overlapping_fix_is_deferred_to_the_next_pass() {
    // `ab` and `bc` overlap in "abc": the first is applied, the second comes back re-analysed.
    let sources = sources(&[("a.ts", "abc")]);
    let rules = vec![
        WordRule::safe("demo/ab", "ab", "a b"),
        WordRule::safe("demo/bc", "bc", "b c"),
    ];
    let mut host = WordHost::new(rules, &sources);
    let diagnostics = host.analyse_all();

    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    let file = &outcome.files[Path::new("a.ts")];
    assert_eq!(file.fixed, "a b c");
    assert_eq!(applied_rules(&file.applied), ["demo/ab", "demo/bc"]);
    assert_eq!(outcome.passes, 2);
    assert!(outcome.remaining.is_empty());
}

#[test]
fn a_fix_that_breaks_parsing_is_reverted_and_the_others_kept() {
    let sources = sources(&[("a.ts", "foo(); baz();"), ("b.ts", "foo();")]);
    let rules = vec![
        // Longer, so the other fix comes back with new offsets and is tried again.
        WordRule::safe("demo/foo", "foo", "barbar"),
        WordRule::safe("demo/baz", "baz(", "qux(("),
    ];
    let mut host = WordHost::new(rules, &sources);
    let diagnostics = host.analyse_all();

    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    let a = &outcome.files[Path::new("a.ts")];
    assert_eq!(a.fixed, "barbar(); baz();");
    assert_eq!(applied_rules(&a.applied), ["demo/foo"]);
    assert_eq!(
        a.reverted,
        [RevertedFix {
            rule: "demo/baz".into(),
            title: "replace `baz(` with `qux((`".into(),
            unparsable: "a.ts".into(),
        }]
    );
    assert_eq!(
        a.reverted[0].to_string(),
        "demo/baz: replace `baz(` with `qux((`: reverted because a.ts no longer parses with it"
    );
    assert_eq!(outcome.files[Path::new("b.ts")].fixed, "barbar();");
    // Reported once; its diagnostic is still reported, and it is not retried forever.
    let remaining: Vec<&str> = outcome.remaining.iter().map(|d| d.rule.as_str()).collect();
    assert_eq!(remaining, ["demo/baz"]);
}

#[test]
fn fixes_that_parse_alone_but_not_together_keep_the_first() {
    let sources = sources(&[("a.ts", "x y")]);
    let rules = vec![
        WordRule::safe("demo/x", "x", "c"),
        WordRule::safe("demo/y", "y", "c"),
    ];
    let mut host = WordHost::new(rules, &sources);
    host.forbidden = vec!["c c"];
    let diagnostics = host.analyse_all();

    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    let file = &outcome.files[Path::new("a.ts")];
    assert_eq!(file.fixed, "c y");
    assert_eq!(applied_rules(&file.applied), ["demo/x"]);
    assert_eq!(file.reverted.len(), 1);
    assert_eq!(file.reverted[0].rule, "demo/y");
}

#[test]
fn fixes_that_only_parse_together_are_kept_together() {
    let sources = sources(&[("a.ts", "open; close;")]);
    let rules = vec![
        WordRule::safe("demo/open", "open", "("),
        WordRule::safe("demo/close", "close", ")"),
    ];
    let mut host = WordHost::new(rules, &sources);
    let diagnostics = host.analyse_all();

    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    assert_eq!(outcome.files[Path::new("a.ts")].fixed, "(; );");
}

#[test]
fn a_multi_file_fix_is_reverted_in_every_file_when_one_breaks() {
    let sources = sources(&[("a.ts", "use old_api;"), ("b.ts", "fn old_api() {}")]);
    let rename = WordRule::safe("demo/rename", "old_api", "new_api").also_in("b.ts");
    let mut host = WordHost::new(vec![rename], &sources);
    let diagnostics: Vec<Diagnostic> = host
        .analyse_all()
        .into_iter()
        .filter(|diagnostic| diagnostic.path == Path::new("a.ts"))
        .collect();
    host.forbidden = vec!["fn new_api"];

    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    for path in ["a.ts", "b.ts"] {
        let file = &outcome.files[Path::new(path)];
        assert!(!file.is_changed(), "{path} was changed: {:?}", file.fixed);
        assert_eq!(file.reverted.len(), 1, "{path}");
        assert_eq!(file.reverted[0].unparsable, Path::new("b.ts"));
    }
    assert_eq!(outcome.fixes_applied, 0);
    assert_eq!(outcome.diff(), "");
}

#[test]
fn a_multi_file_fix_is_applied_to_both_files() {
    let sources = sources(&[("a.ts", "use old_api;"), ("b.ts", "fn old_api() {}")]);
    let rename = WordRule::safe("demo/rename", "old_api", "new_api").also_in("b.ts");
    let mut host = WordHost::new(vec![rename], &sources);
    let diagnostics: Vec<Diagnostic> = host
        .analyse_all()
        .into_iter()
        .filter(|diagnostic| diagnostic.path == Path::new("a.ts"))
        .collect();

    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    assert_eq!(outcome.files[Path::new("a.ts")].fixed, "use new_api;");
    assert_eq!(outcome.files[Path::new("b.ts")].fixed, "fn new_api() {}");
    assert_eq!(outcome.fixes_applied, 1);
    insta::assert_snapshot!(outcome.diff());
}

#[test]
fn a_diagnostic_whose_fix_edits_a_changed_file_is_reanalysed() {
    // c.ts proposes an edit of a.ts; once a.ts changes, that fix's offsets are stale.
    let sources = sources(&[("a.ts", "xx foo"), ("c.ts", "")]);
    let mut host = WordHost::new(vec![WordRule::safe("demo/x", "xx", "")], &sources);
    let stale = Diagnostic::new(
        "demo/remote",
        Severity::Info,
        "c.ts",
        TextRange::default(),
        "m",
    )
    .with_fix(Fix::display_only(
        "edit a.ts",
        vec![Edit::replacement(
            "a.ts",
            TextRange::new(3.into(), 6.into()),
            "bar",
        )],
    ));
    let mut diagnostics = host.analyse_all();
    diagnostics.push(stale);

    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    assert_eq!(
        host.analysed,
        [PathBuf::from("a.ts"), PathBuf::from("c.ts")]
    );
    assert!(outcome.remaining.is_empty(), "{:?}", outcome.remaining);
}

#[test]
fn a_diagnostic_pointing_into_a_changed_file_is_reanalysed() {
    // c.ts's finding has a related label in a.ts; once a.ts changes, the label is stale.
    let sources = sources(&[("a.ts", "xx foo"), ("c.ts", "")]);
    let mut host = WordHost::new(vec![WordRule::safe("demo/x", "xx", "")], &sources);
    let pointing = Diagnostic::new(
        "demo/remote",
        Severity::Info,
        "c.ts",
        TextRange::default(),
        "m",
    )
    .with_related("a.ts", TextRange::new(3.into(), 6.into()), "here");
    let mut diagnostics = host.analyse_all();
    diagnostics.push(pointing);

    fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    assert_eq!(
        host.analysed,
        [PathBuf::from("a.ts"), PathBuf::from("c.ts")]
    );
}

#[test]
fn unsafe_fixes_need_the_option_and_display_only_fixes_never_apply() {
    let text = "safe risky shown";
    let rules = vec![
        WordRule::safe("demo/safe", "safe", "SAFE"),
        WordRule::safe("demo/risky", "risky", "RISKY").with_applicability(Applicability::Unsafe),
        WordRule::safe("demo/shown", "shown", "SHOWN")
            .with_applicability(Applicability::DisplayOnly),
    ];
    let fixed_with = |unsafe_fixes: bool| {
        let sources = sources(&[("a.ts", text)]);
        let mut host = WordHost::new(rules.clone(), &sources);
        let diagnostics = host.analyse_all();
        let options = FixOptions {
            unsafe_fixes,
            ..FixOptions::default()
        };
        let outcome = fix_all(sources, &diagnostics, &mut host, &options).unwrap();
        outcome.files[Path::new("a.ts")].fixed.clone()
    };

    assert_eq!(fixed_with(false), "SAFE risky shown");
    assert_eq!(fixed_with(true), "SAFE RISKY shown");
}

#[test]
fn identical_edits_from_two_rules_are_applied_once() {
    let sources = sources(&[("a.ts", "foo")]);
    let rules = vec![
        WordRule::safe("demo/one", "foo", "bar"),
        WordRule::safe("demo/two", "foo", "bar"),
    ];
    let mut host = WordHost::new(rules, &sources);
    let diagnostics = host.analyse_all();

    let outcome = fix_all(sources, &diagnostics, &mut host, &FixOptions::default()).unwrap();

    let file = &outcome.files[Path::new("a.ts")];
    assert_eq!(file.fixed, "bar");
    assert_eq!(applied_rules(&file.applied), ["demo/one", "demo/two"]);
}

#[test]
fn a_fix_that_keeps_retriggering_fails_after_the_pass_cap() {
    let sources = sources(&[("a.ts", "a")]);
    let mut host = WordHost::new(vec![WordRule::safe("demo/grow", "a", "aa")], &sources);
    let diagnostics = host.analyse_all();
    let options = FixOptions {
        max_passes: 3,
        ..FixOptions::default()
    };

    let error = fix_all(sources, &diagnostics, &mut host, &options).unwrap_err();

    assert!(
        matches!(&error, FixError::TooManyPasses { passes: 3, paths, rules }
            if paths == &[PathBuf::from("a.ts")] && rules == &["demo/grow".to_owned()]),
        "{error:?}"
    );
    insta::assert_snapshot!(error.to_string());
}

#[test]
fn invalid_fixes_are_rejected_once_and_reported() {
    let sources = sources(&[("a.ts", "abc")]);
    let mut host = WordHost::new(Vec::new(), &sources);
    let past_end = Diagnostic::new(
        "demo/bad",
        Severity::Warning,
        "a.ts",
        TextRange::default(),
        "m",
    )
    .with_fix(Fix::safe(
        "past the end",
        vec![Edit::replacement(
            "a.ts",
            TextRange::new(2.into(), 9.into()),
            "x",
        )],
    ));

    let outcome = fix_all(sources, &[past_end], &mut host, &FixOptions::default()).unwrap();

    assert_eq!(outcome.rejected.len(), 1);
    assert!(matches!(outcome.rejected[0].reason, InvalidFix::Edit(_)));
    assert_eq!(
        outcome.rejected[0].to_string(),
        "demo/bad: past the end (proposed in a.ts) cannot be applied: edit 2..9 of a.ts ends past \
         the end of the text (3 bytes); the fix was computed for another version of the file: \
         re-run the analysis"
    );
    assert_eq!(outcome.passes, 0);
    assert_eq!(outcome.remaining.len(), 1);
}

#[test]
fn a_fix_may_create_a_file_but_not_edit_one_that_was_not_analysed() {
    let sources = sources(&[("1_a.up.sql", "CREATE TABLE a (id int);")]);
    let mut host = WordHost::new(Vec::new(), &sources);
    let diagnostic = |rule: &str, edit: Edit| {
        Diagnostic::new(
            rule,
            Severity::Warning,
            "1_a.up.sql",
            TextRange::default(),
            "m",
        )
        .with_fix(Fix::safe("t", vec![edit]))
    };
    let creates = diagnostic(
        "demo/missing-down",
        Edit::new_file("1_a.down.sql", "DROP TABLE a;\n"),
    );
    let edits_unknown = diagnostic(
        "demo/elsewhere",
        Edit::replacement("other.sql", TextRange::new(1.into(), 2.into()), "x"),
    );

    let outcome = fix_all(
        sources,
        &[creates, edits_unknown],
        &mut host,
        &FixOptions::default(),
    )
    .unwrap();

    let created = &outcome.files[Path::new("1_a.down.sql")];
    assert!(created.created && created.is_changed());
    assert_eq!(
        (created.original.as_str(), created.fixed.as_str()),
        ("", "DROP TABLE a;\n")
    );
    assert!(!outcome.files.contains_key(Path::new("1_a.up.sql")));
    assert_eq!(outcome.fixes_applied, 1);
    assert_eq!(outcome.rejected.len(), 1);
    assert!(matches!(
        &outcome.rejected[0].reason,
        InvalidFix::UnknownFile { path } if path == Path::new("other.sql")
    ));
    assert!(
        outcome.diff().contains("+DROP TABLE a;"),
        "{}",
        outcome.diff()
    );
}

#[test]
fn nothing_to_fix_is_an_empty_outcome() {
    let sources = sources(&[("a.ts", "clean")]);
    let mut host = WordHost::new(vec![WordRule::safe("demo/foo", "foo", "bar")], &sources);

    let outcome = fix_all(sources, &[], &mut host, &FixOptions::default()).unwrap();

    assert!(outcome.files.is_empty());
    assert_eq!(outcome.diff(), "");
    assert_eq!(outcome.passes, 0);
}

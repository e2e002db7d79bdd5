//! Conformance with oasdiff: every case of the corpus's `cases.tsv` (expectations extracted from
//! oasdiff's own checker tests) run through our diff.
//!
//! A case passes when, among our findings at or above its minimum level (and, for a case that
//! enabled one oasdiff checker, among the ids that checker reports): `exact` finds exactly the
//! expected ids, `contains` finds at least them, `count=N` finds N findings including them, and
//! `none` finds nothing; `must_not_ids` are never found. Cases we knowingly fail are listed in
//! `conformance_known_gaps.tsv` with a reason; the test fails when the pass rate drops under
//! 95%, when a case outside that list fails, or when a listed case passes (so the list stays
//! true).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use commerce_contracts::diff::{self, Level};
use commerce_contracts::load::{self, DEFAULT_MAX_SPEC_BYTES, Loaded};
use commerce_contracts::rules::oasdiff;
use commerce_contracts::{SourceReader, SpecSource};
use commerce_project::OsFs;

const REQUIRED_PASS_RATE: f64 = 0.95;

fn corpus() -> PathBuf {
    commerce_project::testing::corpus("openapi/oasdiff")
}

/// One row of `cases.tsv`.
#[derive(Debug)]
struct Case {
    line: usize,
    base: String,
    revision: String,
    expected: Vec<String>,
    scope: String,
    min_level: Level,
    mode: String,
    must_not: Vec<String>,
    source_test: String,
    /// `exact-set`: the Go test compared the set of ids, not each finding.
    set_only: bool,
}

fn list(field: &str) -> Vec<String> {
    field
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One of the corpus's tables, which were extracted from oasdiff's Go tests and registry and
/// are in no public repository: a corpus fetched by `scripts/fetch-corpus.sh` lacks them.
fn table(dir: &Path, name: &str) -> String {
    let path = dir.join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "{}: {error}. This table is only in the shared corpus (../shared/corpus or \
             COMMERCE_CORPUS pointing at it); scripts/fetch-corpus.sh cannot fetch it, and the \
             GitHub workflow leaves this test binary out for that reason",
            path.display()
        )
    })
}

fn cases(dir: &Path) -> Vec<Case> {
    let text = table(dir, "cases.tsv");
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            !line.starts_with('#') && !line.starts_with("base\t") && !line.trim().is_empty()
        })
        .map(|(index, line)| {
            let fields: Vec<&str> = line.split('\t').collect();
            let field = |i: usize| fields.get(i).copied().unwrap_or("");
            Case {
                line: index + 1,
                base: field(0).to_owned(),
                revision: field(1).to_owned(),
                expected: list(field(2)),
                scope: field(4).to_owned(),
                min_level: Level::parse(field(5))
                    .unwrap_or_else(|| panic!("line {}: bad level `{}`", index + 1, field(5))),
                mode: field(6).to_owned(),
                must_not: list(field(7)),
                source_test: field(8).to_owned(),
                set_only: field(9) == "exact-set",
            }
        })
        .collect()
}

/// oasdiff's registry: each id's level and the checker that reports it.
fn registry(dir: &Path) -> BTreeMap<String, (Level, String)> {
    let text = table(dir, "rules.tsv");
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let level = Level::parse(fields.get(1)?)?;
            Some((
                fields[0].to_owned(),
                (level, fields.get(6).copied().unwrap_or("").to_owned()),
            ))
        })
        .collect()
}

fn load_spec(dir: &Path, path: &str) -> Loaded {
    let reader = SourceReader {
        fs: &OsFs,
        root: dir,
        max_bytes: DEFAULT_MAX_SPEC_BYTES,
    };
    load::load(&reader, &SpecSource::Path(PathBuf::from(path)))
        .unwrap_or_else(|error| panic!("{path} does not load: {error}"))
}

/// The ids our diff reports for a case, as the case's filters see them.
fn reported(case: &Case, dir: &Path, registry: &BTreeMap<String, (Level, String)>) -> Vec<String> {
    let base = load_spec(dir, &case.base);
    let revision = load_spec(dir, &case.revision);
    let mut ids: Vec<String> = diff::diff(&base.spec, &revision.spec)
        .into_iter()
        .filter(|finding| finding.level >= case.min_level)
        .map(|finding| finding.id.to_owned())
        .filter(|id| {
            // oasdiff's registry names one checker per id, but several checkers report some ids
            // (a sunset that does not parse, say): an id the case names is always in scope.
            case.scope == "all"
                || case.expected.contains(id)
                || case.must_not.contains(id)
                || registry
                    .get(id)
                    .is_some_and(|(_, handler)| *handler == case.scope)
        })
        .collect();
    ids.sort();
    ids
}

/// Why a case fails, or `None` when it passes.
fn verdict(case: &Case, ids: &[String]) -> Option<String> {
    let found: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let missing: Vec<&str> = case
        .expected
        .iter()
        .map(String::as_str)
        .filter(|id| !found.contains(id))
        .collect();
    let forbidden: Vec<&str> = case
        .must_not
        .iter()
        .map(String::as_str)
        .filter(|id| found.contains(id))
        .collect();
    let mut expected = case.expected.clone();
    expected.sort();
    let mut ids = ids.to_vec();
    if case.set_only {
        ids.dedup();
    }
    let ids = ids.as_slice();
    let problem = if !forbidden.is_empty() {
        Some(format!("reported must-not ids {forbidden:?}"))
    } else {
        match case.mode.as_str() {
            "exact" if ids != expected.as_slice() => Some(format!("expected exactly {expected:?}")),
            "none" if !ids.is_empty() => Some("expected nothing".to_owned()),
            mode if mode.starts_with("count=") => {
                let count: usize = mode["count=".len()..].parse().unwrap_or(usize::MAX);
                (ids.len() != count || !missing.is_empty())
                    .then(|| format!("expected {count} findings including {expected:?}"))
            }
            _ if !missing.is_empty() => Some(format!("missing {missing:?}")),
            _ => None,
        }
    };
    problem.map(|problem| format!("{problem}, got {ids:?}"))
}

fn known_gaps() -> BTreeMap<usize, String> {
    let text = include_str!("conformance_known_gaps.tsv");
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (line_number, reason) = line.split_once('\t').expect("`line<TAB>reason`");
            let line_number = line_number.trim().parse().expect("a cases.tsv line number");
            assert!(
                !reason.trim().is_empty(),
                "known gap {line_number} needs a reason"
            );
            (line_number, reason.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_oasdiff_case_passes_or_is_a_known_gap() {
    let dir = corpus();
    let registry = registry(&dir);
    let cases = cases(&dir);
    assert!(
        cases.len() > 200,
        "cases.tsv has only {} cases",
        cases.len()
    );
    let gaps = known_gaps();
    let mut passed = 0;
    let mut unexpected = Vec::new();
    let mut stale_gaps = Vec::new();
    for case in &cases {
        let ids = reported(case, &dir, &registry);
        match (verdict(case, &ids), gaps.get(&case.line)) {
            (None, None) => passed += 1,
            (None, Some(_)) => {
                passed += 1;
                stale_gaps.push(case.line);
            }
            (Some(problem), None) => unexpected.push(format!(
                "line {} ({} -> {}, {} {}, {}): {problem}",
                case.line, case.base, case.revision, case.scope, case.mode, case.source_test
            )),
            (Some(_), Some(_)) => {}
        }
    }
    let rate = f64::from(passed) / cases.len() as f64;
    assert!(
        unexpected.is_empty() && stale_gaps.is_empty() && rate >= REQUIRED_PASS_RATE,
        "{passed}/{} cases pass ({:.1}%, required {:.0}%)\nfailing, not known gaps:\n{}\nknown gaps that now pass (remove them): {stale_gaps:?}",
        cases.len(),
        rate * 100.0,
        REQUIRED_PASS_RATE * 100.0,
        unexpected.join("\n"),
    );
}

#[test]
fn our_catalog_has_oasdiff_levels() {
    let registry = registry(&corpus());
    for check in oasdiff::CHECKS {
        let (level, _) = registry
            .get(check.id)
            .unwrap_or_else(|| panic!("`{}` is not an oasdiff id", check.id));
        assert_eq!(*level, check.level, "{}", check.id);
    }
    assert_eq!(registry.len(), oasdiff::CHECKS.len());
}

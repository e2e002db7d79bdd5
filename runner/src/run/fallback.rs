//! Sharding and the `cargo test` fallback: a shard's slice balanced by earlier durations, and
//! the tests of each binary listed and run by libtest when nextest is absent.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Context, Outcome};
use crate::changed::{Scope, Selection};
use crate::error::RunnerError;
use crate::libtest::{self, Slice, TestBinary};
use crate::nextest::ListedTest;
use crate::report::{Report, RunnerKind, Status, TestResult};
use crate::shard::Shard;

impl Context<'_> {
    pub(super) fn run_cargo_test(
        &self,
        selection: Option<&Selection>,
    ) -> Result<Outcome, RunnerError> {
        let Some(targets) = &self.suite.cargo_test_targets else {
            return Err(RunnerError::NeedsNextest {
                what: format!(
                    "suite `{}` (its tags are filtersets or name prefixes)",
                    self.suite.name
                ),
            });
        };
        if self.request.filterset.is_some() {
            return Err(RunnerError::NeedsNextest {
                what: "a filterset (-E)".to_owned(),
            });
        }
        let dir = self.report_dir.join("cargo-test");
        let binaries = libtest::build(
            self.cargo,
            self.workspace,
            targets,
            &dir,
            self.request.echo,
            self.cancel,
        )?;
        let binaries: Vec<_> = binaries
            .into_iter()
            .filter(|binary| selection.is_none_or(|selection| selects(selection, binary)))
            .collect();
        let plan = match self.request.shard {
            None => binaries.iter().map(|binary| (binary, Slice::All)).collect(),
            Some(shard) => match self.fallback_shard(&binaries, shard, &dir) {
                Err(_) if self.cancel.is_cancelled() => {
                    return Ok(Outcome {
                        runner: Some(RunnerKind::CargoTest),
                        interrupted: true,
                        ..Outcome::default()
                    });
                }
                other => other?,
            },
        };
        let run = libtest::run(
            &plan,
            &self.env(),
            &dir,
            (self.request.retries, self.request.test_timeout),
            self.cancel,
        )?;
        Ok(Outcome {
            runner: Some(RunnerKind::CargoTest),
            listed: run.listed,
            cases: run.cases,
            interrupted: run.interrupted,
        })
    }

    /// This shard's tests of each binary, from libtest's listing: nextest's `count:K/N`
    /// partition, or balanced by the durations of `--shard-timings`.
    pub(super) fn fallback_shard<'b>(
        &self,
        binaries: &'b [TestBinary],
        shard: Shard,
        dir: &Path,
    ) -> Result<Vec<(&'b TestBinary, Slice)>, RunnerError> {
        let listings = binaries
            .iter()
            .map(|binary| libtest::list(binary, dir, self.cancel))
            .collect::<Result<Vec<_>, _>>()?;
        let mine: Vec<Vec<String>> = match self.timings {
            None => listings
                .iter()
                .map(|listing| crate::shard::count_slice(&listing.runnable, shard))
                .collect(),
            Some(timings) => {
                let ids: Vec<String> = binaries
                    .iter()
                    .zip(&listings)
                    .flat_map(|(binary, listing)| {
                        listing
                            .runnable
                            .iter()
                            .map(|name| TestResult::id_of(&binary.binary_id, name))
                    })
                    .collect();
                let mut share = balanced_share(&ids, shard, timings).into_iter();
                listings
                    .iter()
                    .map(|listing| {
                        listing
                            .runnable
                            .iter()
                            .filter(|_| share.next().unwrap_or(false))
                            .cloned()
                            .collect()
                    })
                    .collect()
            }
        };
        Ok(binaries
            .iter()
            .zip(listings)
            .zip(mine)
            .map(|((binary, listing), names)| {
                (
                    binary,
                    Slice::Only {
                        names,
                        ignored: listing.ignored,
                    },
                )
            })
            .collect())
    }
}

/// This shard's tests when shards are balanced by `timings`, with the filterset that runs
/// exactly them (`None` when the slice is empty: nothing runs).
pub(super) fn balanced_slice(
    tests: Vec<ListedTest>,
    shard: Shard,
    timings: &Report,
) -> (Vec<ListedTest>, Option<String>) {
    let ids: Vec<String> = tests
        .iter()
        .map(|test| TestResult::id_of(&test.binary_id, &test.name))
        .collect();
    let mine: Vec<ListedTest> = tests
        .into_iter()
        .zip(balanced_share(&ids, shard, timings))
        .filter(|(_, mine)| *mine)
        .map(|(test, _)| test)
        .collect();
    let mut by_binary: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for test in mine.iter().filter(|test| !test.ignored) {
        by_binary
            .entry(&test.binary_id)
            .or_default()
            .push(format!("test(={})", test.name));
    }
    let filterset = (!by_binary.is_empty()).then(|| {
        by_binary
            .iter()
            .map(|(binary, tests)| format!("(binary_id(={binary}) & ({}))", tests.join(" | ")))
            .collect::<Vec<_>>()
            .join(" | ")
    });
    (mine, filterset)
}

/// Which of the tests `ids` are this shard's when shards are balanced by the durations of
/// `timings`.
pub(super) fn balanced_share(ids: &[String], shard: Shard, timings: &Report) -> Vec<bool> {
    let durations: BTreeMap<&str, f64> = timings
        .tests
        .iter()
        .filter(|test| !matches!(test.status, Status::Skipped | Status::NotRun))
        .map(|test| (test.id.as_str(), test.duration_ms))
        .collect();
    let keyed: Vec<(&str, Option<f64>)> = ids
        .iter()
        .map(|id| (id.as_str(), durations.get(id.as_str()).copied()))
        .collect();
    crate::shard::balance(&keyed, shard.total)
        .into_iter()
        .map(|assigned| assigned + 1 == shard.index)
        .collect()
}

/// Whether the fallback runs `binary` for a `--changed` selection.
pub(super) fn selects(selection: &Selection, binary: &libtest::TestBinary) -> bool {
    match &selection.scope {
        Scope::Everything { .. } => true,
        Scope::Nothing => false,
        Scope::Tests { packages, targets } => {
            packages.contains_key(&binary.package)
                || targets.iter().any(|target| {
                    target.package == binary.package
                        && target.kind == binary.kind
                        && target.target == binary.target
                })
        }
    }
}

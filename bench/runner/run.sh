#!/usr/bin/env bash
# The runner's overhead over plain `cargo nextest run` on the same selection (median of runs),
# and the selection size and time of `--changed` for each scripted change of the synthetic
# 20-crate workspace. Work goes to bench/.scratch (not committed).
#   bash bench/runner/run.sh [RUNS]      # default 7 runs per measurement
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-7}"
scratch="$PWD/bench/.scratch/runner"
rm -rf "$scratch" && mkdir -p "$scratch"

cargo build --quiet -p cargo-commerce
commerce="${CARGO_TARGET_DIR:-$PWD/target}/debug/cargo-commerce"
export CARGO_TARGET_DIR="$scratch/target"
# The fixture checks that the seed reaches every test; plain nextest gets the same one.
export COMMERCE_SEED=1

# Milliseconds of wall-clock time of one command, its output discarded.
millis() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# 1. Overhead on the tiny fixture: the fast suite's selection (six unit tests and the doctest
# nextest cannot run), built once beforehand. Plain nextest alone skips the doctest, so the
# runner is compared with it twice: with doctests turned off in commerce.toml, and with them
# against `cargo nextest run` followed by `cargo test --doc`.
tiny="$scratch/tiny"
mkdir -p "$tiny" && cp -r fixtures/runner/tiny/{Cargo.toml,Cargo.lock,src,tests} "$tiny/"
no_doctests="$scratch/tiny-no-doctests"
mkdir -p "$no_doctests" && cp -r "$tiny"/. "$no_doctests/"
printf '[suites.fast]\ntags = ["unit"]\ndoctests = false\n' >"$no_doctests/commerce.toml"
selection='kind(lib) | kind(bin) | kind(proc-macro)'
(cd "$tiny" && cargo nextest run --workspace -E "$selection" >/dev/null 2>&1 && cargo test --doc >/dev/null 2>&1)
(cd "$no_doctests" && cargo nextest run --workspace -E "$selection" >/dev/null 2>&1)
plain=(); plain_doc=(); ours=(); ours_no_doc=()
for _ in $(seq "$runs"); do
  plain+=("$(cd "$no_doctests" && millis cargo nextest run --workspace -E "$selection")")
  ours_no_doc+=("$(millis "$commerce" test --project "$no_doctests" --quiet --seed 1 --report-dir "$scratch/report")")
  plain_doc+=("$(cd "$tiny" && millis sh -c "cargo nextest run --workspace -E '$selection' && cargo test --doc")")
  ours+=("$(millis "$commerce" test --project "$tiny" --quiet --seed 1 --report-dir "$scratch/report")")
done
median_of() { printf '%s\n' "$@" | median; }
plain_median=$(median_of "${plain[@]}")
ours_no_doc_median=$(median_of "${ours_no_doc[@]}")
plain_doc_median=$(median_of "${plain_doc[@]}")
ours_median=$(median_of "${ours[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "  ratio                                   %.2fx, overhead %d ms\n", a / b, a - b }'; }
echo "tiny fixture, fast suite, median of $runs runs:"
echo "  6 unit tests (doctests = false):"
echo "    cargo nextest run                     ${plain_median} ms"
echo "    cargo commerce test                   ${ours_no_doc_median} ms   (list + run + report files)"
ratio "$ours_no_doc_median" "$plain_median"
echo "  6 unit tests and 1 doctest (the default):"
echo "    cargo nextest run && cargo test --doc ${plain_doc_median} ms"
echo "    cargo commerce test                   ${ours_median} ms"
ratio "$ours_median" "$plain_doc_median"

# 2. --changed on the synthetic workspace: selection size and time per scripted change.
synthetic="$scratch/synthetic"
mkdir -p "$synthetic"
python3 bench/runner/synthetic.py generate "$synthetic"
(cd "$synthetic" && cargo nextest run --workspace >/dev/null 2>&1)
total=$(cd "$synthetic" && cargo nextest list --workspace --message-format json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["test-count"])')
echo
echo "synthetic 20-crate workspace ($total tests), --changed --base HEAD --suite all:"
printf '  %-72s %6s %8s %8s\n' scenario tests packages ms
count=$(python3 bench/runner/synthetic.py count)
for index in $(seq 0 $((count - 1))); do
  name=$(python3 bench/runner/synthetic.py apply "$synthetic" "$index")
  ms=$(millis "$commerce" test --project "$synthetic" --quiet --changed --base HEAD --suite all --seed 1 --report-dir "$scratch/changed")
  read -r tests packages < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["summary"]["total"], len({t["package"] for t in r["tests"]}))' "$scratch/changed/report.json")
  printf '  %-72s %6s %8s %8s\n' "$name" "$tests" "$packages" "$ms"
  python3 bench/runner/synthetic.py reset "$synthetic"
done

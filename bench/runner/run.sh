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
commerce="$PWD/target/debug/cargo-commerce"
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

# 1. Overhead on the tiny fixture: the fast suite's selection, built once beforehand.
tiny="$scratch/tiny"
mkdir -p "$tiny" && cp -r fixtures/runner/tiny/{Cargo.toml,Cargo.lock,src,tests} "$tiny/"
selection='kind(lib) | kind(bin) | kind(proc-macro)'
(cd "$tiny" && cargo nextest run --workspace -E "$selection" >/dev/null 2>&1)
plain=(); ours=()
for _ in $(seq "$runs"); do
  plain+=("$(cd "$tiny" && millis cargo nextest run --workspace -E "$selection")")
  ours+=("$(millis "$commerce" test --project "$tiny" --quiet --seed 1 --report-dir "$scratch/report")")
done
plain_median=$(printf '%s\n' "${plain[@]}" | median)
ours_median=$(printf '%s\n' "${ours[@]}" | median)
echo "tiny fixture, fast suite (6 tests), median of $runs runs:"
echo "  cargo nextest run      ${plain_median} ms"
echo "  cargo commerce test    ${ours_median} ms   (list + run + report files)"
awk -v a="$ours_median" -v b="$plain_median" 'BEGIN { printf "  ratio                  %.2fx, overhead %d ms\n", a / b, a - b }'

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

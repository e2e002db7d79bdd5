#!/usr/bin/env bash
# `cargo commerce contracts diff` beside Optic on the real spec pairs of the shared corpus:
# wall time, peak memory (/usr/bin/time -v) and the findings of both; then a 50 MB spec and
# the bad-input fixtures. Optic (npm @useoptic/optic, which starts only with ajv pinned to
# 8.17.1 through npm overrides) is installed into bench/.scratch/contracts (not committed).
#   bash bench/contracts/run.sh [RUNS]      # default 5 runs of ours per pair (Optic runs once)
#   COMMERCE_BIN=path/to/cargo-commerce bash bench/contracts/run.sh   # bench that binary
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-5}"
corpus="$PWD/../shared/corpus/openapi/real"
[ -f "$corpus/pairs.tsv" ] || { echo "missing corpus: $corpus (check out shared/ beside main/)" >&2; exit 2; }
scratch="$PWD/bench/.scratch/contracts"
mkdir -p "$scratch/optic"

# COMMERCE_BIN points at an already built release binary (to bench a given build).
if [ -z "${COMMERCE_BIN:-}" ]; then
  cargo build --quiet --release -p cargo-commerce
fi
ours="${COMMERCE_BIN:-$PWD/target/release/cargo-commerce}"

if [ ! -x "$scratch/optic/node_modules/.bin/optic" ]; then
  cat > "$scratch/optic/package.json" <<'JSON'
{
  "name": "optic-bench",
  "private": true,
  "dependencies": { "@useoptic/optic": "1.0.9" },
  "overrides": { "ajv": "8.17.1" }
}
JSON
  (cd "$scratch/optic" && npm install --no-audit --no-fund --silent)
fi
optic="$scratch/optic/node_modules/.bin/optic"
export OPTIC_TELEMETRY_LEVEL=none NO_UPDATE_NOTIFIER=1 CI=true

# "<seconds> <peak KiB>" of one command (its output to $1), from /usr/bin/time -v.
measure() {
  local out="$1"; shift
  /usr/bin/time -v "$@" >"$out" 2>"$out.time" || true
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = t[n] + (n > 1 ? t[n-1] * 60 : 0) + (n > 2 ? t[n-2] * 3600 : 0) }
              /Maximum resident set size/ { kb = $2 } END { printf "%.2f %d\n", s, kb }' "$out.time"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

pair() {
  local id="$1" base="$corpus/$2" head="$corpus/$3"
  local times=() peak=0
  for _ in $(seq "$runs"); do
    read -r seconds kb < <(measure "$scratch/$id.ours.json" "$ours" contracts diff "$base" "$head" --format json --fail-on INFO)
    times+=("$seconds"); [ "$kb" -gt "$peak" ] && peak=$kb
  done
  local ours_s; ours_s=$(printf '%s\n' "${times[@]}" | median)
  read -r optic_s optic_kb < <(measure "$scratch/$id.optic.txt" timeout 900 "$optic" diff "$base" "$head" --check --validation loose)
  echo "== $id: $(basename "$base") -> $(basename "$head")"
  printf '  %-34s %9s %10s\n' tool "wall s" "peak MB"
  printf '  %-34s %9s %10d\n' "cargo commerce (median of $runs)" "$ours_s" $((peak / 1024))
  printf '  %-34s %9s %10d\n' "optic 1.0.9" "$optic_s" $((optic_kb / 1024))
  awk -v a="$optic_s" -v b="$ours_s" -v m="$optic_kb" -v p="$peak" 'BEGIN { if (b > 0 && p > 0) printf "  optic / ours: %.0fx time, %.0fx memory\n", a / b, m / p }'
  python3 - "$id" "$scratch/$id.ours.json" "$scratch/$id.optic.txt" <<'PY'
import collections, json, re, sys
pair, ours, optic = sys.argv[1], sys.argv[2], sys.argv[3]
report = json.load(open(ours))
by_level = collections.Counter(d["data"]["level"] for d in report["diagnostics"])
by_rule = collections.Counter((d["rule"], d["data"]["level"]) for d in report["diagnostics"])
print(f"  ours: {len(report['diagnostics'])} findings: " + ", ".join(f"{n} {l}" for l, n in sorted(by_level.items())))
for (rule, level), n in sorted(by_rule.items(), key=lambda item: (-item[1], item[0])):
    print(f"    {n:5d}  {level:8s} {rule}")
text = open(optic, errors="replace").read()
breaking = [line.strip() for line in text.splitlines() if line.strip().startswith("x [")]
checks = re.search(r"Checks: (\d+)/(\d+) passed", text)
print(f"  optic: {len(breaking)} breaking" + (f" (checks {checks.group(1)}/{checks.group(2)} passed)" if checks else " (no report: optic failed, see the .optic.txt.time file)"))
for line, n in collections.Counter(breaking).most_common(8):
    print(f"    {n:5d}  {line[:110]}")
gate = {d["rule"] for d in report["diagnostics"] if d["data"]["level"] in ("error", "warning")}
if pair == "stripe-A":
    removed = [d for d in report["diagnostics"] if d["rule"] == "contracts/response-optional-property-removed"]
    ok = removed and all(d["data"]["level"] == "warning" and "eu_bank_transfer" in d["message"] for d in removed)
    print(f"  check: the stripe-A removal is response-optional-property-removed (WARN): {'yes' if ok else 'NO'}")
if pair == "twilio-msg":
    expected = {"contracts/request-property-became-enum", "contracts/response-body-wrapped-in-one-of", "contracts/response-property-one-of-added"}
    extra = sorted(gate - expected)
    print(f"  check: no breaking finding from the inline-enum -> $ref refactor: {'yes' if not extra else 'NO: ' + ', '.join(extra)}")
PY
  echo
}

while IFS=$'\t' read -r id base head _; do
  case "$id" in \#*|"") continue ;; esac
  pair "$id" "$base" "$head"
done < "$corpus/pairs.tsv"

# Contract tests on the drifted demo shop (six planted drifts, the second one 13 invalid requests), beside schemathesis (PyPI).
demo="$PWD/fixtures/rules/contracts/contract-test"
[ -x "$scratch/st-venv/bin/schemathesis" ] || { python3 -m venv "$scratch/st-venv" && "$scratch/st-venv/bin/pip" install --quiet schemathesis; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 "$demo/drifted_service.py" "$port" & shop=$!
trap 'kill $shop 2>/dev/null || true' EXIT
sleep 1
read -r ours_s ours_kb < <(measure "$scratch/demo.ours.json" "$ours" contracts test --spec "$demo/openapi.yaml" --base-url "http://127.0.0.1:$port" --format json)
read -r st_s st_kb < <(measure "$scratch/demo.st.txt" timeout 600 "$scratch/st-venv/bin/schemathesis" run "$demo/openapi.yaml" --url "http://127.0.0.1:$port" --checks all --max-examples 20)
kill $shop 2>/dev/null || true
echo "== contract tests: the drifted demo shop ($demo)"
printf '  %-34s %9s %10s\n' tool "wall s" "peak MB"
printf '  %-34s %9s %10d\n' "cargo commerce contracts test" "$ours_s" $((ours_kb / 1024))
printf '  %-34s %9s %10d\n' "schemathesis $("$scratch/st-venv/bin/schemathesis" --version | awk '{print $NF}')" "$st_s" $((st_kb / 1024))
python3 - "$scratch/demo.ours.json" "$scratch/demo.st.txt" <<'PY'
import json, re, sys
report = json.load(open(sys.argv[1]))
print(f"  ours: {len(report['diagnostics'])} findings")
for d in report["diagnostics"]:
    print(f"    {d['data']['kind']:34s} {d['data']['method']} {d['data']['path']}")
text = open(sys.argv[2], errors="replace").read()
print("  schemathesis:")
for line in re.findall(r"❌ (ST\d+ [^\n]+)", text):
    print(f"    {line}")
PY
echo

# A 50 MB spec: loads, diffs against itself with one change, within the size limit.
big="$scratch/big"
mkdir -p "$big"
python3 - "$big" <<'PY'
import json, sys
paths = {}
for index in range(15500):
    schema = {"type": "object", "required": ["id"], "properties": {f"field_{n}": {"type": "string", "maxLength": 64, "description": "x" * 40} for n in range(30)}}
    schema["properties"]["id"] = {"type": "string"}
    paths[f"/resources_{index}/{{id}}"] = {"get": {"parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}], "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}}}}}
spec = {"openapi": "3.0.3", "info": {"title": "big", "version": "1"}, "paths": paths}
json.dump(spec, open(f"{sys.argv[1]}/base.json", "w"))
del spec["paths"]["/resources_0/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["field_0"]
json.dump(spec, open(f"{sys.argv[1]}/head.json", "w"))
PY
read -r seconds kb < <(measure "$big/out.json" "$ours" contracts diff "$big/base.json" "$big/head.json" --format json --fail-on INFO)
findings=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["diagnostics"]))' "$big/out.json")
echo "== 50 MB spec ($(( $(stat -c %s "$big/base.json") / 1048576 )) MiB each side): ${seconds} s, $((kb / 1024)) MB peak, ${findings} finding(s)"

# Bad input: a clean message and exit code 2 (refused) or a diagnostic (lenient), never 101.
echo
echo "== bad input (exit code, first line)"
fixtures="$PWD/fixtures/rules/contracts/invalid-spec"
for name in invalid.yaml swagger2.yaml openapi-4.yaml dangling-ref.yaml ref-cycle.yaml petstore.yaml missing.yaml; do
  set +e
  out=$("$ours" contracts diff "$fixtures/$name" "$fixtures/$name" --format human --color never 2>&1)
  code=$?
  set -e
  printf '  %-18s exit %s  %s\n' "$name" "$code" "$(printf '%s\n' "$out" | grep -m1 -E 'error|warning|info|no problems' | cut -c1-110)"
done

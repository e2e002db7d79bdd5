#!/usr/bin/env bash
# Requests per second of the Stripe stub over loopback (`cargo commerce stub stripe`, release
# build) beside localstripe (PyPI, in a venv under target/) on the same flow: create a
# PaymentIntent with pm_card_visa, then confirm it (bench/stubs/flow.lua, driven by wrk); a
# round with non-2xx answers fails the run.
# Prints each round's figure, the medians and the ratio.
#
#   bash bench/stubs/run.sh [ROUNDS] [SECONDS]     (defaults: 5 rounds of 5 s each)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
rounds="${1:-5}"
seconds="${2:-5}"
localstripe_version="1.15.10"

command -v wrk >/dev/null || { echo "error: wrk not found; install it (apt-get install wrk)" >&2; exit 2; }
stub_bin="target/release/cargo-commerce"
[ -x "$stub_bin" ] || cargo build --release -p cargo-commerce
venv="target/commerce/bench-venv"
if ! "$venv/bin/localstripe" --help >/dev/null 2>&1; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "localstripe==$localstripe_version"
fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

out="$(mktemp -d)"
"$stub_bin" stub stripe --listen 127.0.0.1:0 --seed 1 >"$out/stub.log" 2>&1 &
pids+=("$!")
ls_port=8420
"$venv/bin/localstripe" --port "$ls_port" >"$out/localstripe.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do
  grep -q '^listening on ' "$out/stub.log" && curl -s -o /dev/null "http://127.0.0.1:$ls_port/v1/balance" -u sk_test_x: && break
  sleep 0.1
done
stub_url="$(sed -n 's/^listening on //p' "$out/stub.log")"
[ -n "$stub_url" ] || { echo "error: the stub did not start: $(cat "$out/stub.log")" >&2; exit 2; }

# One round: wrk's Requests/sec for a target (2 threads, 16 connections).
round() {
  local report
  report="$(wrk -t2 -c16 -d"${seconds}s" -s bench/stubs/flow.lua -H "Authorization: Bearer sk_test_bench" \
    -H "Content-Type: application/x-www-form-urlencoded" "$1")"
  if grep -q 'Non-2xx' <<<"$report"; then
    echo "error: $1 answered errors during the flow:" >&2
    echo "$report" >&2
    exit 1
  fi
  awk '/Requests\/sec/ { print $2 }' <<<"$report"
}

stub_rps=()
ls_rps=()
for i in $(seq "$rounds"); do
  # Alternate, so a drift in the machine's speed hits both alike.
  s="$(round "$stub_url")"
  l="$(round "http://127.0.0.1:$ls_port")"
  stub_rps+=("$s")
  ls_rps+=("$l")
  echo "round $i: stub $s req/s, localstripe $l req/s"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
stub_median="$(median "${stub_rps[@]}")"
ls_median="$(median "${ls_rps[@]}")"
echo "median: stub $stub_median req/s, localstripe $localstripe_version $ls_median req/s"
awk -v a="$stub_median" -v b="$ls_median" 'BEGIN { printf "ratio stub/localstripe: %.1fx\n", a / b }'

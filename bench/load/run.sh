#!/usr/bin/env bash
# The same fixed-rate scenario (GET / on one local server, RATE req/s for SECONDS s over
# CONNECTIONS keep-alive connections) driven by our driver, oha and wrk side by side: achieved
# rate, p50/p95/p99 of each tool, and each driver's own CPU time per request, medians of RUNS
# runs timed by farm-bench (A = ours, B = the peer, run in turn). Work goes to bench/.scratch.
#   bash bench/load/run.sh [RATE] [SECONDS] [CONNECTIONS] [RUNS]     # default 2000 5 8 5
# Needs: oha (`cargo install oha --locked`; 1.16.0 builds on Rust 1.95), wrk (Debian: `apt-get
# install wrk`), farm-bench, python3.
#
# Debian's wrk is the closed-loop wrk (no -R; that is wrk2): it sends as fast as its connections
# allow and measures from the actual send, so its row is its own maximum throughput, not the
# target rate, and its percentiles are not coordinated-omission corrected. oha runs with
# `-q RATE --latency-correction`, its open-model mode, so it is the like-for-like peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
rate="${1:-2000}" seconds="${2:-5}" connections="${3:-8}" runs="${4:-5}"
scratch="$PWD/bench/.scratch/load"
rm -rf "$scratch" && mkdir -p "$scratch"
for tool in oha wrk farm-bench python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (see the header of $0)" >&2; exit 2; }
done

cargo build --quiet --release -p commerce_load --examples
examples="${CARGO_TARGET_DIR:-$PWD/target}/release/examples"
"$examples/bench_server" >"$scratch/server.url" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$scratch/server.url" ] && break; sleep 0.1; done
url="$(head -1 "$scratch/server.url")/"

cat >"$scratch/percentiles.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("JSON {\"requests\": %d, \"seconds\": %f, \"errors\": %d, \"p50\": %f, \"p95\": %f, \"p99\": %f}\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
LUA

ours="$examples/bench_drive $url $rate $seconds $connections"
oha_cmd="oha -z ${seconds}s -c $connections -q $rate --latency-correction --no-tui --output-format json $url"
wrk_cmd="wrk -t1 -c$connections -d${seconds}s -s $scratch/percentiles.lua $url"

# Each tool's output is appended per run (JSON lines); farm-bench times the whole process.
timeout=$(((seconds + 2) * (runs + 1) * 2 + 30))
farm-bench -n "$runs" --timeout "$timeout" --vs "sh -c 'exec $oha_cmd >>$scratch/oha.out 2>&1'" \
  -- sh -c "exec $ours >>$scratch/ours.out 2>&1" | tee "$scratch/ours-vs-oha.txt"
farm-bench -n "$runs" --timeout "$timeout" --vs "sh -c 'exec $wrk_cmd >>$scratch/wrk.out 2>&1'" \
  -- sh -c "exec $ours >>$scratch/ours2.out 2>&1" | tee "$scratch/ours-vs-wrk.txt"

python3 - "$scratch" "$rate" "$runs" <<'PY'
import json, re, statistics, sys
scratch, rate, runs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])

def ours(path):
    rows = []
    for line in open(path):
        if line.startswith("{"):
            s = json.loads(line)["scenarios"][0]
            rows.append((s["achieved_rate"], s["requests"], s["latency_ms"]["p50"], s["latency_ms"]["p95"], s["latency_ms"]["p99"]))
    return rows

def oha(path):
    text = open(path).read()
    rows, decoder, at = [], json.JSONDecoder(), 0
    while (at := text.find("{", at)) >= 0:
        d, end = decoder.raw_decode(text, at)
        at = end
        p = d["latencyPercentiles"]
        n = sum(d["statusCodeDistribution"].values())
        rows.append((d["summary"]["requestsPerSec"], n, p["p50"] * 1000, p["p95"] * 1000, p["p99"] * 1000))
    return rows

def wrk(path):
    rows = []
    for line in open(path):
        if line.startswith("JSON "):
            d = json.loads(line[5:])
            rows.append((d["requests"] / d["seconds"], d["requests"], d["p50"], d["p95"], d["p99"]))
    return rows

def cpu(path, which):
    # farm-bench prints `A cpu s  min median max` (and `B cpu s` for the peer): the median.
    for line in open(path):
        found = re.match(r"\s*([AB]) cpu s\s+([0-9.]+)\s+([0-9.]+)", line)
        if found and found.group(1) == "AB"[which]:
            return float(found.group(3))
    return float("nan")

table = [
    ("ours (open model)", ours(f"{scratch}/ours.out") + ours(f"{scratch}/ours2.out"), (cpu(f"{scratch}/ours-vs-oha.txt", 0) + cpu(f"{scratch}/ours-vs-wrk.txt", 0)) / 2),
    ("oha -q --latency-correction", oha(f"{scratch}/oha.out"), cpu(f"{scratch}/ours-vs-oha.txt", 1)),
    ("wrk (closed loop, max rate)", wrk(f"{scratch}/wrk.out"), cpu(f"{scratch}/ours-vs-wrk.txt", 1)),
]
print(f"\ntarget {rate:g} req/s; medians over the runs (the first run of each pair is farm-bench's warm-up)")
print(f"{'tool':30} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'cpu µs/req':>11}")
for name, rows, cpu_s in table:
    if not rows:
        print(f"{name:30} no output; see {scratch}")
        continue
    med = lambda i: statistics.median(r[i] for r in rows)
    per_request = cpu_s / med(1) * 1e6 if med(1) else float("nan")
    print(f"{name:30} {med(0):9.1f} {med(2):8.3f} {med(3):8.3f} {med(4):8.3f} {per_request:11.1f}")
PY

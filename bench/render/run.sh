#!/usr/bin/env bash
# The render step against `next build` on real storefronts.
#
#   bash bench/render/run.sh CHECKOUT...   # e.g. /tmp/x/vercel-commerce /tmp/x/nextjs-starter-medusa
#
# For each checkout of a public Next.js app (fetched by you, never committed): installs its
# dependencies from the npm registry (`npm install`, the app's own versions), then times
# `cargo commerce routes --render` and `next build` and prints what each found. Output and
# logs go to bench/.scratch/render/<name>/. `next build` may fail offline (fonts, data
# fetched at build time, missing env vars): its log says why.
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

if [ "$#" -eq 0 ]; then
  echo "usage: bash bench/render/run.sh CHECKOUT..." >&2
  exit 2
fi
command -v node >/dev/null || { echo "error: node not found; install Node.js 18+" >&2; exit 2; }

# COMMERCE_BIN: a cargo-commerce binary already built (default: build the release one).
commerce="${COMMERCE_BIN:-}"
if [ -z "$commerce" ]; then
  cargo build --release -p cargo-commerce --quiet || exit 2
  commerce="$repo/target/release/cargo-commerce"
fi

now_ms() { date +%s%3N; }

for checkout in "$@"; do
  app=$(cd "$checkout" && pwd)
  name=$(basename "$app")
  scratch="$repo/bench/.scratch/render/$name"
  mkdir -p "$scratch"
  echo "== $name ($app)"
  if [ ! -d "$app/node_modules/react-dom" ]; then
    echo "   installing dependencies (npm install)..."
    (cd "$app" && npm install --no-audit --no-fund --legacy-peer-deps --loglevel=error) \
      >"$scratch/install.log" 2>&1 || { echo "   npm install failed: $scratch/install.log"; continue; }
  fi

  start=$(now_ms)
  "$commerce" commerce routes --render --format json --project "$app" >"$scratch/routes.json" 2>"$scratch/routes.stderr"
  render_ms=$(( $(now_ms) - start ))
  "$commerce" commerce routes --render --project "$app" >"$scratch/routes.txt" 2>/dev/null
  python3 - "$scratch/routes.json" "$render_ms" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
rows = [row for row in report["routes"] if row["render"]]
failed = [row for row in rows if row["render"]["status"] == "FAIL"]
print(f"   routes --render: {sys.argv[2]} ms wall, {len(rows)} pages rendered, {len(failed)} FAIL")
for diagnostic in report["diagnostics"]:
    if diagnostic["rule"].startswith("frontend/render-"):
        start = diagnostic["range"]["start"]
        print(f"     {diagnostic['rule']}  {diagnostic['path']}:{start['line']}  {diagnostic['message'][:160]}")
PY

  start=$(now_ms)
  (cd "$app" && NEXT_TELEMETRY_DISABLED=1 npx --no-install next build) >"$scratch/next-build.log" 2>&1
  status=$?
  build_ms=$(( $(now_ms) - start ))
  echo "   next build: ${build_ms} ms wall, exit ${status} (log: $scratch/next-build.log)"
  grep -E "Error|error|Failed|failed" "$scratch/next-build.log" | head -8 | sed 's/^/     /'
  if [ "$render_ms" -gt 0 ]; then
    python3 -c "print(f'   ratio next build / routes --render: {${build_ms}/${render_ms}:.1f}x')"
  fi
done

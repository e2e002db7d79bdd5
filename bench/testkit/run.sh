#!/usr/bin/env bash
# Per-test setup overhead of the test kit's isolation modes beside #[sqlx::test].
#   bash bench/testkit/run.sh [MIGRATIONS_DIR]   # default: ../shared/corpus/migrations/atuin-server-postgres
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
migrations="${1:-$repo/../shared/corpus/migrations/atuin-server-postgres}"
cd "$here"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target/fixtures}" cargo run --release --quiet -- "$(cd "$migrations" && pwd)"

#!/usr/bin/env bash
# Per-test setup overhead of the test kit's isolation modes beside #[sqlx::test].
#   bash bench/testkit/run.sh [MIGRATIONS_DIR [MODE]]   # default: ../shared/corpus/migrations/atuin-server-postgres, every mode
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# Absolute before the cd below, so a relative MIGRATIONS_DIR means the caller's.
migrations="$(cd "${1:-$repo/../shared/corpus/migrations/atuin-server-postgres}" && pwd)"
cd "$here"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target/fixtures}" cargo run --release --quiet -- "$migrations" "${2:-}"

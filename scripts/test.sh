#!/usr/bin/env bash
# The whole test suite, as CI runs it. One build is shared by every step.
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh --quick    # tests only (no fmt/clippy)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
[ "${1:-}" = "--quick" ] && quick=true

step() { printf '\n==> %s\n' "$*"; }

bash scripts/install-deps.sh

if ! $quick; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
  step "cargo clippy -D warnings"
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi

step "cargo nextest run"
cargo nextest run --workspace --all-targets --locked --profile ci

step "doctests"
cargo test --workspace --doc --locked --quiet

if [ "${COMMERCE_TEST_SKIP_POSTGRES:-}" = "1" ]; then
  echo "note: COMMERCE_TEST_SKIP_POSTGRES=1: the tests that need PostgreSQL stopped without running"
fi

if ! $quick; then
  step "VS Code extension type-check"
  npm ci --prefix editors/vscode --no-audit --no-fund --loglevel=error
  npm run --prefix editors/vscode --silent compile
  step "shop storefront type-check"
  npm run --prefix fixtures/shop/web --silent typecheck
fi

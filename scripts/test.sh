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

# The reference shop is its own workspace (as a user's project is); it builds into
# target/fixtures, beside the kit's fixture shop, sharing their dependencies.
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
shop_target="$target_dir/fixtures"
if ! $quick; then
  step "reference shop: cargo fmt --check, cargo clippy -D warnings"
  cargo fmt --manifest-path fixtures/shop/Cargo.toml -- --check
  CARGO_TARGET_DIR="$shop_target" cargo clippy --manifest-path fixtures/shop/Cargo.toml \
    --all-targets --locked -- -D warnings
fi
shop() { (cd fixtures/shop && CARGO_TARGET_DIR="$shop_target" "$target_dir/debug/cargo-commerce" commerce "$@"); }
step "reference shop: cargo commerce check --no-tests, contracts routes, migrations verify"
shop check --no-tests
shop contracts routes
shop migrations verify --all
step "reference shop: cargo commerce test --suite all"
shop test --suite all

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

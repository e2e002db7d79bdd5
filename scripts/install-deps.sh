#!/usr/bin/env bash
# Installs what a fresh machine lacks for the test suite; does nothing when all is there.
set -euo pipefail

need() { command -v "$1" >/dev/null 2>&1; }

if ! need cargo; then
  echo "error: cargo not found; install Rust 1.95 with rustup (https://rustup.rs) and re-run" >&2
  exit 2
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "==> installing cargo-nextest from crates.io"
  cargo install cargo-nextest --locked
fi
if ! need git; then
  echo "==> installing git"
  apt-get update -qq && apt-get install -y -qq git
fi

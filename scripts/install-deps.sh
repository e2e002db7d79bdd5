#!/usr/bin/env bash
# Installs what a fresh machine lacks for the test suite; does nothing when all is there.
set -euo pipefail

need() { command -v "$1" >/dev/null 2>&1; }

apt_install() {
  if ! need apt-get; then
    echo "error: $* missing and no apt-get here; install it with your package manager" >&2
    exit 2
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ -z "${APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  echo "==> installing $* (apt)"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! need cargo; then
  echo "error: cargo not found; install Rust 1.95 with rustup (https://rustup.rs) and re-run" >&2
  exit 2
fi
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "==> installing cargo-nextest from crates.io"
  cargo install cargo-nextest --locked
fi
need git || apt_install git
# The contract-test client's TLS is the system's OpenSSL (native-tls): its headers and
# pkg-config to build, and the `openssl` command, with which the https tests make their
# certificate.
need pkg-config || apt_install pkg-config
pkg-config --exists openssl 2>/dev/null || apt_install libssl-dev
need openssl || apt_install openssl
# The language server's end-to-end test drives a real editor.
need nvim || apt_install neovim
# The VS Code extension is type-checked with the TypeScript compiler.
need npm || apt_install nodejs npm
# The migration round trips start a throwaway cluster from the server binaries.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need initdb || apt_install postgresql
# The render step's fixture apps render with their own React (and react-router), pinned by
# their lockfiles: `npm ci` when node_modules is missing or older than the lockfile.
for render_app in fixtures/render-shop fixtures/render-rr fixtures/render-router fixtures/render-router-elements; do
  if [ ! -f "$render_app/node_modules/.package-lock.json" ] \
    || [ "$render_app/package-lock.json" -nt "$render_app/node_modules/.package-lock.json" ]; then
    echo "==> installing the render fixture's dependencies (npm ci in $render_app)"
    npm ci --prefix "$render_app" --no-audit --no-fund --loglevel=error >/dev/null
  fi
done
# The metrics exposition is checked by Prometheus' own `promtool check metrics`; Debian ships it
# in the `prometheus` package (22 MB download; the server is installed but not started).
need promtool || apt_install --no-install-recommends prometheus
# Real client SDKs (Stripe, PayPal, ...) for the stub tests: a venv under target/, pinned.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sdk_venv="$root/target/commerce/sdk-venv"
if ! "$sdk_venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  need python3 || apt_install python3
  python3 -m venv "$sdk_venv" 2>/dev/null || { apt_install python3-venv; python3 -m venv "$sdk_venv"; }
fi
if ! cmp -s "$root/scripts/sdk-requirements.txt" "$sdk_venv/installed-requirements.txt"; then
  echo "==> installing the client SDKs of scripts/sdk-requirements.txt into target/commerce/sdk-venv"
  "$sdk_venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/sdk-requirements.txt"
  cp "$root/scripts/sdk-requirements.txt" "$sdk_venv/installed-requirements.txt"
fi
# npm client SDKs for the stub tests (Mailpit's API client, ...): pinned by the lockfile.
sdk_node="$root/target/commerce/sdk-node"
if ! cmp -s "$root/scripts/sdk/package-lock.json" "$sdk_node/package-lock.json"; then
  echo "==> installing the npm client SDKs of scripts/sdk/package.json into $sdk_node"
  mkdir -p "$sdk_node"
  cp "$root/scripts/sdk/package.json" "$root/scripts/sdk/package-lock.json" "$sdk_node/"
  npm ci --prefix "$sdk_node" --no-audit --no-fund --loglevel=error
fi

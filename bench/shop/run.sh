#!/usr/bin/env bash
# The reference shop under two API fuzzers: schemathesis (PyPI, every check) and `cargo commerce
# contracts test`, against the shop's binary on a throwaway PostgreSQL with the kit's Stripe,
# PayPal and mail stubs on loopback; a demo tenant seeded through the API. Prints each tool's
# time and findings side by side. Schemathesis goes into bench/.scratch/shop (not committed).
#   bash bench/shop/run.sh [MAX_EXAMPLES]     # default 25 examples per operation
#   SHOP_TARGET_DIR=DIR bash bench/shop/run.sh   # build the shop there (default target/fixtures)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$PWD"
max_examples="${1:-25}"
scratch="$repo/bench/.scratch/shop"
mkdir -p "$scratch"
target="${CARGO_TARGET_DIR:-$repo/target}"
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"

step() { printf '\n==> %s\n' "$*"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

if [ ! -x "$scratch/venv/bin/schemathesis" ]; then
  step "installing schemathesis into $scratch/venv"
  python3 -m venv "$scratch/venv"
  "$scratch/venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi

step "building cargo-commerce and the shop"
cargo build --quiet -p cargo-commerce
shop_target="${SHOP_TARGET_DIR:-$target/fixtures}"
CARGO_TARGET_DIR="$shop_target" cargo build --quiet --locked --manifest-path fixtures/shop/Cargo.toml --bin shop
ours="$target/debug/cargo-commerce"
shop_bin="$shop_target/debug/shop"

pids=()
pg_dir="$(mktemp -d /tmp/commerce-bench-shop-pg.XXXXXX)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] && chown postgres "$pg_dir"

step "starting PostgreSQL ($pg_bin) in $pg_dir"
pg_port="$(free_port)"
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
database_url="postgres://postgres@127.0.0.1:$pg_port/postgres"

step "starting the Stripe, PayPal and mail stubs and the shop"
shop_port="$(free_port)"; stripe_port="$(free_port)"; paypal_port="$(free_port)"
mail_port="$(free_port)"; smtp_port="$(free_port)"
shop_url="http://127.0.0.1:$shop_port"
"$ours" commerce stub stripe --listen "127.0.0.1:$stripe_port" --webhook-url "$shop_url/webhooks/stripe" \
  --webhook-secret whsec_bench >"$scratch/stripe.log" 2>&1 & pids+=($!)
"$ours" commerce stub paypal --listen "127.0.0.1:$paypal_port" --webhook-url "$shop_url/webhooks/paypal" \
  >"$scratch/paypal.log" 2>&1 & pids+=($!)
"$ours" commerce stub mail --listen "127.0.0.1:$mail_port" --smtp "127.0.0.1:$smtp_port" \
  --webhook-url "$shop_url/webhooks/email" >"$scratch/mail.log" 2>&1 & pids+=($!)
DATABASE_URL="$database_url" SHOP_LISTEN="127.0.0.1:$shop_port" \
  SHOP_SIGNING_SECRET="bench-signing-secret-of-at-least-32-bytes" \
  SHOP_STRIPE_URL="http://127.0.0.1:$stripe_port" SHOP_STRIPE_SECRET_KEY=sk_test_bench \
  SHOP_STRIPE_WEBHOOK_SECRET=whsec_bench SHOP_PAYPAL_URL="http://127.0.0.1:$paypal_port" \
  SHOP_PAYPAL_CLIENT_ID=bench SHOP_PAYPAL_CLIENT_SECRET=bench SHOP_PAYPAL_WEBHOOK_ID=WH-BENCH \
  SHOP_SMTP="127.0.0.1:$smtp_port" "$shop_bin" >"$scratch/shop.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do
  curl -fsS "$shop_url/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$shop_url/healthz" >/dev/null || { echo "the shop did not start:"; cat "$scratch/shop.log"; exit 1; }

step "seeding a demo tenant through the API"
export PGHOST=127.0.0.1 PGPORT="$pg_port" PGUSER=postgres PGDATABASE=postgres
token="$(python3 "$repo/bench/shop/seed.py" "$shop_url" "$pg_bin/psql")"
export SHOP_BENCH_TOKEN="$token"

spec="$repo/fixtures/shop/openapi.yaml"
headers=(-H "X-Tenant: demo")

step "schemathesis $("$scratch/venv/bin/schemathesis" --version 2>/dev/null | tail -1): every check, $max_examples examples per operation"
rm -rf "$scratch/schemathesis"
start=$(date +%s.%N)
# The operations that end the session the token belongs to are left out: after one of them,
# every later call would only test the 401.
"$scratch/venv/bin/schemathesis" run "$spec" --url "$shop_url" --checks all \
  --exclude-path /auth/logout --exclude-path /auth/session --exclude-path /auth/refresh \
  --max-examples "$max_examples" --seed 1 "${headers[@]}" -H "Authorization: Bearer $token" \
  --report junit --report-dir "$scratch/schemathesis" >"$scratch/schemathesis.txt" 2>&1 || true
st_seconds=$(echo "$(date +%s.%N) - $start" | bc)

step "cargo commerce contracts test"
# Schemathesis logs out and resets passwords on the way: a fresh session for the next tool.
SHOP_BENCH_TOKEN="$(python3 "$repo/bench/shop/seed.py" "$shop_url" "$pg_bin/psql" --login)"
start=$(date +%s.%N)
(cd fixtures/shop && "$ours" commerce contracts test --spec openapi.yaml --base-url "$shop_url" \
  --header "X-Tenant: demo" --bearer-env SHOP_BENCH_TOKEN --format json >"$scratch/contracts.json" 2>"$scratch/contracts.err") || true
ours_seconds=$(echo "$(date +%s.%N) - $start" | bc)

python3 "$repo/bench/shop/compare.py" "$scratch" "$st_seconds" "$ours_seconds"

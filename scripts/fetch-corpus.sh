#!/usr/bin/env bash
# Fetches the public part of the test corpus into DIR at pinned commits, for machines without the
# shared corpus (GitHub's CI). Tests read it with COMMERCE_CORPUS=DIR. Never commit DIR.
#   bash scripts/fetch-corpus.sh DIR
#
# What it fetches is byte-for-byte what ../shared/corpus holds (each pin below was found by
# matching the corpus's files against the upstream history), except two tables no upstream
# ships: openapi/oasdiff/cases.tsv and rules.tsv were extracted from oasdiff's Go tests and
# registry by a script that is not public. The tests reading them (commerce_contracts'
# `conformance` binary) cannot run on DIR; the GitHub workflow leaves exactly that binary out
# and says so in its job summary. `.ci/run` (scripts/test.sh) runs everything on the shared
# corpus. COMMERCE_CORPUS_GIT (default https://github.com) is where owner/name repositories live.
set -euo pipefail
dest="${1:?usage: scripts/fetch-corpus.sh DIR}"
git_base="${COMMERCE_CORPUS_GIT:-https://github.com}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# fetch REPO COMMIT PATH...: REPO's PATHs at COMMIT into $tmp/REPO (one shallow commit).
fetch() {
  local repo="$1" commit="$2"
  shift 2
  local work="$tmp/$repo"
  mkdir -p "$work"
  git -C "$work" init -q
  git -C "$work" fetch -q --depth 1 "$git_base/$repo" "$commit"
  git -C "$work" checkout -q FETCH_HEAD -- "$@"
  echo "fetched $repo@$commit: $*"
}

# copy_sql SRC DEST LICENSE: the migration files of SRC (and a README there) into DEST.
copy_migrations() {
  local src="$1" out="$dest/migrations/$2" license="$3"
  rm -rf "$out"
  mkdir -p "$out"
  find "$src" -maxdepth 1 -type f \( -name '*.sql' -o -name 'README.md' \) -exec cp {} "$out/" \;
  cp "$license" "$out/LICENSE"
}

# oasdiff's spec files, at the commit cases.tsv names on its first line.
OASDIFF=4553c69d3869ee555ee4f00831d8cca6e1c208ff
fetch oasdiff/oasdiff "$OASDIFF" data LICENSE
mkdir -p "$dest/openapi/oasdiff"
rm -rf "$dest/openapi/oasdiff/data"
cp -R "$tmp/oasdiff/oasdiff/data" "$dest/openapi/oasdiff/data"
cp "$tmp/oasdiff/oasdiff/LICENSE" "$dest/openapi/oasdiff/LICENSE"

# The migration histories.
DOCS_RS=290d992e8219ba30c8af8dd573ad06d75e8c468e
fetch rust-lang/docs.rs "$DOCS_RS" crates/lib/docs_rs_database/migrations LICENSE
copy_migrations "$tmp/rust-lang/docs.rs/crates/lib/docs_rs_database/migrations" docs.rs \
  "$tmp/rust-lang/docs.rs/LICENSE"

ATUIN_SERVER=2c936bc5e576db570333231b1a657ea59724454f
fetch atuinsh/atuin "$ATUIN_SERVER" crates/atuin-server-postgres/migrations LICENSE
copy_migrations "$tmp/atuinsh/atuin/crates/atuin-server-postgres/migrations" \
  atuin-server-postgres "$tmp/atuinsh/atuin/LICENSE"

ATUIN_CLIENT=281608b65b7dfa5908ffbf344b0a359bb491d0cd
rm -rf "$tmp/atuinsh/atuin"
fetch atuinsh/atuin "$ATUIN_CLIENT" crates/atuin-client/migrations LICENSE
copy_migrations "$tmp/atuinsh/atuin/crates/atuin-client/migrations" atuin-client-sqlite \
  "$tmp/atuinsh/atuin/LICENSE"

REALWORLD=7bea37f57a06a62f2dedf665aba557d22d8f0a8c
fetch launchbadge/realworld-axum-sqlx "$REALWORLD" migrations LICENSE
copy_migrations "$tmp/launchbadge/realworld-axum-sqlx/migrations" realworld-axum-sqlx \
  "$tmp/launchbadge/realworld-axum-sqlx/LICENSE"

echo "corpus fetched into $dest (without oasdiff's cases.tsv and rules.tsv: see this script's header)"

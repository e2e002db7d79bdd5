#!/usr/bin/env bash
# Fetches the public data of the test corpus into DIR at pinned commits, for machines without
# the shared corpus (GitHub's CI). Tests read it with COMMERCE_CORPUS=DIR. Never commit DIR.
#   bash scripts/fetch-corpus.sh DIR
set -euo pipefail
dest="${1:?usage: scripts/fetch-corpus.sh DIR}"
# The oasdiff commit whose Go tests the corpus's cases.tsv was extracted from (its first line).
OASDIFF_COMMIT=4553c69d3869ee555ee4f00831d8cca6e1c208ff

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git -C "$tmp" init -q
git -C "$tmp" fetch -q --depth 1 https://github.com/oasdiff/oasdiff "$OASDIFF_COMMIT"
git -C "$tmp" checkout -q FETCH_HEAD -- data LICENSE
mkdir -p "$dest/openapi/oasdiff"
rm -rf "$dest/openapi/oasdiff/data"
cp -R "$tmp/data" "$dest/openapi/oasdiff/data"
cp "$tmp/LICENSE" "$dest/openapi/oasdiff/LICENSE"
echo "fetched oasdiff@$OASDIFF_COMMIT data into $dest/openapi/oasdiff"

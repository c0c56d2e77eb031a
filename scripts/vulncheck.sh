#!/usr/bin/env bash
# Runs govulncheck on the whole module without reaching vuln.go.dev: the Go
# vulnerability database is built locally from golang.org/x/vulndb, which
# the Go module proxy serves (its data/osv holds every report as OSV JSON),
# with vulndb's own cmd/indexdb, and govulncheck reads it with -db file://.
# Nothing is added to go.mod: every tool runs as `go run pkg@version`, the
# index is built in a temporary module outside the repository, and the
# result is cached under ${XDG_CACHE_HOME:-~/.cache}/quita-vulndb.
#
#   scripts/vulncheck.sh                      # offline DB from the proxy
#   VULNDB_VERSION=latest scripts/vulncheck.sh
#   QUITA_VULNDB=https://vuln.go.dev scripts/vulncheck.sh   # the online DB
#   scripts/vulncheck.sh -show verbose        # extra flags go to govulncheck
#
# Exit status is govulncheck's: 0 clean, 3 vulnerabilities found.
set -euo pipefail
cd "$(dirname "$0")/.."

GOVULNCHECK_VERSION="${GOVULNCHECK_VERSION:-v1.9.0}"
# Pinned so runs are reproducible; the database is as fresh as this
# version's date (bump it, or use latest, to pick up new reports).
VULNDB_VERSION="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A throwaway module, so `go` never touches this repository's go.mod.
(cd "$work" && go mod init vulndb.local >/dev/null 2>&1)
# Installed rather than `go run`, which would turn exit status 3 into 1.
(cd "$work" && GOBIN="$work/bin" go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION")

db="${QUITA_VULNDB:-}"
if [ -z "$db" ]; then
  if [ "$VULNDB_VERSION" = latest ]; then
    VULNDB_VERSION=$(cd "$work" && go list -m -f '{{.Version}}' golang.org/x/vulndb@latest)
  fi
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/quita-vulndb/$VULNDB_VERSION"
  if [ ! -s "$cache/index/modules.json" ]; then
    echo "vulncheck: building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION" >&2
    src=$(cd "$work" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -d "$src/data/osv" ] || { echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2; exit 1; }
    rm -rf "$cache.tmp" && mkdir -p "$(dirname "$cache")"
    (cd "$work" && GOFLAGS=-mod=mod go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$cache.tmp")
    rm -rf "$cache" && mv "$cache.tmp" "$cache"
  fi
  echo "vulncheck: database golang.org/x/vulndb@$VULNDB_VERSION ($(ls "$cache/ID" | grep -c '\.json$') reports)" >&2
  db="file://$cache"
fi
status=0
"$work/bin/govulncheck" -db "$db" "$@" ./... || status=$?
exit $status

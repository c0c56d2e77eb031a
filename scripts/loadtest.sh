#!/usr/bin/env bash
# Builds quita and quitabench, starts `quita serve` on a fresh database on
# loopback, runs quitabench against it with the flags given, and reports
# the service's idle and final RSS. The figures in docs/benchmarks.md
# ("Load over HTTP") come from this script.
#
#   scripts/loadtest.sh sqlite   -mode inbound -debtors 5000 -concurrency 32 -n 20000 -seed-invoices
#   scripts/loadtest.sh postgres -mode webhook -debtors 5000 -concurrency 32 -n 20000
#
# sqlite: a new file in a temporary directory. postgres: a new database,
# created and dropped with psql on $QUITA_BENCH_PG (default
# postgres://postgres@127.0.0.1:5432), with Redis at $QUITA_BENCH_REDIS
# (default redis://127.0.0.1:6379/0). The policy has no reminder cadence,
# so only the load is measured. QUITA_BENCH_KEEP=1 keeps the service
# running until Enter is pressed (to inspect it).
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-}"
case "$backend" in
  sqlite|postgres) shift ;;
  *) echo "usage: scripts/loadtest.sh sqlite|postgres [quitabench flags]" >&2; exit 2 ;;
esac

work=$(mktemp -d)
pid=""
db=""
pg="${QUITA_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "$db" ]; then psql "$pg/postgres" -qtAc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/quita" ./cmd/quita
CGO_ENABLED=0 go build -o "$work/quitabench" ./cmd/quitabench

export QUITA_API_TOKEN="bench-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export QUITA_WEBHOOK_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
export QUITA_ADDR="127.0.0.1:${QUITA_BENCH_PORT:-18181}"
export QUITA_SIMULATOR=on QUITA_WHATSAPP=off QUITA_LOG_LEVEL=warn
printf 'company:\n  name: Quita Bench\nreminders:\n  cadence: []\n' > "$work/quita.yaml"
export QUITA_CONFIG="$work/quita.yaml"
if [ "$backend" = sqlite ]; then
  export QUITA_DATABASE_URL="sqlite://$work/quita.db" QUITA_REDIS_URL=""
else
  db="quita_bench_$$"
  psql "$pg/postgres" -qtAc "CREATE DATABASE $db" >/dev/null
  export QUITA_DATABASE_URL="$pg/$db?sslmode=disable" QUITA_REDIS_URL="${QUITA_BENCH_REDIS:-redis://127.0.0.1:6379/0}"
fi

"$work/quita" serve >"$work/out.log" 2>"$work/err.log" &
pid=$!
for _ in $(seq 1 300); do
  grep -q "listening on" "$work/out.log" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/err.log" >&2; exit 1; }
  sleep 0.1
done
rss() { awk '/^VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status"; }
hwm() { awk '/^VmHWM/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status"; }
sleep 3
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); backend $backend; $(date -u +%FT%TZ)"
echo "quita idle RSS: $(rss)"
status=0
"$work/quitabench" -url "http://$QUITA_ADDR" "$@" || status=$?
sleep 2
active=$(curl -s "http://$QUITA_ADDR/metrics" | awk '/^quita_active_conversations / {print $2}')
echo "quita RSS after the run: $(rss) (peak $(hwm)); live conversation actors: ${active:-?}"
if [ "${QUITA_BENCH_KEEP:-}" = 1 ]; then
  echo "QUITA_BENCH_KEEP: the service runs at http://$QUITA_ADDR (token $QUITA_API_TOKEN); press Enter to stop"
  read -r _
fi
exit $status

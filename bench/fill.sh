#!/usr/bin/env bash
# bench/fill.sh: does chronohook insert as fast into a big database as into an
# empty one? Fills a database to FILL_ROWS events (10 million by default),
# then drives chronohook with the same wrk keep-alive load as bench/run.sh,
# once on an empty database and once on the filled one, FILL_ROUNDS times
# alternately, and prints both insert rates and their ratio (target: the
# filled rate within 20 % of the empty one).
#
# The fill goes straight to SQLite, not through the daemon: the schema comes
# from `chronohook migrate` (so it is exactly the daemon's), then the sqlite3
# shell inserts rows built from bench/hook-body.fmt (the body wrk sends) in
# large transactions with the journal and fsync off: a mix of event names,
# 50,000 synthetic patients, received_at over the last FILL_DAYS days. That
# is for the fill only: the measurement runs the daemon with its production
# settings (WAL, synchronous=FULL, access log on). FILL_ONLY=1 just makes
# the database (bench/consumers.sh reads it).
#
# Environment (defaults in brackets):
#   FILL_ROWS        rows to fill [10000000]
#   FILL_CHUNK       rows per fill transaction [1000000]
#   FILL_DIR         where the filled database lives [bench/out/fill]
#   FILL_KEEP        1 keeps the filled database for the next run (it is
#                    reused when it already holds FILL_ROWS rows made by
#                    this version of the fill) [0]
#   FILL_ONLY        1 fills (or finds) the database, keeps it and stops:
#                    what bench/consumers.sh runs first [0]
#   FILL_DAYS        the days received_at spans, ending at the fill [180]
#   FILL_ROUNDS      empty/filled measurement pairs [2]
#   FILL_WARM        1 reads the filled database's index into the page cache
#                    before measuring (the steady state of a running
#                    receiver); 0 measures whatever the cache holds; cold
#                    empties the kernel's page cache before every filled
#                    round (a receiver started on a machine that just
#                    booted; needs root) [1]
#   BENCH_SECONDS, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_THREADS,
#   BENCH_CERT_KEY, BENCH_BUILD, BENCH_BUILD_DIR: as for bench/run.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

FILL_ROWS=${FILL_ROWS:-10000000}
FILL_CHUNK=${FILL_CHUNK:-1000000}
FILL_DIR=$(realpath -m "${FILL_DIR:-$BENCH_DIR/out/fill}") # configs name the database by absolute path
FILL_KEEP=${FILL_KEEP:-0}
FILL_ROUNDS=${FILL_ROUNDS:-2}
FILL_ONLY=${FILL_ONLY:-0}
FILL_DAYS=${FILL_DAYS:-180}
[[ $FILL_ONLY == 1 ]] && FILL_KEEP=1
BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_CERT_KEY=${BENCH_CERT_KEY:-ec}
BENCH_BUILD=${BENCH_BUILD:-1}
BENCH_BUILD_DIR=${BENCH_BUILD_DIR:-$REPO_DIR/build-bench}
OUT=$BENCH_DIR/out/fill-$(date +%Y%m%d-%H%M%S)

[[ ${FILL_WARM:-1} =~ ^(0|1|cold)$ ]] || die "FILL_WARM must be 0, 1 or cold, not '${FILL_WARM}'"
for v in FILL_ROWS FILL_CHUNK FILL_ROUNDS FILL_DAYS BENCH_SECONDS BENCH_CONNECTIONS BENCH_THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done

ensure_tools wrk sqlite3 curl openssl ss cmake ninja python3
mkdir -p "$FILL_DIR" "$OUT"
WORK=$OUT/work
mkdir -p "$WORK"
FILLED=$FILL_DIR/filled.db
# What the fill writes. A database filled by another version of the fill or
# under other migrations is refilled rather than reused: migrating it would
# cost more than the fill (0004 VACUUMs the whole file).
FILL_VERSION="2 events-mix rows=$FILL_ROWS days=$FILL_DAYS migrations=$(cat "$REPO_DIR"/migrations/*.sql | cksum | cut -d' ' -f1)"
FILL_MARK=$FILLED.fill-version
install_traps
# A half-made fill is useless, and a finished one is 20 GB: remove it unless
# asked to keep it.
trap 'stop_all; rm -rf "$WORK"; [[ $FILL_KEEP == 1 ]] || rm -f "$FILLED" "$FILLED-wal" "$FILLED-shm" "$FILLED-journal" "$FILL_MARK"' EXIT

prepare_chronohook "$OUT/build.log"

make_cert "$WORK" "$BENCH_CERT_KEY"

# The daemon's config for DB; also what `chronohook migrate` reads.
config_for() {
  local db=$1 port=${2:-0}
  write_chronohook_config "$WORK/$(basename "$db").toml" "$port" "$WORK/cert.pem" "$WORK/key.pem" "$db" true
  echo "$WORK/$(basename "$db").toml"
}

migrate_db() {
  "$CHRONOHOOK" migrate --config "$(config_for "$1")" >"$OUT/migrate.log" 2>&1 ||
    die "chronohook migrate failed on $1 (see $OUT/migrate.log)"
}

# Rows already there: max(seq) reads one page, count(*) would scan 20 GB.
filled_rows() {
  [[ -f $FILLED && $(cat "$FILL_MARK" 2>/dev/null) == "$FILL_VERSION" ]] || {
    echo 0
    return
  }
  max_seq "$FILLED" 2>/dev/null || echo 0
}

fill() {
  # ~2 KB payload + ~150 B of other columns + five index entries, and 10 %
  # slack.
  local need_mb=$((FILL_ROWS * 2500 * 11 / 10 / 1000000)) avail_mb
  avail_mb=$(df -Pm "$FILL_DIR" | awk 'NR == 2 { print $4 }')
  ((avail_mb > need_mb + 2048)) ||
    die "filling $FILL_ROWS rows needs about $need_mb MB in $FILL_DIR, and only $avail_mb MB are free (set FILL_DIR or FILL_ROWS)"
  log "filling $FILLED to $FILL_ROWS rows (about $((need_mb / 1024)) GB; $((avail_mb / 1024)) GB free)"
  rm -f "$FILLED" "$FILLED-wal" "$FILLED-shm" "$FILLED-journal" "$FILL_MARK"
  migrate_db "$FILLED"

  # payload_sha256 is a placeholder (the sqlite3 shell has no SHA-256): it is
  # only ever compared for a repeated delivery id, and no measured hook
  # reuses a fill id.
  # One sqlite3 process, so its 2 GB page cache (which holds the
  # (webhook, delivery_id) index and the three consumer indexes) lasts
  # across the chunks. The indexes stay in place during the fill, so they
  # are as fragmented as ones a running receiver built.
  #
  # Every row derives from x, a multiplicative hash of the row number (its
  # bits are spread, unlike i's):
  # - delivery ids start with x, so they are spread over the index the way
  #   random (UUID-like) ids are, not a neat append-only run;
  # - the event name comes from x's top bits, with a mix like a practice's
  #   (appointments most, then patient updates, notes, billing, tasks);
  # - the patient from 50,000, none for TASK_* (drchrono sends no patient
  #   for tasks); payloads are bench/hook-body.fmt (~1.7 KB), patient events
  #   ~1.5 KB more and clinical notes ~0.6 KB more (a synthetic padding
  #   field), ~2 KB on average;
  # - received_at runs evenly over the FILL_DAYS days before the fill, in
  #   seq order, as a receiver's would.
  local script=$WORK/fill.sql start=1 end started=$SECONDS t0 step
  t0=$(($(date +%s) - FILL_DAYS * 86400))
  step=$(awk -v d="$FILL_DAYS" -v n="$FILL_ROWS" 'BEGIN { printf "%.6f", d * 86400 / n }')
  {
    echo "PRAGMA journal_mode = DELETE;" # leave WAL, so that OFF is allowed
    echo "PRAGMA journal_mode = OFF;"    # fill only: a crash means refilling
    echo "PRAGMA synchronous = OFF;"
    echo "PRAGMA cache_size = -2097152;"
    echo "CREATE TEMP TABLE fmt AS SELECT rtrim(CAST(readfile('$BENCH_DIR/hook-body.fmt') AS TEXT), char(10)) AS t;"
    while ((start <= FILL_ROWS)); do
      end=$((start + FILL_CHUNK - 1))
      ((end <= FILL_ROWS)) || end=$FILL_ROWS
      cat <<SQL
BEGIN;
WITH RECURSIVE n(i) AS (SELECT $start UNION ALL SELECT i + 1 FROM n WHERE i < $end),
h AS (SELECT i, (i * 2654435761) % 4294967296 AS x FROM n),
r AS (
  SELECT i, x,
         CASE
           WHEN x / 42949673 < 40 THEN 'APPOINTMENT_MODIFY'
           WHEN x / 42949673 < 55 THEN 'APPOINTMENT_CREATE'
           WHEN x / 42949673 < 58 THEN 'APPOINTMENT_DELETE'
           WHEN x / 42949673 < 70 THEN 'PATIENT_MODIFY'
           WHEN x / 42949673 < 73 THEN 'PATIENT_CREATE'
           WHEN x / 42949673 < 75 THEN 'PATIENT_PROBLEM_MODIFY'
           WHEN x / 42949673 < 76 THEN 'PATIENT_MEDICATION_MODIFY'
           WHEN x / 42949673 < 82 THEN 'CLINICAL_NOTE_LOCK'
           WHEN x / 42949673 < 83 THEN 'CLINICAL_NOTE_UNLOCK'
           WHEN x / 42949673 < 88 THEN 'LINE_ITEM_CREATE'
           WHEN x / 42949673 < 92 THEN 'LINE_ITEM_MODIFY'
           WHEN x / 42949673 < 94 THEN 'LAB_ORDER_CREATE'
           WHEN x / 42949673 < 97 THEN 'TASK_CREATE'
           ELSE 'TASK_MODIFY'
         END AS event,
         7000000 + (x / 97) % 50000 AS patient,
         strftime('%Y-%m-%dT%H:%M:%fZ', $t0 + i * $step, 'unixepoch') AS at
  FROM h
),
b AS (
  SELECT r.*, printf(t, 8000000000 + i, patient, 1 + i % 12, 1 + i % 28, 8 + i % 10, (i * 5) % 60, i % 60) AS body,
         CASE WHEN event LIKE 'PATIENT%' THEN 1500 WHEN event LIKE 'CLINICAL_NOTE%' THEN 600 ELSE 0 END AS pad
  FROM r, temp.fmt
)
INSERT INTO events (webhook, delivery_id, event, received_at, payload,
                    object_id, patient_id, practice_group_id, attempts, last_seen_at, payload_sha256)
SELECT 'main',
       printf('%08x-fill-%d', x, i),
       event,
       at,
       CASE WHEN pad = 0 THEN body
            ELSE substr(body, 1, length(body) - 1) || ',"synthetic_padding":"' || printf('%.*c', pad, 'x') || '"}' END,
       8000000000 + i,
       CASE WHEN event LIKE 'TASK%' THEN NULL ELSE patient END,
       990001, 1, at, zeroblob(32)
FROM b;
COMMIT;
.print filled $end
SQL
      start=$((end + 1))
    done
    echo "PRAGMA journal_mode = WAL;" # what the daemon will use
  } >"$script"

  # In the background and waited for, so that Ctrl-C or SIGTERM stops it at
  # once (a foreground child would delay the trap until it finished).
  start_bg "$OUT/fill.log" sqlite3 -batch "$FILLED" ".read $script"
  local pid=$STARTED_PID last=0 n
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    n=$(sed -n 's/^filled \([0-9]*\)$/\1/p' "$OUT/fill.log" | tail -n 1)
    if [[ -n $n && $n != "$last" ]]; then
      log "  $n rows ($((n / (SECONDS - started + 1))) rows/s)"
      last=$n
    fi
  done
  wait "$pid" || {
    tail -n 20 "$OUT/fill.log" >&2
    die "the fill failed (see $OUT/fill.log)"
  }
  stop_pid "$pid"
  [[ $(max_seq "$FILLED") -ge $FILL_ROWS ]] || die "the fill stopped short (see $OUT/fill.log)"
  # Flush the fill's dirty pages now: their write-back would otherwise
  # compete with the measured fsyncs.
  sync "$FILLED"
  echo "$FILL_VERSION" >"$FILL_MARK"
  log "filled $FILL_ROWS rows in $((SECONDS - started)) s; $(du -h "$FILLED" | cut -f1) on disk"
}

have=$(filled_rows)
if ((have >= FILL_ROWS)); then
  log "reusing $FILLED ($have rows)"
else
  fill
fi

if [[ $FILL_ONLY == 1 ]]; then
  log "$FILLED is ready (FILL_ONLY=1: not measuring)"
  rm -rf "$WORK"
  rmdir "$OUT" 2>/dev/null || true # nothing to keep when nothing was built or filled
  exit 0
fi

RESULTS=$OUT/results.tsv
printf 'round\tdatabase\trows_before\trps\tp50_ms\tp99_ms\tcheck\n' >"$RESULTS"

# measure_db LABEL DB ROUND: one chronohook, one keep-alive wrk run.
measure_db() {
  local label=$1 db=$2 round=$3 port url config
  port=$(pick_port)
  url="https://127.0.0.1:$port/webhook"
  config=$(config_for "$db" "$port")
  local rows_before
  rows_before=$(max_seq "$db")
  log "round $round, $label database ($rows_before rows): chronohook on port $port"
  # The full log (an access line per hook) stays in the work directory;
  # its tail is kept.
  local server_log=$WORK/server-$label-$round.log
  start_bg "$server_log" "$CHRONOHOOK" serve --config "$config"
  local pid=$STARTED_PID
  wait_listening "$port" "$pid" "$server_log"
  wait_serving "$url"
  if ((BENCH_WARMUP > 0)); then run_wrk keepalive "$BENCH_WARMUP" "$url" "warm-$(random_prefix)" "$WORK/warmup.txt"; fi
  settle_rows "$db" "$rows_before" >/dev/null
  local seq0 out=$OUT/wrk-$label-$round.txt
  seq0=$(max_seq "$db")
  run_wrk keepalive "$BENCH_SECONDS" "$url" "run-$(random_prefix)" "$out"
  local rows ok unread check
  rows=$(settle_rows "$db" "$seq0")
  ok=$(wrk_field "$out" ok)
  unread=$(($(wrk_field "$out" sent) - $(wrk_field "$out" answered)))
  if ((rows == ok)); then
    check=OK
  elif ((rows > ok && rows - ok <= unread)); then
    check="OK(+$((rows - ok)) unread)"
  else
    check=MISMATCH
  fi
  stop_pid "$pid"
  tail -n 50 "$server_log" >"$OUT/server-$label-$round.log"
  rm -f "$server_log"
  local rps p50 p99
  rps=$(wrk_rps "$out")
  p50=$(awk -v v="$(wrk_field "$out" p50_us)" 'BEGIN { printf "%.2f", v / 1000 }')
  p99=$(awk -v v="$(wrk_field "$out" p99_us)" 'BEGIN { printf "%.2f", v / 1000 }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$label" "$rows_before" "$rps" "$p50" "$p99" "$check" >>"$RESULTS"
  log "round $round, $label: $rps req/s, p99 $p99 ms, rows $check ($rows rows, $ok 2xx)"
}

# Every insert looks its delivery id up in the (webhook, delivery_id) index,
# so a running receiver keeps that index in the page cache; a database just
# copied in or evicted by other work does not have it there, and the first
# minutes of inserts wait on disk reads (measured: 0.23x the empty rate in
# the first round, rising as the index came back). Read it in first, so the
# comparison is the steady state. FILL_WARM=0 measures whatever the cache
# holds; FILL_WARM=cold empties it before every filled round.
if [[ ${FILL_WARM:-1} == 1 ]]; then
  warm_started=$SECONDS
  if sql "$FILLED" "SELECT count(*) FROM events INDEXED BY events_delivery WHERE conflicts_with IS NULL;" >/dev/null; then
    log "read the (webhook, delivery_id) index into the page cache in $((SECONDS - warm_started)) s"
  else
    log "could not read the (webhook, delivery_id) index (schema changed?): measuring with a cold cache"
  fi
fi

FSYNC=$(fsync_probe "$WORK")
log "disk: $FSYNC"
for ((round = 1; round <= FILL_ROUNDS; round++)); do
  # A fresh empty database each round; the filled one only grows a little.
  empty=$WORK/empty-$round.db
  migrate_db "$empty"
  measure_db empty "$empty" "$round"
  if [[ ${FILL_WARM:-1} == cold ]]; then
    sync
    echo 1 >/proc/sys/vm/drop_caches || die "FILL_WARM=cold needs root (it writes /proc/sys/vm/drop_caches)"
    log "emptied the page cache"
  fi
  measure_db filled "$FILLED" "$round"
  rm -f "$empty" "$empty-wal" "$empty-shm"
done

{
  echo "chronohook $REVISION: insert rate, empty vs $FILL_ROWS rows, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r)"
  [[ ${FILL_WARM:-1} == 1 ]] && echo "filled database's index read into the page cache first (FILL_WARM=1)"
  [[ ${FILL_WARM:-1} == cold ]] && echo "page cache emptied before every filled round (FILL_WARM=cold)"
  echo "disk: $FSYNC"
  echo "load: wrk keep-alive, $BENCH_THREADS threads, $BENCH_CONNECTIONS connections, ${BENCH_SECONDS}s after ${BENCH_WARMUP}s warm-up; WAL, synchronous=FULL, access log on"
  echo
  awk -F'\t' '
    NR == 1 { printf "%-6s %-8s %12s %9s %8s %8s  %s\n", "round", "database", "rows before", "req/s", "p50 ms", "p99 ms", "rows vs 2xx"; next }
    {
      printf "%-6s %-8s %12s %9d %8.2f %8.2f  %s\n", $1, $2, $3, $4, $5, $6, $7
      v[$2, ++c[$2]] = $4
    }
    function median(k,   n, i, j, t, a) {
      n = c[k]
      for (i = 1; i <= n; i++) a[i] = v[k, i]
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    END {
      e = median("empty"); f = median("filled")
      r = e > 0 ? f / e : 0
      verdict = r >= 0.8 ? "met" : sprintf("MISSED by %.0f%%", 100 * (0.8 - r) / 0.8)
      printf "\nmedian req/s: empty %d, filled %d; filled / empty = %.2fx (target >= 0.80x: %s)\n", e, f, r, verdict
    }' "$RESULTS"
} | tee "$OUT/table.txt"
log "results in $OUT"

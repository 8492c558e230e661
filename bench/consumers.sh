#!/usr/bin/env bash
# bench/consumers.sh: how fast can programs read what chronohook stored, and
# what does reading cost the receiver? On the 10-million-event database of
# bench/fill.sh (made first when missing), with the daemon serving it:
#
#   latency   GET /v1/events?after=N&limit=100 and
#             `chronohook events list --after N --limit 100 --jsonl` for
#             random N; `events list --patient ID --limit 100` and
#             GET /v1/events?patient=ID&limit=100 for random patients:
#             p50/p99 (target p99 < 10 ms)
#   drain     1 million events through /v1/consumers/NAME/next?limit=1000
#             with a cursor PUT per page (target >= 50,000 events/s), and a
#             Python script reading the same rows from the file with the
#             sqlite3 module, in the same run (target: the API at least as
#             fast)
#   ingest    the keep-alive wrk load of bench/run.sh, alone and while a
#             consumer drains at full speed, alternating (target >= 0.80x)
#   longpoll  a long-poll waits, a hook is sent: time until the poll answers,
#             p50/p99 over 1000 hooks
#
# bench/README.md explains the figures; bench/consumers.py is the client.
#
# Environment (defaults in brackets):
#   CONS_PARTS          which of the above, in order [latency drain ingest longpoll]
#   CONS_SAMPLES        random requests per API latency figure [2000]
#   CONS_CLI_SAMPLES    CLI runs per CLI latency figure [300]
#   CONS_DRAIN_EVENTS   events per drain [1000000]
#   CONS_ROUNDS         drain rounds, and ingest pairs (alone / with a
#                       consumer); the table shows medians [3]
#   CONS_LONGPOLL       hooks in the long-poll test [1000]
#   FILL_ROWS, FILL_DIR as for bench/fill.sh (which makes the database)
#   BENCH_SECONDS [20], BENCH_WARMUP [3], BENCH_CONNECTIONS [32],
#   BENCH_THREADS [2], BENCH_CERT_KEY [ec], BENCH_BUILD [1],
#   BENCH_BUILD_DIR [build-bench]: as for bench/run.sh
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

CONS_PARTS=${CONS_PARTS:-latency drain ingest longpoll}
CONS_SAMPLES=${CONS_SAMPLES:-2000}
CONS_CLI_SAMPLES=${CONS_CLI_SAMPLES:-300}
CONS_DRAIN_EVENTS=${CONS_DRAIN_EVENTS:-1000000}
CONS_ROUNDS=${CONS_ROUNDS:-3}
CONS_LONGPOLL=${CONS_LONGPOLL:-1000}
FILL_ROWS=${FILL_ROWS:-10000000}
FILL_DIR=$(realpath -m "${FILL_DIR:-$BENCH_DIR/out/fill}")
BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_CERT_KEY=${BENCH_CERT_KEY:-ec}
BENCH_BUILD=${BENCH_BUILD:-1}
BENCH_BUILD_DIR=$(realpath -m "${BENCH_BUILD_DIR:-$REPO_DIR/build-bench}")
OUT=$(realpath -m "$BENCH_DIR/out/consumers-$(date +%Y%m%d-%H%M%S)")

for part in $CONS_PARTS; do
  [[ $part =~ ^(latency|drain|ingest|longpoll)$ ]] || die "unknown part '$part' (latency drain ingest longpoll)"
done
for v in CONS_SAMPLES CONS_CLI_SAMPLES CONS_DRAIN_EVENTS CONS_ROUNDS CONS_LONGPOLL FILL_ROWS BENCH_SECONDS \
  BENCH_CONNECTIONS BENCH_THREADS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer, not '${!v}'"
done
((CONS_DRAIN_EVENTS < FILL_ROWS)) || die "CONS_DRAIN_EVENTS must be below FILL_ROWS"

ensure_tools wrk sqlite3 curl openssl ss cmake ninja python3
mkdir -p "$OUT"
WORK=$OUT/work
mkdir -p "$WORK"
chmod 700 "$WORK"
install_traps
trap 'stop_all; rm -rf "$WORK"' EXIT
CLIENT=(python3 "$BENCH_DIR/consumers.py")

prepare_chronohook "$OUT/build.log"

# The database: bench/fill.sh makes it once and keeps it (FILL_ONLY=1).
FILLED=$FILL_DIR/filled.db
FILL_ONLY=1 BENCH_BUILD=0 BENCH_BUILD_DIR=$BENCH_BUILD_DIR FILL_ROWS=$FILL_ROWS FILL_DIR=$FILL_DIR \
  "$BENCH_DIR/fill.sh" || die "bench/fill.sh could not make $FILLED"

make_cert "$WORK" "$BENCH_CERT_KEY"
# Two consumers: one drains (its cursor moves), one reads and long-polls.
# Tokens are random per run, in 0600 files, never printed.
for c in drain read; do
  openssl rand -hex 24 >"$WORK/$c.token"
  chmod 600 "$WORK/$c.token"
done
PORT=$(pick_port)
ADMIN_PORT=$(pick_port)
ADMIN=127.0.0.1:$ADMIN_PORT
HOOK_URL=https://127.0.0.1:$PORT/webhook
CONFIG=$WORK/chronohook.toml
write_chronohook_config "$CONFIG" "$PORT" "$WORK/cert.pem" "$WORK/key.pem" "$FILLED" true
cat >>"$CONFIG" <<TOML

[admin]
listen = "$ADMIN"

[[consumer]]
name = "bench-drain"
token_file = "$WORK/drain.token"

[[consumer]]
name = "bench-read"
token_file = "$WORK/read.token"
TOML
"$CHRONOHOOK" migrate --config "$CONFIG" >"$OUT/migrate.log" 2>&1 || die "chronohook migrate failed (see $OUT/migrate.log)"

SERVER_LOG=$WORK/server.log
start_bg "$SERVER_LOG" "$CHRONOHOOK" serve --config "$CONFIG"
SERVER_PID=$STARTED_PID
wait_listening "$PORT" "$SERVER_PID" "$SERVER_LOG"
wait_listening "$ADMIN_PORT" "$SERVER_PID" "$SERVER_LOG"
wait_serving "$HOOK_URL"

# A running receiver keeps its (webhook, delivery_id) index in the page
# cache (bench/fill.sh explains why); the drain's rows are read once so that
# every drain round, API or sqlite3, finds them in the cache alike.
warm=$SECONDS
sql "$FILLED" "SELECT count(*) FROM events INDEXED BY events_delivery WHERE conflicts_with IS NULL;" >/dev/null
sql "$FILLED" "SELECT sum(length(payload)) FROM events WHERE seq <= $((2 * CONS_DRAIN_EVENTS));" >/dev/null
log "read the delivery index and the first $((2 * CONS_DRAIN_EVENTS)) rows into the page cache in $((SECONDS - warm)) s"

# How much of the database the page cache holds: reads by random seq or
# patient go to the disk for the rest.
RESIDENT=$(fincore --bytes --noheadings --output RES,SIZE "$FILLED" 2>/dev/null |
  awk '{ printf "%.1f of %.1f GiB (%.0f %%)", $1 / 2^30, $2 / 2^30, 100 * $1 / $2 }') || RESIDENT=unknown
log "page cache: $RESIDENT of the database resident"

RESULTS=$OUT/results.txt
: >"$RESULTS"
FSYNC=$(fsync_probe "$WORK")
log "disk: $FSYNC"

# CPU over a span, in cores: the server's and the whole machine's (the
# difference is the client, wrk and anyone else). cpu_mark, then cpu_since.
cpu_mark() {
  local -a tree
  mapfile -t tree < <(descendants "$SERVER_PID")
  CPU0=$(sum_cpu_ticks "${tree[@]}")
  BUSY0=$(machine_busy_ticks)
  T0=$(date +%s.%N)
}
cpu_since() {
  local cpu1 busy1 t1
  local -a tree
  mapfile -t tree < <(descendants "$SERVER_PID")
  cpu1=$(sum_cpu_ticks "${tree[@]}")
  busy1=$(machine_busy_ticks)
  t1=$(date +%s.%N)
  awk -v c=$((cpu1 - CPU0)) -v b=$((busy1 - BUSY0)) -v hz="$CLK_TCK" -v t0="$T0" -v t1="$t1" \
    'BEGIN { d = t1 - t0; printf "srv_cores=%.2f machine_cores=%.2f", c / hz / d, b / hz / d }'
}

# record PART ROUND NAME CMD...: runs one client measurement and keeps its
# CONS_RESULT line, tagged and with the CPU it took, in results.txt.
record() {
  local part=$1 round=$2 name=$3 line cpu
  shift 3
  cpu_mark
  line=$("$@" 2>>"$OUT/client.log" | grep '^CONS_RESULT ') || die "$part / $name failed (see $OUT/client.log)"
  cpu=$(cpu_since)
  echo "$part round=$round name=$name ${line#CONS_RESULT } $cpu" >>"$RESULTS"
  log "$part / $name (round $round): ${line#CONS_RESULT } $cpu"
}

part_latency() {
  local max
  max=$(max_seq "$FILLED")
  local api=("${CLIENT[@]}" latency-api --admin "$ADMIN" --token-file "$WORK/read.token" --max-seq "$max")
  local cli=("${CLIENT[@]}" latency-cli --max-seq "$max" --samples "$CONS_CLI_SAMPLES")
  local has_cli=1
  "$CHRONOHOOK" events list --help 2>/dev/null | grep -q -- --after || {
    has_cli=0
    log "this chronohook has no 'events list': CLI latencies skipped"
  }
  # Each figure draws its own random N or P (its own seed), so that one does
  # not read what the one before it just brought into the page cache; the
  # API's are then repeated with the same draw ("again"): the same reads
  # with the rows cached, to tell disk reads from the server's own time.
  local cli_cmd=(-- "$CHRONOHOOK" events list --config "$CONFIG")
  record latency 1 api-after "${api[@]}" --samples "$CONS_SAMPLES" --seed 1
  record latency 1 api-after-again "${api[@]}" --samples "$CONS_SAMPLES" --seed 1
  ((has_cli == 0)) || record latency 1 cli-after "${cli[@]}" --seed 2 "${cli_cmd[@]}"
  record latency 1 api-patient "${api[@]}" --samples "$CONS_SAMPLES" --patient --seed 3
  record latency 1 api-patient-again "${api[@]}" --samples "$CONS_SAMPLES" --patient --seed 3
  ((has_cli == 0)) || record latency 1 cli-patient "${cli[@]}" --patient --seed 4 "${cli_cmd[@]}"
}

part_drain() {
  local round
  for ((round = 1; round <= CONS_ROUNDS; round++)); do
    record drain "$round" api "${CLIENT[@]}" drain-api --admin "$ADMIN" --token-file "$WORK/drain.token" \
      --consumer bench-drain --events "$CONS_DRAIN_EVENTS"
    record drain "$round" api-json "${CLIENT[@]}" drain-api --admin "$ADMIN" --token-file "$WORK/drain.token" \
      --consumer bench-drain --events "$CONS_DRAIN_EVENTS" --parse 1
    record drain "$round" sqlite3 "${CLIENT[@]}" drain-sqlite --db "$FILLED" --events "$CONS_DRAIN_EVENTS"
  done
}

# ingest_once ROUND LABEL: one keep-alive wrk run; with LABEL=consumer a
# drain-loop client reads through next (from the start, rewinding) all along.
ingest_once() {
  local round=$1 label=$2 drainer=
  if [[ $label == consumer ]]; then
    start_bg "$WORK/drain-loop.out" "${CLIENT[@]}" drain-loop --admin "$ADMIN" --token-file "$WORK/drain.token" \
      --consumer bench-drain --events "$CONS_DRAIN_EVENTS"
    drainer=$STARTED_PID
  fi
  if ((BENCH_WARMUP > 0)); then run_wrk keepalive "$BENCH_WARMUP" "$HOOK_URL" "warm-$(random_prefix)" "$WORK/warmup.txt"; fi
  local out=$OUT/wrk-ingest-$label-$round.txt
  cpu_mark
  run_wrk keepalive "$BENCH_SECONDS" "$HOOK_URL" "run-$(random_prefix)" "$out"
  local cpu drained=- drainer_cores=-
  cpu=$(cpu_since)
  if [[ -n $drainer ]]; then
    kill -TERM "$drainer" 2>/dev/null || true
    wait "$drainer" 2>/dev/null || true
    forget_pid "$drainer"
    drained=$(sed -n 's/^CONS_RESULT .*events_per_s=\([0-9]*\).*/\1/p' "$WORK/drain-loop.out")
    [[ -n $drained ]] || die "the draining consumer printed no result (see $WORK/drain-loop.out)"
    drainer_cores=$(sed -n 's/^CONS_RESULT .*client_cores=\([0-9.]*\).*/\1/p' "$WORK/drain-loop.out")
  fi
  local p50 p99
  p50=$(awk -v v="$(wrk_field "$out" p50_us)" 'BEGIN { printf "%.2f", v / 1000 }')
  p99=$(awk -v v="$(wrk_field "$out" p99_us)" 'BEGIN { printf "%.2f", v / 1000 }')
  echo "ingest round=$round name=$label req_per_s=$(wrk_rps "$out") p50_ms=$p50 p99_ms=$p99 non2xx=$(wrk_field "$out" non2xx) drain_events_per_s=$drained drainer_cores=$drainer_cores $cpu" >>"$RESULTS"
  log "ingest / $label (round $round): $(wrk_rps "$out") req/s, p99 $p99 ms, consumer $drained events/s"
}

part_ingest() {
  local round
  # Alternating, and the order flips each round, so that a slow minute on a
  # shared machine does not always land on the same side.
  for ((round = 1; round <= CONS_ROUNDS; round++)); do
    if ((round % 2)); then
      ingest_once "$round" alone
      ingest_once "$round" consumer
    else
      ingest_once "$round" consumer
      ingest_once "$round" alone
    fi
  done
}

part_longpoll() {
  sleep 1 # let the ingest's last commits and checkpoints settle
  record longpoll 1 longpoll "${CLIENT[@]}" longpoll --admin "$ADMIN" --token-file "$WORK/read.token" \
    --hook "$HOOK_URL" --secret "$BENCH_SECRET" --body-fmt "$BENCH_DIR/hook-body.fmt" \
    --max-seq "$(max_seq "$FILLED")" --count "$CONS_LONGPOLL"
}

for part in $CONS_PARTS; do "part_$part"; done

stop_pid "$SERVER_PID"
tail -n 50 "$SERVER_LOG" >"$OUT/server.log"
{
  echo "chronohook $REVISION: consumers on $(max_seq "$FILLED") events, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r)"
  echo "disk: $FSYNC; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "page cache before the first measurement: $RESIDENT of the database resident; $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM"
  echo "ingest load: wrk keep-alive, $BENCH_THREADS threads, $BENCH_CONNECTIONS connections, ${BENCH_SECONDS}s after ${BENCH_WARMUP}s warm-up"
  echo
  "${CLIENT[@]}" report "$RESULTS"
} | tee "$OUT/table.txt"
log "results in $OUT (table.txt, results.txt)"

#!/usr/bin/env bash
# bench/run.sh: builds chronohook (Release), then starts each target on
# loopback with the same certificate, drives each with the same wrk load
# (bench/hooks.lua) in each load shape, and prints one table.
# bench/README.md explains the targets and how to read the table.
#
# Environment (defaults in brackets):
#   BENCH_SECONDS      measured seconds per run [20]
#   BENCH_WARMUP       unmeasured seconds of the same load first [3]
#   BENCH_CONNECTIONS  wrk connections [32]
#   BENCH_THREADS      wrk threads [2]
#   BENCH_TARGETS      [chronohook chronohook-nolog nginx node flask]
#   BENCH_SHAPES       [keepalive newconn]
#   BENCH_REPEAT       rounds over all targets; the table shows medians [1]
#   BENCH_CERT_KEY     ec (P-256) or rsa (2048) [ec]
#   BENCH_BUILD        1 builds first, 0 uses the existing binary [1]
#   BENCH_BUILD_DIR    [build-bench]
#   BENCH_OUT          where results go [bench/out/run-<date>]
#   BENCH_KEEP         1 keeps the databases and full server logs [0]
#   BENCH_B_BINARY     another chronohook binary, run as target chronohook-b
#                      with the same settings as chronohook: an A/B of two
#                      builds in the same run, rounds alternating []
#
# A target chronohook+NAME is chronohook with bench/sql/NAME.sql run on its
# fresh database after `chronohook migrate` (e.g. chronohook+idx-none drops
# the consumer indexes): an A/B of schema variants with one binary.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

BENCH_SECONDS=${BENCH_SECONDS:-20}
BENCH_WARMUP=${BENCH_WARMUP:-3}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_TARGETS=${BENCH_TARGETS:-chronohook chronohook-nolog nginx node flask}
BENCH_SHAPES=${BENCH_SHAPES:-keepalive newconn}
BENCH_REPEAT=${BENCH_REPEAT:-1}
BENCH_CERT_KEY=${BENCH_CERT_KEY:-ec}
BENCH_BUILD=${BENCH_BUILD:-1}
BENCH_BUILD_DIR=${BENCH_BUILD_DIR:-$REPO_DIR/build-bench}
BENCH_OUT=$(realpath -m "${BENCH_OUT:-$BENCH_DIR/out/run-$(date +%Y%m%d-%H%M%S)}") # configs name files by absolute path
BENCH_KEEP=${BENCH_KEEP:-0}

for target in $BENCH_TARGETS; do
  case "$target" in
    chronohook | chronohook-nolog | nginx | node | flask) ;;
    chronohook+*)
      [[ ${target#chronohook+} =~ ^[A-Za-z0-9_-]+$ && -f $BENCH_DIR/sql/${target#chronohook+}.sql ]] ||
        die "target $target needs bench/sql/${target#chronohook+}.sql (SQL run after chronohook migrate)"
      ;;
    chronohook-b)
      [[ -n ${BENCH_B_BINARY:-} && -x ${BENCH_B_BINARY:-} ]] ||
        die "target chronohook-b needs BENCH_B_BINARY, an executable chronohook binary"
      BENCH_B_BINARY=$(realpath "$BENCH_B_BINARY")
      ;;
    *) die "unknown target '$target' (chronohook chronohook-nolog chronohook-b chronohook+NAME nginx node flask)" ;;
  esac
done
for shape in $BENCH_SHAPES; do
  [[ $shape == keepalive || $shape == newconn ]] || die "unknown shape '$shape' (keepalive newconn)"
done
[[ $BENCH_SECONDS =~ ^[1-9][0-9]*$ && $BENCH_WARMUP =~ ^[0-9]+$ ]] || die "BENCH_SECONDS and BENCH_WARMUP are whole seconds"
[[ $BENCH_CONNECTIONS =~ ^[1-9][0-9]*$ && $BENCH_THREADS =~ ^[1-9][0-9]*$ && $BENCH_REPEAT =~ ^[1-9][0-9]*$ ]] ||
  die "BENCH_CONNECTIONS, BENCH_THREADS and BENCH_REPEAT are positive integers"
((BENCH_CONNECTIONS >= BENCH_THREADS)) || die "wrk needs at least one connection per thread"

# Only what the chosen targets need.
tools=(wrk python3 sqlite3 curl openssl ss cmake ninja)
[[ " $BENCH_TARGETS " == *" nginx "* ]] && tools+=(nginx)
[[ " $BENCH_TARGETS " == *" node "* ]] && tools+=(node npm)
[[ " $BENCH_TARGETS " == *" flask "* ]] && tools+=(gunicorn)
ensure_tools "${tools[@]}"
# Flask must import in the Python that runs gunicorn (Debian's), which need
# not be the first python3 on PATH (pyenv, a virtualenv).
gunicorn_python() {
  local shebang
  shebang=$(sed -n '1s/^#! *//p' "$(command -v gunicorn)")
  [[ $shebang == */env\ * ]] && shebang=${shebang##* }
  echo "${shebang:-python3}"
}
if [[ " $BENCH_TARGETS " == *" flask "* ]] && ! "$(gunicorn_python)" -c 'import flask' 2>/dev/null; then
  "$REPO_DIR/scripts/install-deps.sh" bench || die "could not install python3-flask"
  "$(gunicorn_python)" -c 'import flask' 2>/dev/null || die "Flask does not import in $(gunicorn_python), which runs gunicorn"
fi

mkdir -p "$BENCH_OUT"
WORK=$BENCH_OUT/work
mkdir -p "$WORK"
# The databases live under bench/out (the repository's disk), not in a
# tmpfs: fsync must cost what it costs on a real disk.
install_traps
trap 'stop_all; [[ $BENCH_KEEP == 1 ]] || rm -rf "$WORK"' EXIT

prepare_chronohook "$BENCH_OUT/build.log"
[[ " $BENCH_TARGETS " != *" chronohook-b "* ]] ||
  REVISION="$REVISION; chronohook-b: $BENCH_B_BINARY (binary of $(date -u -r "$BENCH_B_BINARY" +%Y-%m-%dT%H:%MZ))"

if [[ " $BENCH_TARGETS " == *" node "* && ! -d $BENCH_DIR/peers/node/node_modules ]]; then
  log "installing the Node peer's dependencies (npm ci)"
  (cd "$BENCH_DIR/peers/node" && npm ci --no-audit --no-fund) >"$BENCH_OUT/npm.log" 2>&1 ||
    die "npm ci failed (see $BENCH_OUT/npm.log)"
fi

make_cert "$WORK" "$BENCH_CERT_KEY"
CERT=$WORK/cert.pem
KEY=$WORK/key.pem
CORES=$(nproc)
# The peers create chronohook's first schema, so that every target stores the
# same row. Later migrations need chronohook's own SQL functions (0002 hashes
# existing payloads), and what they add (payload_sha256, conflicts_with) is
# more than a peer written the usual way would keep.
SCHEMA_SQL=$WORK/schema.sql
cat "$REPO_DIR"/migrations/0001_events.sql >"$SCHEMA_SQL"

# start_target TARGET DIR PORT: starts one target, leaves its PID in TARGET_PID.
TARGET_PID=
start_target() {
  local target=$1 dir=$2 port=$3
  case "$target" in
    chronohook | chronohook-nolog | chronohook-b | chronohook+*)
      local access_log=true binary=$CHRONOHOOK
      [[ $target == chronohook-nolog ]] && access_log=false
      [[ $target == chronohook-b ]] && binary=$BENCH_B_BINARY
      write_chronohook_config "$dir/chronohook.toml" "$port" "$CERT" "$KEY" "$dir/events.db" "$access_log"
      "$binary" migrate --config "$dir/chronohook.toml" >"$dir/migrate.log" 2>&1 ||
        die "chronohook migrate failed (see $dir/migrate.log)"
      if [[ $target == chronohook+* ]]; then
        sql -bail "$dir/events.db" ".read $BENCH_DIR/sql/${target#chronohook+}.sql" >>"$dir/migrate.log" 2>&1 ||
          die "bench/sql/${target#chronohook+}.sql failed (see $dir/migrate.log)"
      fi
      start_bg "$dir/server.log" "$binary" serve --config "$dir/chronohook.toml"
      ;;
    nginx)
      mkdir -p "$dir/nginx"
      sed -e "s|@PREFIX@|$dir/nginx|g" -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$CORES|g" \
        -e "s|@CERT@|$CERT|g" -e "s|@KEY@|$KEY|g" -e "s|@TLS12_CIPHERS@|$TLS12_CIPHERS|g" \
        "$BENCH_DIR/nginx.conf.template" >"$dir/nginx/nginx.conf"
      start_bg "$dir/server.log" nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -e "$dir/nginx/error.log"
      ;;
    node)
      start_bg "$dir/server.log" env PORT="$port" TLS_CERT="$CERT" TLS_KEY="$KEY" DB_PATH="$dir/events.db" \
        WEBHOOK_SECRET="$BENCH_SECRET" SCHEMA_SQL="$SCHEMA_SQL" node "$BENCH_DIR/peers/node/server.js"
      ;;
    flask)
      start_bg "$dir/server.log" env BENCH_PORT="$port" TLS_CERT="$CERT" TLS_KEY="$KEY" DB_PATH="$dir/events.db" \
        WEBHOOK_SECRET="$BENCH_SECRET" SCHEMA_SQL="$SCHEMA_SQL" \
        gunicorn --chdir "$BENCH_DIR/peers/flask" -c "$BENCH_DIR/peers/flask/gunicorn.conf.py" app:app
      ;;
  esac
  TARGET_PID=$STARTED_PID
}

stores() { [[ $1 != nginx ]]; }

# The target behaves like a receiver before it is measured: a signed hook is
# stored, the same delivery again is answered 200 without a second row, and a
# wrong secret is refused. nginx answers 200 to anything and is only probed.
smoke_check() {
  local target=$1 url=$2 db=$3 id code
  id="smoke-$(random_prefix)"
  code=$(post_hook "$url" "$id")
  [[ $code == 200 ]] || die "$target: a signed hook got $code, not 200"
  stores "$target" || return 0
  code=$(post_hook "$url" "$id")
  [[ $code == 200 ]] || die "$target: a repeated delivery got $code, not 200"
  code=$(post_hook "$url" "smoke-bad-$(random_prefix)" "not-the-secret-0123456789")
  [[ $code == 401 ]] || die "$target: a wrong signature got $code, not 401"
  local n
  n=$(sql "$db" "PRAGMA busy_timeout = 5000; SELECT count(*) FROM events WHERE delivery_id = '$id';" | tail -n 1)
  [[ $n == 1 ]] || die "$target: a delivery sent twice left $n rows, not 1"
}

RESULTS=$BENCH_OUT/results.tsv
printf 'round\ttarget\tshape\trps\tp50_ms\tp99_ms\tnon2xx\terrors\tconn_per_req\tsrv_cores\twrk_cores\tother_cores\tidle_rss_kb\tpeak_rss_kb\tpeak_sampled_rss_kb\trows\tok\tcheck\trows_per_commit\n' >"$RESULTS"
FSYNC=$(fsync_probe "$WORK")
log "disk: $FSYNC"

# measure TARGET SHAPE ROUND: one fresh server, one fresh database, one wrk run.
measure() {
  local target=$1 shape=$2 round=$3
  local dir=$WORK/$target-$shape-$round port url
  mkdir -p "$dir"
  port=$(pick_port)
  url="https://127.0.0.1:$port/webhook"
  log "$target / $shape (round $round): starting on port $port"
  start_target "$target" "$dir" "$port"
  local pid=$TARGET_PID
  wait_listening "$port" "$pid" "$dir/server.log"
  # Idle RSS: listening and settled (gunicorn's workers booted), before the
  # first request. Then it must answer a signed hook before it is measured.
  sleep 2
  local -a tree
  mapfile -t tree < <(descendants "$pid")
  local idle_kb
  idle_kb=$(sum_status_kb VmRSS "${tree[@]}")
  wait_serving "$url"
  smoke_check "$target" "$url" "$dir/events.db"

  if ((BENCH_WARMUP > 0)); then
    log "$target / $shape: ${BENCH_WARMUP}s warm-up"
    run_wrk "$shape" "$BENCH_WARMUP" "$url" "warm-$(random_prefix)" "$dir/warmup.txt"
  fi
  local seq0=0
  if stores "$target"; then
    settle_rows "$dir/events.db" 0 >/dev/null
    seq0=$(max_seq "$dir/events.db")
  fi

  mapfile -t tree < <(descendants "$pid")
  local cpu0 busy0 opens0 sampler_pid
  cpu0=$(sum_cpu_ticks "${tree[@]}")
  busy0=$(machine_busy_ticks)
  opens0=$(tcp_active_opens)
  echo 0 >"$dir/sampled_rss_kb"
  start_bg /dev/null rss_sampler "$pid" "$dir/sampled_rss_kb"
  sampler_pid=$STARTED_PID

  log "$target / $shape: ${BENCH_SECONDS}s, $BENCH_CONNECTIONS connections, $BENCH_THREADS wrk threads"
  local out=$BENCH_OUT/wrk-$target-$shape-$round.txt
  run_wrk "$shape" "$BENCH_SECONDS" "$url" "run-$(random_prefix)" "$out"

  # Peak RSS: the sum of every process's high-water mark (VmHWM), read while
  # the server still runs; also the largest summed VmRSS the sampler saw.
  mapfile -t tree < <(descendants "$pid")
  local cpu1 busy1 opens1 peak_kb sampled_kb
  cpu1=$(sum_cpu_ticks "${tree[@]}")
  busy1=$(machine_busy_ticks)
  opens1=$(tcp_active_opens)
  peak_kb=$(sum_status_kb VmHWM "${tree[@]}")
  stop_pid "$sampler_pid"
  sampled_kb=$(<"$dir/sampled_rss_kb")

  local rows=- check=-
  local ok non2xx sent answered errors
  ok=$(wrk_field "$out" ok)
  non2xx=$(wrk_field "$out" non2xx)
  sent=$(wrk_field "$out" sent)
  answered=$(wrk_field "$out" answered)
  errors=$(($(wrk_field "$out" err_connect) + $(wrk_field "$out" err_read) + $(wrk_field "$out" err_write) + $(wrk_field "$out" err_timeout)))
  if stores "$target"; then
    rows=$(settle_rows "$dir/events.db" "$seq0")
    # Every 2xx must be a row. wrk stops with up to one request per
    # connection sent but not yet answered; the server still commits those,
    # so rows may exceed 2xx by at most that many.
    local unread=$((sent - answered))
    if ((rows == ok)); then
      check=OK
    elif ((rows > ok && rows - ok <= unread)); then
      check="OK(+$((rows - ok)) unread)"
    else
      check=MISMATCH
    fi
  fi
  stop_pid "$pid"
  if [[ $BENCH_KEEP != 1 ]]; then tail -n 50 "$dir/server.log" >"$BENCH_OUT/server-$target-$shape-$round.log"; fi
  # chronohook logs its group commits on exit: "N hook(s) stored, ...,
  # B batch(es)": rows per commit over its life (probes and warm-up included).
  local per_commit=-
  per_commit=$(sed -n 's/.*stopped: \([0-9]*\) hook(s) stored, [0-9]* duplicate(s), \([0-9]*\) batch(es), largest batch \([0-9]*\).*/\1 \2 \3/p' \
    "$dir/server.log" | awk '$2 > 0 { printf "%.1f (max %d)", $1 / $2, $3 }')
  [[ -n $per_commit ]] || per_commit=-

  local duration_s rps p50 p99 wrk_cpu conn_per_req srv_cores wrk_cores other_cores
  duration_s=$(awk -v d="$(wrk_field "$out" duration_us)" 'BEGIN { print d / 1e6 }')
  rps=$(wrk_rps "$out")
  p50=$(awk -v v="$(wrk_field "$out" p50_us)" 'BEGIN { printf "%.2f", v / 1000 }')
  p99=$(awk -v v="$(wrk_field "$out" p99_us)" 'BEGIN { printf "%.2f", v / 1000 }')
  wrk_cpu=$(tail -n 1 "$out.cpu")
  conn_per_req=$(awk -v o=$((opens1 - opens0)) -v n="$answered" 'BEGIN { printf "%.2f", n ? o / n : 0 }')
  srv_cores=$(awk -v t=$((cpu1 - cpu0)) -v hz="$CLK_TCK" -v d="$duration_s" 'BEGIN { printf "%.2f", t / hz / d }')
  wrk_cores=$(awk -v c="$wrk_cpu" -v d="$duration_s" 'BEGIN { split(c, a, " "); printf "%.2f", (a[1] + a[2]) / d }')
  # Whatever else kept the machine busy during the run (other people's
  # builds, the sampler): the closer to 0, the more the numbers can be trusted.
  other_cores=$(awk -v b=$((busy1 - busy0)) -v hz="$CLK_TCK" -v d="$duration_s" -v s="$srv_cores" -v w="$wrk_cores" \
    'BEGIN { o = b / hz / d - s - w; printf "%.2f", o < 0 ? 0 : o }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$target" "$shape" "$rps" "$p50" "$p99" \
    "$non2xx" "$errors" "$conn_per_req" "$srv_cores" "$wrk_cores" "$other_cores" "$idle_kb" "$peak_kb" "$sampled_kb" "$rows" "$ok" \
    "$check" "$per_commit" >>"$RESULTS"
  log "$target / $shape (round $round): $rps req/s, p99 $p99 ms, rows $check"
}

# Rounds go over every target in turn, so that a slow minute on a shared
# machine hurts every target a little rather than one target a lot.
for ((round = 1; round <= BENCH_REPEAT; round++)); do
  for target in $BENCH_TARGETS; do
    for shape in $BENCH_SHAPES; do measure "$target" "$shape" "$round"; done
  done
done

{
  echo "chronohook $REVISION, bench of $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r)"
  echo "disk: $FSYNC"
  echo "load: wrk $BENCH_THREADS threads, $BENCH_CONNECTIONS connections, ${BENCH_SECONDS}s measured after ${BENCH_WARMUP}s warm-up; ~1.7 KB signed hooks; ${BENCH_CERT_KEY} certificate"
  ((BENCH_REPEAT == 1)) || echo "each line: the median of $BENCH_REPEAT rounds (every round in results.tsv)"
  echo
  "$BENCH_DIR/report.awk" "$RESULTS"
} | tee "$BENCH_OUT/table.txt"
log "results in $BENCH_OUT (table.txt, results.tsv, wrk-*.txt)"

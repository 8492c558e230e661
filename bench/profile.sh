#!/usr/bin/env bash
# bench/profile.sh [keepalive|newconn]: where does chronohook's CPU go under
# the bench load? Builds chronohook with symbols and frame pointers (Release
# optimisation, its own build directory), runs it under the same wrk load as
# bench/run.sh, samples it with `perf record -e cpu-clock --call-graph dwarf`
# and prints CPU per request by activity (bench/profile-classify.awk), by
# thread, and the hottest functions.
#
# perf's cpu-clock is a software event, so this works on VMs without
# hardware counters. Needs perf (Debian: linux-perf) and root or
# kernel.perf_event_paranoid <= 1.
#
# Environment (defaults in brackets): BENCH_SECONDS [5], BENCH_WARMUP [2],
# BENCH_CONNECTIONS [32], BENCH_THREADS [2], BENCH_CERT_KEY [ec],
# BENCH_BUILD [1], PROFILE_BUILD_DIR [build-bench-prof],
# PROFILE_ACCESS_LOG [true], PROFILE_FREQ (samples/s) [499]
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

SHAPE=${1:-keepalive}
[[ $SHAPE == keepalive || $SHAPE == newconn ]] || die "usage: bench/profile.sh [keepalive|newconn]"
BENCH_SECONDS=${BENCH_SECONDS:-5}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32}
BENCH_THREADS=${BENCH_THREADS:-2}
BENCH_CERT_KEY=${BENCH_CERT_KEY:-ec}
BENCH_BUILD=${BENCH_BUILD:-1}
PROFILE_BUILD_DIR=${PROFILE_BUILD_DIR:-$REPO_DIR/build-bench-prof}
PROFILE_ACCESS_LOG=${PROFILE_ACCESS_LOG:-true}
PROFILE_FREQ=${PROFILE_FREQ:-499}
OUT=$BENCH_DIR/out/profile-$SHAPE-$(date +%Y%m%d-%H%M%S)

ensure_tools perf wrk sqlite3 curl openssl ss cmake ninja
perf record -q -e cpu-clock -o /dev/null true >/dev/null 2>&1 ||
  die "perf cannot sample here (try as root, or sysctl kernel.perf_event_paranoid=1)"

mkdir -p "$OUT"
install_traps

if [[ $BENCH_BUILD == 1 ]]; then
  log "building chronohook with symbols and frame pointers in $PROFILE_BUILD_DIR"
  {
    cmake -S "$REPO_DIR" -B "$PROFILE_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS="-g -fno-omit-frame-pointer" -DCHRONOHOOK_TESTS=OFF &&
      cmake --build "$PROFILE_BUILD_DIR" --target chronohook
  } >"$OUT/build.log" 2>&1 || {
    tail -n 30 "$OUT/build.log" >&2
    die "the profiling build failed"
  }
fi
CHRONOHOOK=$PROFILE_BUILD_DIR/chronohook
[[ -x $CHRONOHOOK ]] || die "$CHRONOHOOK is missing: run with BENCH_BUILD=1"

make_cert "$OUT" "$BENCH_CERT_KEY"
port=$(pick_port)
url="https://127.0.0.1:$port/webhook"
write_chronohook_config "$OUT/chronohook.toml" "$port" "$OUT/cert.pem" "$OUT/key.pem" "$OUT/events.db" "$PROFILE_ACCESS_LOG"
start_bg "$OUT/server.log" "$CHRONOHOOK" serve --config "$OUT/chronohook.toml"
server_pid=$STARTED_PID
wait_listening "$port" "$server_pid" "$OUT/server.log"
wait_serving "$url"
if ((BENCH_WARMUP > 0)); then run_wrk "$SHAPE" "$BENCH_WARMUP" "$url" "warm-$(random_prefix)" "$OUT/warmup.txt"; fi

log "profiling chronohook (PID $server_pid) for ${BENCH_SECONDS}s of $SHAPE load"
start_bg "$OUT/perf-record.log" perf record -e cpu-clock -F "$PROFILE_FREQ" --call-graph dwarf,16384 \
  -p "$server_pid" -o "$OUT/perf.data"
perf_pid=$STARTED_PID
sleep 0.5 # perf attaches to every thread before the load starts
run_wrk "$SHAPE" "$BENCH_SECONDS" "$url" "run-$(random_prefix)" "$OUT/wrk.txt"
stop_pid "$perf_pid" # SIGTERM: perf record finishes writing perf.data
stop_pid "$server_pid"
# Keep the tail of the log (its last line is the store's summary), not an
# access line per hook.
tail -n 50 "$OUT/server.log" >"$OUT/server.log.tail" && mv "$OUT/server.log.tail" "$OUT/server.log"

requests=$(wrk_field "$OUT/wrk.txt" requests)
# perf started 0.5 s before wrk: scale requests to the sampled span.
sampled_ms=$(perf report -i "$OUT/perf.data" --header-only 2>/dev/null | awk '/sample duration/ { print $5 }')
run_ms=$(awk -v d="$(wrk_field "$OUT/wrk.txt" duration_us)" 'BEGIN { print d / 1000 }')
span_requests=$(awk -v r="$requests" -v s="$sampled_ms" -v d="$run_ms" 'BEGIN { printf "%d", (s > d ? r : r * s / d) }')
{
  echo "chronohook profile, $SHAPE, $(date -u +%Y-%m-%dT%H:%MZ), access_log=$PROFILE_ACCESS_LOG"
  echo "$(wrk_rps "$OUT/wrk.txt") req/s under perf; p50 $(wrk_field "$OUT/wrk.txt" p50_us) us, p99 $(wrk_field "$OUT/wrk.txt" p99_us) us"
  tail -n 1 "$OUT/server.log"
  echo
  perf script -i "$OUT/perf.data" 2>/dev/null |
    awk -v FREQ="$PROFILE_FREQ" -v REQUESTS="$span_requests" -f "$BENCH_DIR/profile-classify.awk"
  echo
  echo "hottest functions (self time):"
  perf report -i "$OUT/perf.data" --stdio --no-children -g none --sort dso,sym --percent-limit 1 2>/dev/null |
    grep -v -e '^#' -e '^$' | sed -E 's/nlohmann::json_abi[^ ]*detail::lexer<.*>::/nlohmann::lexer<...>::/' | cut -c1-150
} | tee "$OUT/profile.txt"
log "perf data and report in $OUT (perf report -i $OUT/perf.data)"

# shellcheck shell=bash
# Helpers shared by bench/run.sh and bench/fill.sh. Sourced, not run.
#
# Process discipline: every process the bench starts goes through start_bg,
# which records its PID; stop_all (run from the EXIT/INT/TERM trap) stops each
# of them, and their descendants, by PID. Nothing is ever killed by name.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
BENCH_SECRET="bench-secret-0123456789abcdef0123456789"
# The TLS 1.2 cipher list of src/net/tls.cpp, given to every target.
# shellcheck disable=SC2034  # used by run.sh
TLS12_CIPHERS="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
# shellcheck disable=SC2034  # used by run.sh
CLK_TCK=$(getconf CLK_TCK)

BENCH_PIDS=()

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Installs what is missing through the project's installer (Debian packages).
ensure_tools() {
  local missing=() cmd
  for cmd in "$@"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd"); done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "missing ${missing[*]}: installing the bench packages"
  "$REPO_DIR/scripts/install-deps.sh" bench ||
    die "could not install ${missing[*]}; on Debian 12: apt-get install -y wrk nginx-light nodejs npm python3-flask gunicorn sqlite3 curl"
  for cmd in "${missing[@]}"; do command -v "$cmd" >/dev/null 2>&1 || die "$cmd is still missing"; done
}

# Builds the daemon in Release, in its own build directory so that it never
# disturbs a developer's Debug or sanitizer build.
build_release() {
  local build_dir=$1 build_log=$2
  log "building chronohook (Release) in $build_dir (log: $build_log)"
  if ! {
    cmake -S "$REPO_DIR" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCHRONOHOOK_TESTS=OFF &&
      cmake --build "$build_dir" --target chronohook
  } >"$build_log" 2>&1; then
    tail -n 30 "$build_log" >&2
    die "the Release build failed"
  fi
}

# A free loopback port. The kernel picks it; it is released again before the
# target binds it, which is racy in theory and fine on a bench machine.
pick_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# A self-signed certificate for localhost that every target serves.
# BENCH_CERT_KEY=ec (P-256, what certbot issues by default) or rsa (2048):
# the key type decides the cost of every full handshake.
make_cert() {
  local dir=$1 kind=${2:-ec}
  local -a keyopt
  case "$kind" in
    ec) keyopt=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
    rsa) keyopt=(-newkey rsa:2048) ;;
    *) die "BENCH_CERT_KEY must be ec or rsa, not '$kind'" ;;
  esac
  openssl req -x509 -nodes "${keyopt[@]}" -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 || die "openssl could not make a certificate"
  chmod 600 "$dir/key.pem"
}

# Writes a chronohook config. Production defaults everywhere except what a
# loopback bench must set: the address, the certificate and the database.
write_chronohook_config() {
  local file=$1 port=$2 cert=$3 key=$4 db=$5 access_log=$6
  cat >"$file" <<TOML
[server]
listen = "127.0.0.1:$port"
tls_cert = "$cert"
tls_key = "$key"
threads = 0

[storage]
path = "$db"

[log]
level = "info"
access_log = $access_log

[[webhook]]
name = "main"
path = "/webhook"
secret = "$BENCH_SECRET"
TOML
  chmod 600 "$file"
}

# start_bg LOGFILE CMD... : runs CMD in the background, output to LOGFILE,
# and records its PID. The PID is left in STARTED_PID.
STARTED_PID=
start_bg() {
  local logfile=$1
  shift
  "$@" >"$logfile" 2>&1 &
  STARTED_PID=$!
  BENCH_PIDS+=("$STARTED_PID")
}

# PID and all its descendants, parents first.
descendants() {
  local pid=$1 child task
  [[ -d /proc/$pid ]] || return 0
  echo "$pid"
  for task in /proc/"$pid"/task/*/children; do
    [[ -r $task ]] || continue
    for child in $(<"$task"); do descendants "$child"; done
  done
}

# Stops one process we started, and whatever it started, by PID: SIGTERM to
# the parent (nginx, gunicorn and chronohook shut their workers down on it),
# then SIGKILL for anything still there after a grace period.
stop_pid() {
  local pid=$1 grace=${2:-15} i p
  local -a tree
  mapfile -t tree < <(descendants "$pid")
  if [[ ${#tree[@]} -gt 0 ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    for p in "${tree[@]}"; do
      if kill -0 "$p" 2>/dev/null; then
        log "PID $p did not stop on SIGTERM: SIGKILL"
        kill -KILL "$p" 2>/dev/null || true
      fi
    done
  fi
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}

# Takes PID off the list of processes to stop on exit (it has exited).
forget_pid() {
  local p
  local -a keep=()
  for p in "${BENCH_PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]+"${keep[@]}"}")
}

stop_all() {
  local i
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${BENCH_PIDS[i]}" 5; done
}

# Installs the traps: stop everything we started on exit, error or Ctrl-C.
install_traps() {
  trap 'stop_all' EXIT
  trap 'log "interrupted"; exit 130' INT
  trap 'log "terminated"; exit 143' TERM
}

# Waits until something listens on 127.0.0.1:PORT, without connecting (a
# probe connection would count as load and, for TLS servers, hang in the
# handshake). Fails early if the process died.
wait_listening() {
  local port=$1 pid=$2 logfile=$3 timeout=${4:-60} i
  for ((i = 0; i < timeout * 10; i++)); do
    if ss -Hltn "sport = :$port" | grep -q .; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$logfile" >&2
      die "the server exited before listening (log: $logfile)"
    fi
    sleep 0.1
  done
  tail -n 20 "$logfile" >&2
  die "nothing listens on port $port after ${timeout}s (log: $logfile)"
}

# Sum of a /proc/PID/status field (VmRSS, VmHWM) over PIDs, in kB.
sum_status_kb() {
  local field=$1 pid key value total=0
  shift
  for pid in "$@"; do
    [[ -r /proc/$pid/status ]] || continue
    while read -r key value _; do
      if [[ $key == "$field:" ]]; then
        total=$((total + value))
        break
      fi
    done <"/proc/$pid/status" || true
  done
  echo "$total"
}

# utime + stime of PIDs, in clock ticks.
sum_cpu_ticks() {
  local pid stat rest total=0
  local -a f
  for pid in "$@"; do
    [[ -r /proc/$pid/stat ]] || continue
    stat=$(<"/proc/$pid/stat") || continue
    rest=${stat##*) }   # the command name may contain spaces; fields follow ") "
    read -r -a f <<<"$rest"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# Samples the summed VmRSS of a process tree every 200 ms and keeps the
# largest value in OUTFILE. Runs in the background until stopped by PID.
rss_sampler() {
  local root=$1 outfile=$2 max=0 now tick
  local -a tree
  # read -t on a pipe nobody writes to is a sleep that forks no process.
  exec {tick}<> <(:)
  while :; do
    mapfile -t tree < <(descendants "$root")
    now=$(sum_status_kb VmRSS "${tree[@]}")
    if ((now > max)); then
      max=$now
      echo "$max" >"$outfile"
    fi
    read -r -t 0.2 -u "$tick" _ || true
  done
}

# CPU ticks the whole machine spent busy so far (everything but idle and
# iowait; steal counts as busy, it was not ours to use).
machine_busy_ticks() {
  local _cpu user nice system _idle _iowait irq softirq steal _rest
  read -r _cpu user nice system _idle _iowait irq softirq steal _rest </proc/stat
  echo $((user + nice + system + irq + softirq + steal))
}

# What is being measured: the commit and whether the tree has local changes
# (others may be editing it while the bench runs). Read-only git.
# prepare_chronohook BUILD_LOG: builds the Release binary when BENCH_BUILD=1
# (into BENCH_BUILD_DIR), checks it is there, and sets CHRONOHOOK to it and
# REVISION to what it was built from, for the table's header.
prepare_chronohook() {
  local build_log=$1
  REVISION=$(source_revision) # before building: the tree the build reads
  if [[ $BENCH_BUILD == 1 ]]; then build_release "$BENCH_BUILD_DIR" "$build_log"; fi
  CHRONOHOOK=$BENCH_BUILD_DIR/chronohook
  [[ -x $CHRONOHOOK ]] || die "$CHRONOHOOK is missing: run with BENCH_BUILD=1"
  # Not rebuilt: say so, since the tree may have moved on since the binary.
  [[ $BENCH_BUILD == 1 ]] || REVISION="(binary of $(date -u -r "$CHRONOHOOK" +%Y-%m-%dT%H:%MZ), not rebuilt; tree now $REVISION)"
}

source_revision() {
  local rev
  rev=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null) || {
    echo "unknown revision"
    return
  }
  if [[ -n $(git -C "$REPO_DIR" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    echo "$rev + uncommitted changes"
  else
    echo "$rev"
  fi
}

# TCP connections this network namespace opened (as a client) so far: the
# delta across a wrk run says how many connections wrk really made.
tcp_active_opens() {
  awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "ActiveOpens") c = i; h = 1 } else print $c }' /proc/net/snmp
}

# One signed hook with curl: prints the HTTP status.
post_hook() {
  local url=$1 delivery=$2 secret=${3:-$BENCH_SECRET}
  curl -sk --max-time 10 -o /dev/null -w '%{http_code}' -X POST "$url" \
    -H "X-drchrono-signature: $secret" -H 'X-drchrono-event: APPOINTMENT_MODIFY' \
    -H "X-drchrono-delivery: $delivery" -H 'Content-Type: application/json' \
    --data '{"receiver":{"id":990001},"object":{"id":1,"patient":7000000},"practice_group_id":990001}' || true
}

# Polls until STATUS 200 answers a signed hook (servers that listen before
# they can serve, like gunicorn's master before its workers are up).
wait_serving() {
  local url=$1 timeout=${2:-60} i code
  for ((i = 0; i < timeout * 5; i++)); do
    code=$(post_hook "$url" "probe-ready-$RANDOM$RANDOM")
    [[ $code == 200 ]] && return 0
    sleep 0.2
  done
  die "$url never answered a signed hook with 200 (last status: $code)"
}

sql() { sqlite3 -batch -noheader "$@"; }

max_seq() { sql "$1" 'PRAGMA busy_timeout = 5000; SELECT coalesce(max(seq), 0) FROM events;' | tail -n 1; }

rows_after() { sql "$1" "PRAGMA busy_timeout = 5000; SELECT count(*) FROM events WHERE seq > $2;" | tail -n 1; }

# Waits until the row count stops moving: requests that were in flight when
# wrk stopped are still committed by the server, after wrk has gone.
settle_rows() {
  local db=$1 after=$2 prev=-1 now i
  for ((i = 0; i < 50; i++)); do
    now=$(rows_after "$db" "$after")
    [[ $now == "$prev" ]] && break
    prev=$now
    sleep 0.3
  done
  echo "$now"
}

# run_wrk SHAPE SECONDS URL PREFIX OUTFILE: drives URL with bench/hooks.lua
# and leaves wrk's full output in OUTFILE and its CPU seconds ("user sys") in
# OUTFILE.cpu. wrk's --timeout is raised to 10 s so a slow peer is measured,
# not counted as errors.
#
# wrk runs in the background and is waited for: a shell waiting on a
# foreground child runs its traps only after the child exits, and wrk treats
# Ctrl-C as "stop and print the results" and exits 0, so a foreground wrk
# would make Ctrl-C skip one run instead of stopping the bench. `wait`
# returns as soon as a signal arrives, and the trap stops wrk by its PID.
run_wrk() {
  local shape=$1 seconds=$2 url=$3 prefix=$4 outfile=$5 pid rc=0
  # `times` must run in this shell (not in $(...)) to see wrk as its child.
  times >"$outfile.times0"
  wrk -t "$BENCH_THREADS" -c "$BENCH_CONNECTIONS" -d "${seconds}s" --timeout 10s \
    -s "$BENCH_DIR/hooks.lua" "$url" -- "$prefix" "$shape" "$BENCH_SECRET" "$BENCH_DIR/hook-body.fmt" \
    >"$outfile" 2>"$outfile.err" &
  pid=$!
  BENCH_PIDS+=("$pid")
  wait "$pid" || rc=$?
  times >"$outfile.times1"
  forget_pid "$pid"
  ((rc == 0)) || die "wrk failed with status $rc (see $outfile.err)"
  grep -q '^BENCH_RESULT ' "$outfile" || die "wrk printed no result (see $outfile)"
  # The second line of `times` is the CPU of reaped children: wrk's, here.
  awk 'function s(t,   m) { m = t; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", t); sub(/s$/, "", t); return m * 60 + t }
       FNR == 2 { u[FILENAME == ARGV[1]] = s($1); y[FILENAME == ARGV[1]] = s($2) }
       END { printf "%.3f %.3f\n", u[0] - u[1], y[0] - y[1] }' "$outfile.times0" "$outfile.times1" >"$outfile.cpu"
  rm -f "$outfile.times0" "$outfile.times1"
  [[ -s $outfile.err ]] || rm -f "$outfile.err"
}

# Reads one key of the BENCH_RESULT line of a wrk output file.
wrk_field() {
  awk -v k="$2" '/^BENCH_RESULT / { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}

# Requests per second from a wrk output file (completed responses / seconds).
wrk_rps() {
  awk -v r="$(wrk_field "$1" requests)" -v d="$(wrk_field "$1" duration_us)" 'BEGIN { printf "%.0f", r / (d / 1e6) }'
}

# How long this disk takes to make an append durable (what a WAL commit
# with synchronous=FULL waits for): 200 x (append 8 KB + fdatasync) in DIR.
# Durable receivers are bound by it, so every report prints it.
fsync_probe() {
  python3 - "$1" <<'PY'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe.tmp")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
lat = []
try:
    for _ in range(200):
        os.write(fd, b"w" * 8192)
        t = time.perf_counter()
        os.fdatasync(fd)
        lat.append((time.perf_counter() - t) * 1000)
finally:
    os.close(fd)
    os.unlink(path)
lat.sort()
print("fdatasync after an 8 KB append: p50 %.2f ms, p99 %.2f ms" % (lat[100], lat[198]))
PY
}

random_prefix() { printf '%04x%04x' "$RANDOM" "$RANDOM"; }

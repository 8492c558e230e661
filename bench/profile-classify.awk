#!/usr/bin/awk -f
# Reads `perf script` output of a chronohook profile (cpu-clock samples with
# DWARF call stacks) and says where the CPU time goes: each sample is put in
# the first category whose marker appears anywhere on its stack, in the
# order below (most specific first), and per thread role (I/O, store
# writer, checkpointer, log writer), recognised by the functions on its stacks.
# Usage: perf script -i perf.data | bench/profile-classify.awk -v FREQ=499 -v REQUESTS=N
# FREQ and REQUESTS turn sample counts into CPU microseconds per request.

BEGIN { RS = ""; FS = "\n" }

function category(s) {
  if (s ~ /sqlite3WalCheckpoint/) return "sqlite: checkpoint (copies WAL into the db)"
  if (s ~ /fdatasync|fsync/) return "sqlite: fsync"
  if (s ~ /sqlite3WalFrames|walWriteOneFrame|sqlite3PagerCommitPhaseOne/) return "sqlite: write WAL frames"
  if (s ~ /sqlite3/) return "sqlite: insert, begin/commit, locks"
  if (s ~ /scan_payload|nlohmann/) return "json scan of the body"
  if (s ~ /spdlog|access_line|log_access/) return "access log"
  if (s ~ /handshake|ossl_statem|SSL_accept|tls_process_/) return "tls handshake"
  if (s ~ /SSL_shutdown|async_shutdown/) return "tls close_notify"
  if (s ~ /SSL_read/) return "tls read (decrypt)"
  if (s ~ /SSL_write/) return "tls write (encrypt)"
  if (s ~ /SSL_new|SSL_free/) return "tls object setup/teardown"
  if (s ~ /libcrypto|libssl/) return "openssl, caller not unwound"
  if (s ~ /basic_parser/) return "http parse"
  if (s ~ /tcp_sendmsg|sendmsg/) return "socket send (kernel, incl. loopback delivery)"
  if (s ~ /tcp_recvmsg|recvmsg/) return "socket recv (kernel)"
  if (s ~ /__sys_accept|accept4|do_accept/) return "accept"
  if (s ~ /tcp_close|__x64_sys_close|__sys_shutdown|sock_close/) return "socket close"
  if (s ~ /do_epoll_wait|epoll_ctl|futex_wait|futex_wake|do_futex|__schedule|finish_task_switch/) return "waits and wakeups (epoll, futex, context switches)"
  if (s ~ /EventStore::submit|EventStore::run/) return "store queue"
  if (s ~ /malloc|free|_int_|tcache/) return "malloc/free"
  if (s ~ /Handler::/) return "handler"
  return "other (asio/beast plumbing)"
}

{
  split($1, head, " ")
  tid = head[2]
  c = category($0)
  n[c]++
  total++
  thread[tid]++
  # A thread's role is the function at the bottom of its stacks.
  if ($0 ~ /EventStore::run/) role[tid] = "store writer"
  else if ($0 ~ /Checkpointer::run/) role[tid] = "checkpointer"
  else if ($0 ~ /thread_pool::worker_loop/) role[tid] = "log writer"
  else if (!(tid in role) && $0 ~ /io_context::run|scheduler::run/) role[tid] = "I/O"
}

END {
  if (total == 0) { print "no samples"; exit 1 }
  us = (FREQ > 0 && REQUESTS > 0) ? 1e6 / FREQ / REQUESTS : 0
  printf "CPU by activity (%d samples%s):\n", total, us ? sprintf(", %.0f us of CPU per request", total * us) : ""
  for (c in n) {
    if (us) printf "  %5.1f%%  %6.1f us/req  %s\n", 100 * n[c] / total, n[c] * us, c | "sort -rn"
    else printf "  %5.1f%%  %s\n", 100 * n[c] / total, c | "sort -rn"
  }
  close("sort -rn")
  print "CPU by thread:"
  for (t in thread) printf "  %5.1f%%  tid %s (%s)\n", 100 * thread[t] / total, t, (t in role) ? role[t] : "other" | "sort -rn"
  close("sort -rn")
}

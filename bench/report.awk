#!/usr/bin/awk -f
# Turns bench/run.sh's results.tsv into the printed table: one line per
# (target, shape) — the median of its rounds when BENCH_REPEAT > 1 — then the
# req/s ratios of chronohook to every other target, then the issue's targets
# with the measured value and whether each is met.
# Usage: bench/report.awk results.tsv

BEGIN { FS = "\t" }

NR == 1 {
  for (i = 1; i <= NF; i++) col[$i] = i
  next
}

{
  t = $col["target"]
  s = $col["shape"]
  k = t SUBSEP s
  if (!(k in runs)) { order[++nk] = k; tname[k] = t; sname[k] = s }
  r = ++runs[k]
  split("rps p50_ms p99_ms conn_per_req srv_cores wrk_cores other_cores idle_rss_kb peak_rss_kb", numeric, " ")
  for (i in numeric) val[k, numeric[i], r] = $col[numeric[i]]
  non2xx[k] += $col["non2xx"]
  errors[k] += $col["errors"]
  if ($col["check"] != "-") {
    stores[k] = 1
    rows[k] += $col["rows"]
    oks[k] += $col["ok"]
    if ($col["check"] == "MISMATCH") mismatch[k]++
    else if ($col["check"] != "OK") unread[k] += $col["rows"] - $col["ok"]
  }
  if (r == 1) per_commit[k] = $col["rows_per_commit"]
  if (!(t in seen_target)) { seen_target[t] = 1; targets[++nt] = t; if (length(t) > tw) tw = length(t) }
  if (!(s in seen_shape)) { seen_shape[s] = 1; shapes[++ns] = s }
}

# Median of one column over the rounds of key k.
function med(k, name,   n, i, j, x, a) {
  n = runs[k]
  for (i = 1; i <= n; i++) a[i] = val[k, name, i] + 0
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

function mib(kb) { return sprintf("%.1f", kb / 1024) }

function check_text(k) {
  if (!(k in stores)) return "- (stores nothing)"
  if (k in mismatch) return sprintf("MISMATCH in %d run(s) (%d rows, %d 2xx)", mismatch[k], rows[k], oks[k])
  if (unread[k] > 0) return sprintf("OK (%d rows, %d 2xx, +%d unread at stop)", rows[k], oks[k], unread[k])
  return sprintf("OK (%d rows, %d 2xx)", rows[k], oks[k])
}

function rps(t, s) { return ((t SUBSEP s) in runs) ? med(t SUBSEP s, "rps") : "" }

function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "" : a / b }

function verdict(value, op, limit) {
  if (value == "") return "not measured"
  if (op == ">=") return value >= limit ? "met" : sprintf("MISSED (%.0f%% short)", 100 * (1 - value / limit))
  return value < limit ? "met" : sprintf("MISSED (%.0f%% over)", 100 * (value / limit - 1))
}

function target_line(label, shown, limit_text, value, op, limit) {
  printf "%-46s %10s %8s  %s\n", label, value == "" ? "-" : shown, limit_text, verdict(value, op, limit)
}

END {
  # The target column fits the longest name (chronohook+idx-received-at).
  tw = tw > 16 ? tw : 16
  # srv, wrk, other: CPU cores used by the server, by wrk, and by anything
  # else on the machine during the run.
  printf "%-" tw "s %-9s %8s %7s %7s %7s %6s %8s %6s %6s %6s %8s %8s  %-14s %s\n", "target", "shape", "req/s", "p50 ms",
    "p99 ms", "non-2xx", "errors", "conn/req", "srv", "wrk", "other", "idle MiB", "peak MiB", "rows/commit",
    "rows vs 2xx"
  for (i = 1; i <= nk; i++) {
    k = order[i]
    printf "%-" tw "s %-9s %8d %7.2f %7.2f %7d %6d %8.2f %6.2f %6.2f %6.2f %8s %8s  %-14s %s\n", tname[k], sname[k],
      med(k, "rps"), med(k, "p50_ms"), med(k, "p99_ms"), non2xx[k], errors[k], med(k, "conn_per_req"),
      med(k, "srv_cores"), med(k, "wrk_cores"), med(k, "other_cores"), mib(med(k, "idle_rss_kb")), mib(med(k, "peak_rss_kb")),
      per_commit[k], check_text(k)
  }

  print ""
  printf "%-" (2 * tw) "s", "req/s ratio"
  for (s = 1; s <= ns; s++) printf " %10s", shapes[s]
  print ""
  for (c = 1; c <= nt; c++) {
    if (targets[c] !~ /^chronohook/) continue
    for (o = 1; o <= nt; o++) {
      if (o == c) continue
      printf "%-" (2 * tw) "s", targets[c] " / " targets[o]
      for (s = 1; s <= ns; s++) {
        r = ratio(rps(targets[c], shapes[s]), rps(targets[o], shapes[s]))
        printf " %10s", r == "" ? "-" : sprintf("%.2fx", r)
      }
      print ""
    }
  }

  # The issue's targets, judged on the headline target: access log on, the
  # production default.
  c = "chronohook"
  print ""
  printf "%-46s %10s %8s  %s\n", "targets (chronohook, access log on)", "measured", "target", "verdict"
  r = ratio(rps(c, "keepalive"), rps("nginx", "keepalive"))
  target_line("keep-alive req/s vs nginx", sprintf("%.2fx", r), ">= 0.6x", r, ">=", 0.6)
  r = ratio(rps(c, "newconn"), rps("nginx", "newconn"))
  target_line("new-connection req/s vs nginx", sprintf("%.2fx", r), ">= 0.9x", r, ">=", 0.9)
  r = ratio(rps(c, "keepalive"), rps("node", "keepalive"))
  target_line("keep-alive req/s vs Node", sprintf("%.1fx", r), ">= 8x", r, ">=", 8)
  r = ratio(rps(c, "keepalive"), rps("flask", "keepalive"))
  target_line("keep-alive req/s vs Flask", sprintf("%.1fx", r), ">= 50x", r, ">=", 50)
  v = ((c SUBSEP "keepalive") in runs) ? med(c SUBSEP "keepalive", "p99_ms") : ""
  target_line("p99 latency, 32 keep-alive connections", (v == "" ? "" : sprintf("%.1f", v)) " ms", "< 5 ms", v, "<", 5)
  # RSS: the worst chronohook line of either shape. Judged strictly:
  # 10 MB = 10e6 bytes = 9.54 MiB, 40 MB = 38.1 MiB.
  vi = ""
  vp = ""
  for (s = 1; s <= ns; s++) {
    k = c SUBSEP shapes[s]
    if (!(k in runs)) continue
    if (vi == "" || med(k, "idle_rss_kb") > vi) vi = med(k, "idle_rss_kb")
    if (vp == "" || med(k, "peak_rss_kb") > vp) vp = med(k, "peak_rss_kb")
  }
  if (vi != "") vi = vi / 1024
  if (vp != "") vp = vp / 1024
  target_line("RSS idle", sprintf("%.1f MiB", vi), "< 10 MB", vi, "<", 10e6 / 1048576)
  target_line("RSS peak under load", sprintf("%.1f MiB", vp), "< 40 MB", vp, "<", 40e6 / 1048576)
  printf "%-46s %10s %8s  %s\n", "insert rate at 10M rows vs empty", "-", ">= 0.8x", "bench/fill.sh measures it"
}

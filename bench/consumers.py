#!/usr/bin/env python3
"""Client side of bench/consumers.sh: each subcommand runs one measurement
against a running chronohook (or its database file) and prints one line,
"CONS_RESULT k=v ...", that consumers.sh parses.

  latency-api   GET /v1/events?after=N&limit=100 (or ?patient=P) for random N
  latency-cli   `chronohook events list ...` as a process, for random N or P
  drain-api     1 million events through /v1/consumers/{name}/next, a cursor
                PUT per page; --parse json.loads each page, as a consumer must
  drain-sqlite  the same rows straight from the file with the sqlite3 module
  drain-loop    drain-api forever (until SIGTERM), rewinding at the end:
                the consumer that runs beside the ingest load
  longpoll      a long-poll is waiting, a hook is sent: how long until the
                poll answers

Only the standard library, plain HTTP to the admin listener on loopback (the
bench config has no TLS there) and HTTPS to the hook listener. Tokens are read
from files and never printed.
"""

import argparse
import http.client
import json
import random
import signal
import sqlite3
import ssl
import subprocess
import sys
import threading
import time


def pct(sorted_ms, p):
    if not sorted_ms:
        return float("nan")
    i = min(len(sorted_ms) - 1, max(0, int(round(p / 100.0 * len(sorted_ms) + 0.5)) - 1))
    return sorted_ms[i]


def result(**kv):
    print("CONS_RESULT " + " ".join("%s=%s" % (k, v) for k, v in kv.items()), flush=True)


def summary(ms):
    ms = sorted(ms)
    return dict(n=len(ms), p50_ms="%.3f" % pct(ms, 50), p90_ms="%.3f" % pct(ms, 90),
                p99_ms="%.3f" % pct(ms, 99), max_ms="%.3f" % ms[-1])


class Admin:
    """One keep-alive HTTP/1.1 connection to the admin listener."""

    def __init__(self, addr, token_file):
        host, port = addr.rsplit(":", 1)
        self.host, self.port = host, int(port)
        with open(token_file) as f:
            self.auth = "Bearer " + f.read().strip()
        self.conn = None

    def request(self, method, path, body=None, timeout=30):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            headers = {"Authorization": self.auth}
            if body is not None:
                headers["Content-Type"] = "application/json"
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: once more.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            if resp.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return resp.status, data
        raise RuntimeError("unreachable")


def next_after(status, data, what):
    """The page's next_after, found without parsing the page (the server's
    rate, not the client's JSON parser, is what --parse 0 measures)."""
    if status != 200:
        raise SystemExit("%s answered %d: %s" % (what, status, data[:200]))
    i = data.rfind(b'"next_after"')
    if i < 0:
        raise SystemExit("%s: no next_after in the answer" % what)
    j = data.index(b":", i) + 1
    k = j
    while data[k:k + 1] in b" 0123456789":
        k += 1
    return int(data[j:k])


def cmd_latency_api(a):
    api = Admin(a.admin, a.token_file)
    rnd = random.Random(a.seed)
    ms, events = [], 0
    for _ in range(a.samples):
        if a.patient:
            q = "patient=%d&limit=%d" % (rnd.randint(a.patient_lo, a.patient_hi), a.limit)
        else:
            q = "after=%d&limit=%d" % (rnd.randint(0, max(0, a.max_seq - a.limit)), a.limit)
        t = time.perf_counter()
        status, data = api.request("GET", "/v1/events?" + q)
        ms.append((time.perf_counter() - t) * 1000)
        if status != 200:
            raise SystemExit("GET /v1/events?%s answered %d" % (q, status))
        events += data.count(b'"delivery_id"')
    result(events_per_request="%.1f" % (events / a.samples), **summary(ms))


def cmd_latency_cli(a):
    rnd = random.Random(a.seed)
    ms, lines = [], 0
    for _ in range(a.samples):
        if a.patient:
            extra = ["--patient", str(rnd.randint(a.patient_lo, a.patient_hi))]
        else:
            extra = ["--after", str(rnd.randint(0, max(0, a.max_seq - a.limit)))]
        argv = a.command + extra + ["--limit", str(a.limit), "--jsonl"]
        t = time.perf_counter()
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        ms.append((time.perf_counter() - t) * 1000)
        if p.returncode != 0:
            raise SystemExit("%s exited %d: %s" % (" ".join(argv[:3]), p.returncode, p.stderr[-300:]))
        lines += p.stdout.count(b"\n")
    result(events_per_request="%.1f" % (lines / a.samples), **summary(ms))


def set_cursor(api, name, seq):
    status, data = api.request("PUT", "/v1/consumers/%s/cursor?rewind=true" % name, json.dumps({"seq": seq}))
    if status not in (200, 204):
        raise SystemExit("PUT cursor answered %d: %s" % (status, data[:200]))


def drain(api, name, start, count, parse, limit, stop=None):
    """Reads `count` events after `start` through next + a cursor PUT a page.
    Returns (events, seconds, last seq)."""
    set_cursor(api, name, start)
    got, cursor = 0, start
    t = time.perf_counter()
    while got < count and not (stop and stop.is_set()):
        status, data = api.request("GET", "/v1/consumers/%s/next?limit=%d" % (name, limit))
        if parse:
            if status != 200:
                raise SystemExit("next answered %d" % status)
            page = json.loads(data)
            n, after = len(page["events"]), page["next_after"]
        else:
            after = next_after(status, data, "next")
            n = data.count(b'"delivery_id"')
        if n == 0:
            break
        status, _ = api.request("PUT", "/v1/consumers/%s/cursor" % name, json.dumps({"seq": after}))
        if status not in (200, 204):
            raise SystemExit("PUT cursor answered %d" % status)
        got += n
        cursor = after
    return got, time.perf_counter() - t, cursor


def cmd_drain_api(a):
    api = Admin(a.admin, a.token_file)
    cpu = time.process_time()
    got, secs, last = drain(api, a.consumer, a.start, a.events, a.parse, a.limit)
    result(events=got, seconds="%.3f" % secs, events_per_s="%.0f" % (got / secs), last_seq=last,
           client_cores="%.2f" % ((time.process_time() - cpu) / secs))


def cmd_drain_sqlite(a):
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    cols = ("seq, webhook, delivery_id, event, received_at, last_seen_at, attempts, object_id, patient_id, "
            "practice_group_id, payload")
    got, cursor = 0, a.start
    cpu = time.process_time()
    t = time.perf_counter()
    while got < a.events:
        rows = db.execute("SELECT %s FROM events WHERE seq > ? ORDER BY seq LIMIT ?" % cols,
                          (cursor, a.limit)).fetchall()
        if not rows:
            break
        # The same work a consumer does with an API page: every event as an
        # object with its payload parsed.
        page = [dict(seq=r[0], webhook=r[1], delivery_id=r[2], event=r[3], received_at=r[4], last_seen_at=r[5],
                     attempts=r[6], object_id=r[7], patient_id=r[8], practice_group_id=r[9],
                     payload=json.loads(r[10])) for r in rows]
        got += len(page)
        cursor = page[-1]["seq"]
    secs = time.perf_counter() - t
    result(events=got, seconds="%.3f" % secs, events_per_s="%.0f" % (got / secs), last_seq=cursor,
           client_cores="%.2f" % ((time.process_time() - cpu) / secs))


def cmd_drain_loop(a):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    api = Admin(a.admin, a.token_file)
    total, secs, cpu = 0, 0.0, time.process_time()
    while not stop.is_set():
        got, s, _ = drain(api, a.consumer, a.start, a.events, False, a.limit, stop)
        total, secs = total + got, secs + s
    result(events=total, seconds="%.3f" % secs, events_per_s="%.0f" % (total / secs if secs else 0),
           client_cores="%.2f" % ((time.process_time() - cpu) / secs if secs else 0))


def cmd_longpoll(a):
    api = Admin(a.admin, a.token_file)
    host, port = a.hook.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    path = "/" + a.hook.split("//", 1)[1].split("/", 1)[1]
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the bench's self-signed loopback certificate
    hooks = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    with open(a.body_fmt) as f:
        fmt = f.readline().rstrip("\n")
    after = a.max_seq  # the newest seq when the run starts; nothing else is sent meanwhile
    from_send, from_200 = [], []
    answer = {}

    def poll(after_seq):
        t0 = time.perf_counter()
        status, data = api.request("GET", "/v1/events?after=%d&limit=10&wait=%d" % (after_seq, a.wait),
                                   timeout=a.wait + 10)
        answer["t"] = time.perf_counter()
        answer["status"], answer["data"], answer["t0"] = status, data, t0

    prefix = "%08x" % random.getrandbits(32)
    for n in range(a.count):
        answer.clear()
        th = threading.Thread(target=poll, args=(after,))
        th.start()
        # Give the request time to reach the server and park: a hook that
        # committed before the poll arrived would be answered at once and
        # measure nothing.
        time.sleep(a.park_ms / 1000.0)
        body = fmt % (9100000000 + n, 7000000 + n % 50000, 1, 1, 9, 0, 0)
        headers = {"X-drchrono-signature": a.secret, "X-drchrono-event": "APPOINTMENT_MODIFY",
                   "X-drchrono-delivery": "%s-longpoll-%d" % (prefix, n), "Content-Type": "application/json"}
        t_send = time.perf_counter()
        hooks.request("POST", path, body=body, headers=headers)
        resp = hooks.getresponse()
        resp.read()
        t_200 = time.perf_counter()
        if resp.status != 200:
            raise SystemExit("the hook got %d" % resp.status)
        th.join(a.wait + 15)
        if "t" not in answer:
            raise SystemExit("the long-poll did not answer")
        after = next_after(answer["status"], answer["data"], "the long-poll")
        if answer["data"].count(b'"delivery_id"') != 1:
            raise SystemExit("the long-poll answered %d events, not 1" % answer["data"].count(b'"delivery_id"'))
        from_send.append((answer["t"] - t_send) * 1000)
        from_200.append((answer["t"] - t_200) * 1000)
    s, o = summary(from_send), summary(from_200)
    result(n=s["n"], from_send_p50_ms=s["p50_ms"], from_send_p99_ms=s["p99_ms"], from_send_max_ms=s["max_ms"],
           from_200_p50_ms=o["p50_ms"], from_200_p99_ms=o["p99_ms"], from_200_max_ms=o["max_ms"])


def cmd_report(a):
    """Turns results.txt (one tagged CONS_RESULT line per measurement) into
    the printed table, with medians over rounds, ratios and verdicts."""
    rows = []
    with open(a.results) as f:
        for line in f:
            part, *kv = line.split()
            rows.append(dict([("part", part)] + [x.split("=", 1) for x in kv]))

    def pick(part, name):
        return [r for r in rows if r["part"] == part and r["name"] == name]

    def med(vals):
        v = sorted(float(x) for x in vals if x not in ("-", "nan"))
        if not v:
            return float("nan")
        n = len(v)
        return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

    def verdict(ok):
        return "met" if ok else "MISSED"

    lat = [("api-after", "GET /v1/events?after=N&limit=100"),
           ("api-after-again", "  the same N again (rows cached)"),
           ("cli-after", "events list --after N --limit 100 --jsonl"),
           ("api-patient", "GET /v1/events?patient=P&limit=100"),
           ("api-patient-again", "  the same P again (rows cached)"),
           ("cli-patient", "events list --patient P --limit 100 --jsonl")]
    if any(pick("latency", n) for n, _ in lat):
        print("%-46s %6s %8s %8s %8s %8s %8s  %s" % ("latency, random N or P", "n", "p50 ms", "p90 ms", "p99 ms",
                                                    "max ms", "ev/req", "p99 < 10 ms"))
        for name, label in lat:
            for r in pick("latency", name):
                print("%-46s %6s %8.2f %8.2f %8.2f %8.2f %8s  %s" % (
                    label, r["n"], float(r["p50_ms"]), float(r["p90_ms"]), float(r["p99_ms"]), float(r["max_ms"]),
                    r["events_per_request"], verdict(float(r["p99_ms"]) < 10)))
        print()
    if pick("drain", "api"):
        print("drain %s events, limit=1000, cursor PUT per page (median of %d rounds; rounds in results.txt)" % (
            pick("drain", "api")[0]["events"], len(pick("drain", "api"))))
        labels = [("api", "next + PUT, client reads the bytes"), ("api-json", "next + PUT, client json.loads each page"),
                  ("sqlite3", "Python sqlite3 on the file + json.loads")]
        rate = {}
        for name, label in labels:
            rs = pick("drain", name)
            rate[name] = med(r["events_per_s"] for r in rs)
            print("  %-44s %9.0f events/s  (rounds %s; server %.2f, client %.2f cores)" % (
                label, rate[name], " ".join(r["events_per_s"] for r in rs), med(r["srv_cores"] for r in rs),
                med(r["client_cores"] for r in rs)))
        print("  %-44s %9.0f  target >= 50000: %s" % ("API rate (bytes only)", rate["api"],
                                                     verdict(rate["api"] >= 50000)))
        for name in ("api", "api-json"):
            r = rate[name] / rate["sqlite3"]
            print("  %-44s %8.2fx  target >= 1.00x: %s" % (name + " / sqlite3", r, verdict(r >= 1)))
        print()
    alone, cons = pick("ingest", "alone"), pick("ingest", "consumer")
    if alone and cons:
        a_rps, c_rps = med(r["req_per_s"] for r in alone), med(r["req_per_s"] for r in cons)
        print("ingest, keep-alive (median of %d pairs)" % len(alone))
        for label, rs, v in (("alone", alone, a_rps), ("while a consumer drains", cons, c_rps)):
            print("  %-30s %7.0f req/s  p50 %6.2f ms  p99 %6.2f ms  server %.2f cores  (rounds %s)" % (
                label, v, med(r["p50_ms"] for r in rs), med(r["p99_ms"] for r in rs), med(r["srv_cores"] for r in rs),
                " ".join(r["req_per_s"] for r in rs)))
        print("  consumer meanwhile: %.0f events/s, its client %.2f cores" % (
            med(r["drain_events_per_s"] for r in cons), med(r["drainer_cores"] for r in cons)))
        print("  with / alone: %.2fx  target >= 0.80x: %s" % (c_rps / a_rps, verdict(c_rps / a_rps >= 0.8)))
        print()
    for r in pick("longpoll", "longpoll"):
        print("long-poll wake-up over %s hooks (a poll waits, a hook is sent)" % r["n"])
        print("  from the hook's send to the poll's answer: p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (
            float(r["from_send_p50_ms"]), float(r["from_send_p99_ms"]), float(r["from_send_max_ms"])))
        print("  from the hook's 200 to the poll's answer:  p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (
            float(r["from_200_p50_ms"]), float(r["from_200_p99_ms"]), float(r["from_200_max_ms"])))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def api_args(q):
        q.add_argument("--admin", required=True, help="HOST:PORT of the admin listener")
        q.add_argument("--token-file", required=True)

    def sample_args(q):
        q.add_argument("--samples", type=int, default=1000)
        q.add_argument("--limit", type=int, default=100)
        q.add_argument("--max-seq", type=int, required=True)
        q.add_argument("--patient", action="store_true", help="random patients instead of random seqs")
        q.add_argument("--patient-lo", type=int, default=7000000)
        q.add_argument("--patient-hi", type=int, default=7049999)
        q.add_argument("--seed", type=int, default=8)

    q = sub.add_parser("latency-api")
    api_args(q)
    sample_args(q)
    q = sub.add_parser("latency-cli")
    sample_args(q)
    q.add_argument("command", nargs="+", help="the CLI up to its filters, e.g. chronohook events list --config F")
    for name in ("drain-api", "drain-loop"):
        q = sub.add_parser(name)
        api_args(q)
        q.add_argument("--consumer", required=True)
        q.add_argument("--start", type=int, default=0)
        q.add_argument("--events", type=int, default=1000000)
        q.add_argument("--limit", type=int, default=1000)
        q.add_argument("--parse", type=int, default=0)
    q = sub.add_parser("drain-sqlite")
    q.add_argument("--db", required=True)
    q.add_argument("--start", type=int, default=0)
    q.add_argument("--events", type=int, default=1000000)
    q.add_argument("--limit", type=int, default=1000)
    q = sub.add_parser("longpoll")
    api_args(q)
    q.add_argument("--hook", required=True, help="https://127.0.0.1:PORT/webhook")
    q.add_argument("--secret", required=True)
    q.add_argument("--body-fmt", required=True)
    q.add_argument("--max-seq", type=int, required=True)
    q.add_argument("--count", type=int, default=1000)
    q.add_argument("--wait", type=int, default=10)
    q.add_argument("--park-ms", type=float, default=20)
    q = sub.add_parser("report")
    q.add_argument("results")
    a = p.parse_args()
    {"report": cmd_report, "latency-api": cmd_latency_api, "latency-cli": cmd_latency_cli, "drain-api": cmd_drain_api,
     "drain-sqlite": cmd_drain_sqlite, "drain-loop": cmd_drain_loop, "longpoll": cmd_longpoll}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

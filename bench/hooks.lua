-- wrk script: every request is a correctly signed drchrono hook with a fresh
-- delivery id and a ~1.7 KB synthetic APPOINTMENT_MODIFY body.
--
--   wrk ... -s bench/hooks.lua https://127.0.0.1:PORT/webhook -- PREFIX SHAPE SECRET BODY_FMT
--
-- PREFIX  makes delivery ids unique across runs (run.sh passes a random one);
--         ids are RANDOM-PREFIX-THREAD-COUNTER, so they are also unique
--         across wrk threads and connections. A repeated id would be
--         answered 200 "duplicate" without a new row, and rows would stop
--         matching 200s.
-- SHAPE   "keepalive" (default) or "newconn": newconn sends
--         "Connection: close", so every request costs a new TCP + TLS
--         connection (wrk reconnects when the response says close).
-- SECRET  the webhook secret (drchrono sends it as is, in X-drchrono-signature).
-- BODY_FMT the body template, bench/hook-body.fmt.
--
-- done() prints one machine-readable line, "BENCH_RESULT k=v ...", which
-- run.sh and fill.sh parse instead of wrk's human-oriented text.
--
-- All data is synthetic: ids in ranges no real account uses, no names of
-- people, example.invalid URLs.

local threads = {}
local thread_count = 0

-- Runs in the main Lua state once per thread, before the threads start.
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
  table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state).
local prefix = "bench"
local shape = "keepalive"
local secret = "bench-secret-0123456789abcdef0123456789"
local counter = 0
local headers = {}
sent = 0        -- requests handed to wrk to send
answered = 0    -- responses read
ok = 0          -- 2xx responses
non2xx = 0      -- any other status
first_bad_status = 0

-- The body: bench/hook-body.fmt, one line, with printf placeholders (see
-- request() for their order). bench/fill.sh fills its database from the
-- same file, so filled rows and live hooks have the same size and shape.
local body_template

function init(args)
  prefix = args[1] or prefix
  shape = args[2] or shape
  secret = args[3] or secret
  local template_path = args[4] or "bench/hook-body.fmt"
  local f = assert(io.open(template_path, "r"), "hooks.lua: cannot open " .. template_path)
  body_template = f:read("*l")
  f:close()
  -- Delivery ids start with 8 random hex digits, like a UUID would, so that
  -- they land all over the (webhook, delivery_id) index instead of always
  -- appending at one end of it; the rest keeps them unique.
  math.randomseed(os.time() * 1000 + thread_id)
  headers["Content-Type"] = "application/json"
  headers["X-drchrono-signature"] = secret
  headers["X-drchrono-event"] = "APPOINTMENT_MODIFY"
  if shape == "newconn" then
    headers["Connection"] = "close"
  elseif shape ~= "keepalive" then
    error("hooks.lua: unknown shape '" .. shape .. "' (keepalive or newconn)")
  end
end

function request()
  counter = counter + 1
  sent = sent + 1
  headers["X-drchrono-delivery"] =
    string.format("%08x-%s-%d-%d", math.random(0, 0x7fffffff), prefix, thread_id, counter)
  local n = counter
  local body = string.format(body_template,
    9000000000 + thread_id * 100000000 + n,   -- object.id, unique per thread
    7000000 + n % 50000,                       -- object.patient, from a pool
    1 + n % 12,                                -- object.exam_room
    1 + n % 28, 8 + n % 10, (n * 5) % 60,      -- scheduled_time: day, hour, minute
    n % 60)                                    -- updated_at: second
  -- wrk.format adds Host and Content-Length.
  return wrk.format("POST", wrk.path, headers, body)
end

function response(status, _, _)
  answered = answered + 1
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    non2xx = non2xx + 1
    if first_bad_status == 0 then first_bad_status = status end
  end
end

function done(summary, latency, _)
  local t = { sent = 0, answered = 0, ok = 0, non2xx = 0, bad = 0 }
  for _, thread in ipairs(threads) do
    t.sent = t.sent + thread:get("sent")
    t.answered = t.answered + thread:get("answered")
    t.ok = t.ok + thread:get("ok")
    t.non2xx = t.non2xx + thread:get("non2xx")
    local b = thread:get("first_bad_status")
    if t.bad == 0 and b ~= 0 then t.bad = b end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d bytes=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "sent=%d answered=%d ok=%d non2xx=%d first_bad_status=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    t.sent, t.answered, t.ok, t.non2xx, t.bad,
    e.connect, e.read, e.write, e.status, e.timeout))
end

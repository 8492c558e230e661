'use strict';
// A drchrono webhook receiver written the way a Node.js user would write it:
// the https module, better-sqlite3 (synchronous calls), WAL with
// synchronous=FULL, one INSERT per request, answered after the insert.
// It is a benchmark peer for chronohook, not production code.
//
// Configured by environment (bench/run.sh sets all of these):
//   PORT, TLS_CERT, TLS_KEY, DB_PATH, WEBHOOK_SECRET, SCHEMA_SQL (a file with
//   the CREATE TABLE of chronohook's events table, so both store the same row)

const crypto = require('crypto');
const fs = require('fs');
const https = require('https');
const Database = require('better-sqlite3');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`node peer: set ${name}`);
    process.exit(2);
  }
  return value;
}

const port = Number(required('PORT'));
const secret = Buffer.from(required('WEBHOOK_SECRET'));
const secretDigest = crypto.createHash('sha256').update(secret).digest();
const maxBody = 1024 * 1024;

const db = new Database(required('DB_PATH'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get();
if (!hasTable) db.exec(fs.readFileSync(required('SCHEMA_SQL'), 'utf8'));

const insert = db.prepare(`
  INSERT INTO events (webhook, delivery_id, event, received_at, payload,
                      object_id, patient_id, practice_group_id, last_seen_at)
  VALUES (@webhook, @delivery, @event, @now, @payload, @objectId, @patientId, @groupId, @now)
  ON CONFLICT (webhook, delivery_id) DO UPDATE
    SET attempts = attempts + 1, last_seen_at = excluded.received_at
  RETURNING seq, attempts`);

// Ids arrive as numbers or strings; store both as text, like chronohook.
function idText(v) {
  if (typeof v === 'number' && Number.isInteger(v)) return String(v);
  if (typeof v === 'string') return v;
  return null;
}

function reply(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function signatureOk(header) {
  if (typeof header !== 'string') return false;
  const digest = crypto.createHash('sha256').update(header).digest();
  return crypto.timingSafeEqual(digest, secretDigest);
}

function onHook(req, res, raw) {
  let payload;
  try {
    payload = JSON.parse(raw);
  } catch (e) {
    return reply(res, 400, { error: 'body is not JSON' });
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return reply(res, 400, { error: 'body is not a JSON object' });
  }
  const event = req.headers['x-drchrono-event'];
  const object = payload.object && typeof payload.object === 'object' ? payload.object : {};
  const patient = event === 'PATIENT_CREATE' || event === 'PATIENT_MODIFY' ? object.id : object.patient;
  let row;
  try {
    row = insert.get({
      webhook: 'main',
      delivery: req.headers['x-drchrono-delivery'],
      event,
      now: new Date().toISOString(),
      payload: raw,
      objectId: idText(object.id),
      patientId: idText(patient),
      groupId: idText(payload.practice_group_id),
    });
  } catch (e) {
    res.setHeader('Retry-After', '3600');
    return reply(res, 503, { error: 'database unavailable' });
  }
  return reply(res, 200, { status: row.attempts > 1 ? 'duplicate' : 'stored', seq: row.seq });
}

const server = https.createServer(
  {
    key: fs.readFileSync(required('TLS_KEY')),
    cert: fs.readFileSync(required('TLS_CERT')),
    // The same protocol range, ciphers and groups as chronohook's tls.cpp.
    minVersion: 'TLSv1.2',
    ciphers: [
      'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256',
      'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
      'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
    ].join(':'),
    honorCipherOrder: true,
    ecdhCurve: 'X25519:P-256:P-384',
    keepAlive: true,
  },
  (req, res) => {
    const url = new URL(req.url, 'https://localhost');
    if (url.pathname !== '/webhook') return reply(res, 404, { error: 'not found' });
    if (req.method === 'GET') {
      const msg = url.searchParams.get('msg');
      if (msg === null) return reply(res, 400, { error: 'missing msg' });
      return reply(res, 200, { secret_token: crypto.createHmac('sha256', secret).update(msg).digest('hex') });
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'GET, POST');
      return reply(res, 405, { error: 'method not allowed' });
    }
    if (!signatureOk(req.headers['x-drchrono-signature'])) {
      req.resume();
      return reply(res, 401, { error: 'bad signature' });
    }
    if (!req.headers['x-drchrono-event'] || !req.headers['x-drchrono-delivery']) {
      req.resume();
      return reply(res, 400, { error: 'missing X-drchrono-event or X-drchrono-delivery' });
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > maxBody) {
        reply(res, 413, { error: 'body too large' });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size <= maxBody) onHook(req, res, Buffer.concat(chunks).toString('utf8'));
    });
  },
);

server.listen(port, '127.0.0.1', () => console.log(`node peer listening on https://127.0.0.1:${port}/webhook`));

function shutdown() {
  server.close(() => {
    db.close();
    process.exit(0);
  });
  // Keep-alive connections would hold close() open: do not wait for them.
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

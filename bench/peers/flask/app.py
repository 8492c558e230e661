"""A drchrono webhook receiver written the way a Python user would, after
drchrono's own example (hmac for the GET verification, the secret compared
to X-drchrono-signature on POST): Flask, the standard library's sqlite3, WAL
with synchronous=FULL, one INSERT and one commit per request. It is a
benchmark peer for chronohook, not production code.

Run under gunicorn with bench/peers/flask/gunicorn.conf.py. Configured by
environment (bench/run.sh sets these): WEBHOOK_SECRET, DB_PATH, SCHEMA_SQL.
"""

import datetime
import hashlib
import hmac
import json
import os
import sqlite3

from flask import Flask, jsonify, request

WEBHOOK_SECRET = os.environ["WEBHOOK_SECRET"].encode()
DB_PATH = os.environ["DB_PATH"]
SCHEMA_SQL = os.environ["SCHEMA_SQL"]

app = Flask(__name__)

INSERT = """
INSERT INTO events (webhook, delivery_id, event, received_at, payload,
                    object_id, patient_id, practice_group_id, last_seen_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (webhook, delivery_id) DO UPDATE
  SET attempts = attempts + 1, last_seen_at = excluded.received_at
RETURNING seq, attempts
"""

_db = None


def db():
    """One connection per gunicorn worker, opened after the fork."""
    global _db
    if _db is None:
        conn = sqlite3.connect(DB_PATH, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        _db = conn
    return _db


def ensure_schema():
    """Create chronohook's events table once, so every peer stores the same row."""
    conn = sqlite3.connect(DB_PATH, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
        ).fetchone()
        if not exists:
            with open(SCHEMA_SQL, encoding="utf-8") as f:
                conn.executescript(f.read())
        conn.commit()
    finally:
        conn.close()


def id_text(value):
    """Ids arrive as numbers or strings; store both as text, like chronohook."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, str)):
        return str(value)
    return None


@app.route("/webhook", methods=["GET", "POST"])
def webhook():
    if request.method == "GET":
        msg = request.args.get("msg")
        if msg is None:
            return jsonify(error="missing msg"), 400
        token = hmac.new(WEBHOOK_SECRET, msg.encode(), hashlib.sha256).hexdigest()
        return jsonify(secret_token=token)

    signature = request.headers.get("X-drchrono-signature", "")
    if not hmac.compare_digest(signature.encode(), WEBHOOK_SECRET):
        return jsonify(error="bad signature"), 401
    event = request.headers.get("X-drchrono-event")
    delivery = request.headers.get("X-drchrono-delivery")
    if not event or not delivery:
        return jsonify(error="missing X-drchrono-event or X-drchrono-delivery"), 400

    raw = request.get_data(as_text=True)
    try:
        payload = json.loads(raw)
    except ValueError:
        return jsonify(error="body is not JSON"), 400
    if not isinstance(payload, dict):
        return jsonify(error="body is not a JSON object"), 400
    obj = payload.get("object") if isinstance(payload.get("object"), dict) else {}
    patient = obj.get("id") if event in ("PATIENT_CREATE", "PATIENT_MODIFY") else obj.get("patient")
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")

    conn = db()
    try:
        seq, attempts = conn.execute(
            INSERT,
            ("main", delivery, event, now, raw, id_text(obj.get("id")), id_text(patient),
             id_text(payload.get("practice_group_id")), now),
        ).fetchone()
        conn.commit()
    except sqlite3.Error:
        conn.rollback()
        return jsonify(error="database unavailable"), 503, {"Retry-After": "3600"}
    return jsonify(status="duplicate" if attempts > 1 else "stored", seq=seq)

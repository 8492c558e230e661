-- The events table is the contract downstream consumers read: docs/schema.md.
-- seq is AUTOINCREMENT so it is never reused, even after retention deletes
-- every row: a consumer's cursor must only ever move forward.
CREATE TABLE events (
  seq               INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook           TEXT    NOT NULL,
  delivery_id       TEXT    NOT NULL,
  event             TEXT    NOT NULL,
  received_at       TEXT    NOT NULL,
  payload           TEXT    NOT NULL,
  object_id         TEXT,
  patient_id        TEXT,
  practice_group_id TEXT,
  attempts          INTEGER NOT NULL DEFAULT 1,
  last_seen_at      TEXT    NOT NULL,
  UNIQUE (webhook, delivery_id)
);

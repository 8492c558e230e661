-- A repeated delivery id with a different body (or event) is kept as a row of
-- its own, flagged by conflicts_with, instead of being dropped as a duplicate:
-- docs/schema.md. Telling the two apart needs the payload's SHA-256.
--
-- 0001 made (webhook, delivery_id) UNIQUE inline, which ALTER TABLE cannot
-- drop, so this is SQLite's documented table rebuild: create, copy, drop,
-- rename. seq values are copied as they are, and AUTOINCREMENT's high-water
-- mark in sqlite_sequence is carried over so no number is ever handed out
-- twice. chronohook_sha256() is registered by chronohook on the migrating
-- connection; no index or default depends on it, so plain SQLite clients can
-- still read and write the table.
CREATE TABLE events_new (
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
  payload_sha256    BLOB    NOT NULL CHECK (length(payload_sha256) = 32),
  conflicts_with    INTEGER
);

INSERT INTO events_new (seq, webhook, delivery_id, event, received_at, payload, object_id, patient_id,
                        practice_group_id, attempts, last_seen_at, payload_sha256, conflicts_with)
SELECT seq, webhook, delivery_id, event, received_at, payload, object_id, patient_id,
       practice_group_id, attempts, last_seen_at, chronohook_sha256(payload), NULL
FROM events ORDER BY seq;

DELETE FROM sqlite_sequence WHERE name = 'events_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'events_new', seq FROM sqlite_sequence WHERE name = 'events';

DROP TABLE events;
ALTER TABLE events_new RENAME TO events;

-- The first row of a (webhook, delivery_id) has conflicts_with NULL and is
-- unique as before: the receiver's plain insert is refused by this index when
-- the id was seen. Rows that conflict with it are unique per event and body,
-- so the same differing body sent again counts as that row's duplicate.
CREATE UNIQUE INDEX events_delivery ON events (webhook, delivery_id) WHERE conflicts_with IS NULL;
CREATE UNIQUE INDEX events_conflicting ON events (webhook, delivery_id, event, payload_sha256)
  WHERE conflicts_with IS NOT NULL;

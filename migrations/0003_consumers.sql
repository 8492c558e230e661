-- What downstream consumers need: indexes for the filters of `chronohook
-- events` and the pull API (docs/schema.md), and one cursor row per
-- consumer named in [[consumer]].
--
-- Each index ends in the rowid (seq) implicitly, so "this patient's events
-- after my cursor, in seq order" is one range scan with no sort. Their cost
-- on ingest is measured in docs/performance.md.
CREATE INDEX events_patient ON events (patient_id) WHERE patient_id IS NOT NULL;
CREATE INDEX events_event ON events (event);
CREATE INDEX events_received_at ON events (received_at);

-- A consumer's acknowledged position: every event with seq <= this one has
-- been processed. Written only through the receiver's single writer.
CREATE TABLE consumer_cursors (
  consumer   TEXT    PRIMARY KEY,
  seq        INTEGER NOT NULL CHECK (seq >= 0),
  updated_at TEXT    NOT NULL
) WITHOUT ROWID;

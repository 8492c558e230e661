-- bench/run.sh target chronohook+idx-none: the schema without the three
-- consumer indexes of migration 0003, to measure what they cost on ingest.
DROP INDEX events_patient;
DROP INDEX events_event;
DROP INDEX events_received_at;

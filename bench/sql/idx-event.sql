-- bench/run.sh target chronohook+idx-event: of migration 0003's indexes,
-- only events_event.
DROP INDEX events_patient;
DROP INDEX events_received_at;

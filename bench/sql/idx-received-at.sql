-- bench/run.sh target chronohook+idx-received-at: of migration 0003's
-- indexes, only events_received_at.
DROP INDEX events_patient;
DROP INDEX events_event;

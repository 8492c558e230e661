-- bench/run.sh target chronohook+idx-patient: of migration 0003's indexes,
-- only events_patient.
DROP INDEX events_event;
DROP INDEX events_received_at;

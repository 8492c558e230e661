-- chronohook: no-transaction
-- Retention deletes old events; with auto_vacuum = INCREMENTAL the pages it
-- frees can be handed back to the file system a few at a time
-- (PRAGMA incremental_vacuum(N), run by the prune pass through the writer)
-- instead of only by a full VACUUM that holds the write lock for minutes.
--
-- An existing database only changes mode through a VACUUM, which rewrites
-- the whole file once (it needs free disk space for a copy of the database,
-- and in WAL mode the WAL grows to that size until the checkpoint that
-- follows) and cannot run inside a transaction: hence the first line.
-- A database created by chronohook already has the mode (set before its
-- first table), so there this VACUUM copies a few empty pages. Running it
-- twice is harmless.
PRAGMA auto_vacuum = INCREMENTAL;
VACUUM;

// Whether the writer can write: what its commits came to, and, while it is
// idle, a probe that takes the write lock and writes nothing. /readyz judges
// these (src/admin/health.cpp); nothing here decides what is "ready".
#include <sqlite3.h>

#include "chronohook/event_store.hpp"

namespace chronohook {
namespace {

using Clock = std::chrono::steady_clock;

Clock::rep now_ticks() {
  return Clock::now().time_since_epoch().count();
}

Clock::time_point from_ticks(Clock::rep ticks) {
  return Clock::time_point(Clock::duration(ticks));
}

WriteFailure classify(int extended_code) {
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return WriteFailure::kLocked;
    case SQLITE_FULL:
      return WriteFailure::kDiskFull;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return WriteFailure::kReadOnly;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return WriteFailure::kIoError;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return WriteFailure::kCorrupt;
    default:
      return WriteFailure::kOther;
  }
}

}  // namespace

const char* describe(WriteFailure failure) {
  switch (failure) {
    case WriteFailure::kNone:
      return "no failure";
    case WriteFailure::kLocked:
      return "the database is locked by another process";
    case WriteFailure::kDiskFull:
      return "the disk is full";
    case WriteFailure::kReadOnly:
      return "the database cannot be written (read-only file or file system, or permissions)";
    case WriteFailure::kIoError:
      return "disk I/O error";
    case WriteFailure::kCorrupt:
      return "the database file is corrupt";
    case WriteFailure::kOther:
      break;
  }
  return "the database refused the write";
}

WriterHealth EventStore::writer_health() const {
  WriterHealth h;
  h.last_progress = last_progress();
  h.last_write_ok = from_ticks(write_ok_.load());
  h.last_commit_ok = from_ticks(commit_ok_.load());
  h.last_failure = from_ticks(failure_at_.load());
  h.failure = static_cast<WriteFailure>(failure_kind_.load());
  h.lock_wait_since = from_ticks(lock_wait_since_.load());
  return h;
}

// Called only on the writer thread, with no transaction open.
void EventStore::probe_writable() {
  probing_ = true;
  probe_gave_way_ = false;
  Status st = db_.exec("BEGIN IMMEDIATE");
  if (st) st = db_.exec("ROLLBACK");
  if (st) {
    note_write_ok(false);
  } else {
    rollback_if_open();
    if (!probe_gave_way_) note_write_failure();
  }
  probing_ = false;
}

void EventStore::note_write_ok(bool commit) {
  const Clock::rep now = now_ticks();
  write_ok_.store(now);
  if (commit) commit_ok_.store(now);
}

// After rollback_if_open(), which kept SQLite's code for the failure.
void EventStore::note_write_failure() {
  failure_kind_.store(static_cast<int>(classify(failure_code_)));
  failure_at_.store(now_ticks());
}

bool EventStore::work_waiting() const {
  std::lock_guard lock(mutex_);
  return stopping_ || !queue_.empty() || !tasks_.empty();
}

}  // namespace chronohook

// Moves WAL checkpoints off the writer thread. Private to src/store.
//
// SQLite's automatic checkpoint runs inside the commit that crosses the
// threshold, so every so often one batch of hooks waits for the WAL to be
// copied into the database and the database fsynced (the profile's biggest
// latency spikes). Here the writer only notices the WAL's size after each
// commit; a second connection on its own thread copies it back with PASSIVE
// checkpoints, which never block the writer.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

#include "chronohook/result.hpp"
#include "chronohook/sqlite.hpp"

namespace chronohook {

class Checkpointer {
 public:
  // New WAL pages after which a background checkpoint starts (SQLite's own
  // threshold). 4000 was tried: fewer copies of hot pages, but each round's
  // burst of database writes and its fsync tripled the p99 of the commits
  // queued behind it on this disk.
  static constexpr int kBackgroundPages = 1000;
  // If the WAL still grows past this, the writer checkpoints itself: a
  // PASSIVE checkpoint cannot restart a WAL that a busy writer keeps appending
  // to, so without this it would grow without bound under sustained load.
  // In the last kNearLimitPages before it, the background thread is asked
  // after every commit, so the writer's checkpoint has little left to copy
  // and holds one batch briefly instead of for up to kBackgroundPages pages
  // and a database fsync (docs/performance.md: p99 roughly halved, req/s
  // unchanged or better, on an empty and on a 10-million-row database).
  static constexpr int kNearLimitPages = kBackgroundPages / 4;
  static constexpr int kWriterPages = 8 * kBackgroundPages;

  // What a commit that left `wal_pages` in the WAL calls for. Updates
  // `pages_at_last_request`, the WAL's size when the background thread was
  // last asked (0 after the WAL started over). The whole policy, without a
  // database, so that it can be tested as such.
  enum class Step { kNothing, kAskBackground, kCheckpointOnWriter };
  static Step after_commit(int wal_pages, int& pages_at_last_request);

  // Installs itself as `writer`'s WAL hook (which also switches off SQLite's
  // automatic checkpoints on that connection) and starts its thread.
  static Result<std::unique_ptr<Checkpointer>> start(sqlite::Database& writer, const std::filesystem::path& path);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void stop();

  std::uint64_t background_checkpoints() const;
  std::uint64_t writer_checkpoints() const;

 private:
  Checkpointer(sqlite::Database& writer, sqlite::Database own);
  // Called by SQLite on the writer thread after each commit.
  static int on_commit(void* self, sqlite3* db, const char* name, int wal_pages);
  void run();

  sqlite::Database& writer_;
  sqlite::Database own_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;
  int pages_at_last_request_ = 0;  // WAL size when a checkpoint was last asked for
  bool stopping_ = false;
  std::uint64_t background_ = 0;
  std::uint64_t by_writer_ = 0;
  std::thread thread_;
};

}  // namespace chronohook

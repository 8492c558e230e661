// The single writer. Every hook reaches the database through this queue; the
// writer thread groups what is waiting into one transaction (group commit)
// and completes each hook only after that transaction is durable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "chronohook/config.hpp"
#include "chronohook/event_record.hpp"
#include "chronohook/result.hpp"
#include "chronohook/sqlite.hpp"

namespace chronohook {

class Checkpointer;

struct StoreStats {
  std::uint64_t batches = 0;
  std::uint64_t largest_batch = 0;
  std::uint64_t commit_failures = 0;
  std::uint64_t background_checkpoints = 0;
  std::uint64_t writer_checkpoints = 0;
};

class EventStore {
 public:
  // Runs exactly once per submitted record, on the writer thread (or on the
  // caller's thread when the record is refused at once, or on the thread
  // that calls fail_pending()). Must not block.
  using Completion = std::function<void(AppendOutcome)>;

  // Opens the database (creating it, and setting it and its -wal/-shm to
  // config.file_mode, logging any change), sets WAL and the configured
  // synchronous mode, applies pending migrations, and starts the writer.
  static Result<std::unique_ptr<EventStore>> open(const StorageConfig& config);

  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Queues `record`. When the queue is full, or the store is stopping, `done`
  // runs at once with kOverloaded or kFailed: nothing waits without bound.
  void submit(EventRecord record, Completion done);

  // Commits everything already queued, then stops the writer. Idempotent.
  void stop();

  // For the end of a bounded shutdown: completes every record still queued
  // with kFailed (none of them is ever committed), refuses new ones, and
  // makes a batch that is waiting for another process's lock give up at
  // once instead of after busy_timeout. A batch already past the lock
  // commits and completes as usual: each record is either committed or
  // failed, never both. Returns how many queued records were failed.
  std::size_t fail_pending();

  StoreStats stats() const;
  std::size_t queued() const;

 private:
  struct Pending {
    EventRecord record;
    Completion done;
  };

  EventStore(sqlite::Database db, sqlite::Statement insert, sqlite::Statement repeat, sqlite::Statement conflicting,
             const StorageConfig& config);
  Status start_checkpointer(const std::filesystem::path& path);
  void run();  // the writer thread
  // Called only on the writer thread.
  void commit_batch(std::vector<Pending>& batch);
  bool commit_group(std::vector<Pending>& batch, std::vector<AppendOutcome>& outcomes, std::size_t& failed_item);
  AppendOutcome commit_one(Pending& item);
  Result<AppendOutcome> append(const EventRecord& record);
  Result<AppendOutcome> append_conflicting(const EventRecord& record);
  void rollback_if_open();
  // SQLite's busy handler on the writer's connection: busy_timeout, unless
  // fail_pending() asks it to give up.
  static int on_busy(void* self, int count);

  sqlite::Database db_;
  sqlite::Statement insert_;                    // a new delivery
  sqlite::Statement repeat_;                    // a delivery already stored: count it
  sqlite::Statement conflicting_;               // a seen id with another event or body
  std::unique_ptr<Checkpointer> checkpointer_;  // declared after db_: closes first
  std::size_t queue_capacity_;
  std::size_t max_batch_;
  std::chrono::milliseconds busy_timeout_;
  std::chrono::steady_clock::time_point busy_since_{};  // writer's connection only
  std::atomic<bool> give_up_{false};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  StoreStats stats_;
  std::thread writer_;
};

}  // namespace chronohook

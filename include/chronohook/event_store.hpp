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
class Counters;

// Why the writer's last write failed, as far as SQLite said.
enum class WriteFailure { kNone, kLocked, kDiskFull, kReadOnly, kIoError, kCorrupt, kOther };
// "the database is locked by another process", "the disk is full", ...
const char* describe(WriteFailure failure);

// What the writer last managed, for /readyz. steady_clock times; the epoch
// (a default time_point) means never.
struct WriterHealth {
  std::chrono::steady_clock::time_point last_progress;    // see EventStore::last_progress()
  std::chrono::steady_clock::time_point last_write_ok;    // a commit, or an idle probe that took the write lock
  std::chrono::steady_clock::time_point last_commit_ok;   // a transaction of hooks committed
  std::chrono::steady_clock::time_point last_failure;     // a commit or a probe failed ...
  WriteFailure failure = WriteFailure::kNone;             // ... for this reason
  std::chrono::steady_clock::time_point lock_wait_since;  // waiting for another process's lock; epoch: not waiting
};

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
  // `counters` gets the commit latency and batch size histograms (a
  // private set when null).
  static Result<std::unique_ptr<EventStore>> open(const StorageConfig& config,
                                                  std::shared_ptr<Counters> counters = nullptr);

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

  // Maintenance work that must write (a consumer's cursor, a retention
  // batch) runs on the writer thread and its connection, between hook
  // batches, so the database keeps a single writer and a hook waits behind
  // at most one task. Each task runs in its own BEGIN IMMEDIATE ... COMMIT,
  // rolled back when it returns an error; `done` gets the outcome (on the
  // writer thread, or at once on the caller's when refused). Keep tasks
  // short: a retention pass is many small tasks, not one long one.
  using Task = std::function<Status(sqlite::Database&)>;
  using TaskDone = std::function<void(Status)>;
  // Refused at once (done with an error) when the store is stopping or
  // kMaxTasks tasks are already waiting.
  void submit_task(Task task, TaskDone done);
  static constexpr std::size_t kMaxTasks = 1024;

  // "Committed up to seq N": called on the writer thread after each commit
  // that stored at least one new row, with the highest seq committed so far.
  // Long-polling readers hang on it. Must not block: post elsewhere. Add
  // listeners before traffic starts; they live as long as the store.
  using CommitListener = std::function<void(std::int64_t committed_seq)>;
  void add_commit_listener(CommitListener listener);
  // The highest seq of any committed row (at open: what the file holds).
  std::int64_t committed_seq() const { return committed_seq_.load(); }

  // Liveness of the writer thread, for the watchdog and /readyz: when it last
  // finished a batch or a task, or woke idle (at least every
  // kIdleHeartbeat). A writer stuck in a commit (a lock held by another
  // process, a hung fsync) stops moving it.
  std::chrono::steady_clock::time_point last_progress() const {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(progress_.load()));
  }
  static constexpr std::chrono::milliseconds kIdleHeartbeat{1000};

  // Whether the database can be written, for /readyz (writer_health.cpp).
  // Besides the commits, an idle writer probes at each heartbeat: BEGIN
  // IMMEDIATE then ROLLBACK, which takes the write lock and writes nothing,
  // so a lock held by another process shows even when no hook arrives. A
  // probe gives way at once to a hook that arrives while it waits.
  WriterHealth writer_health() const;

  StoreStats stats() const;
  std::size_t queued() const;

 private:
  struct Pending {
    EventRecord record;
    Completion done;
  };
  struct PendingTask {
    Task task;
    TaskDone done;
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
  void run_task(PendingTask& task);            // writer_tasks.cpp
  void announce_commit(std::int64_t max_seq);  // writer_tasks.cpp
  // writer_health.cpp; called only on the writer thread.
  void probe_writable();
  void note_write_ok(bool commit);
  void note_write_failure();
  bool work_waiting() const;
  // SQLite's busy handler on the writer's connection: busy_timeout, unless
  // fail_pending() asks it to give up.
  static int on_busy(void* self, int count);

  sqlite::Database db_;
  sqlite::Statement insert_;                    // a new delivery
  sqlite::Statement repeat_;                    // a delivery already stored: count it
  sqlite::Statement conflicting_;               // a seen id with another event or body
  std::unique_ptr<Checkpointer> checkpointer_;  // declared after db_: closes first
  std::shared_ptr<Counters> counters_;
  std::size_t queue_capacity_;
  std::size_t max_batch_;
  std::chrono::milliseconds busy_timeout_;
  std::chrono::steady_clock::time_point busy_since_{};  // writer's connection only
  std::atomic<bool> give_up_{false};
  // Writer health (writer_health.cpp): times as steady_clock ticks, 0 = never.
  int failure_code_ = 0;  // SQLite's extended code of the last failure; writer only
  bool probing_ = false;  // writer only
  bool probe_gave_way_ = false;
  std::atomic<std::chrono::steady_clock::rep> write_ok_{0};
  std::atomic<std::chrono::steady_clock::rep> commit_ok_{0};
  std::atomic<std::chrono::steady_clock::rep> failure_at_{0};
  std::atomic<int> failure_kind_{0};
  std::atomic<std::chrono::steady_clock::rep> lock_wait_since_{0};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  std::deque<PendingTask> tasks_;
  std::vector<CommitListener> listeners_;  // added under mutex_ before traffic; read by the writer
  std::atomic<std::int64_t> committed_seq_{0};
  std::atomic<std::chrono::steady_clock::rep> progress_{0};  // last_progress(), as ticks
  bool stopping_ = false;
  StoreStats stats_;
  std::thread writer_;
};

}  // namespace chronohook

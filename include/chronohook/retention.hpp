// Retention: which old events a prune pass may delete, and the pass itself.
// The daemon runs it periodically (RetentionService), `chronohook prune`
// once; both delete the same way: the oldest events first, in small
// transactions, never past what a configured consumer has acknowledged
// (unless keep_unacknowledged = false), then hand the freed pages back to
// the file system a few at a time. docs/retention.md.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chronohook/config.hpp"
#include "chronohook/event_store.hpp"
#include "chronohook/result.hpp"
#include "chronohook/sqlite.hpp"

namespace chronohook {

// What the database says, for the decision below. Every "cut" means
// "delete every event with seq <= cut"; 0 deletes nothing.
struct CutoffInputs {
  // The oldest events up to the first one younger than max_age; nullopt
  // when max_age is not set.
  std::optional<std::int64_t> age_cut;
  // Everything but the newest max_events; nullopt when max_events is not set.
  std::optional<std::int64_t> count_cut;
  // Each configured consumer's acknowledged seq, 0 for one without a
  // cursor row (it has acknowledged nothing).
  std::vector<std::pair<std::string, std::int64_t>> cursors;
};

struct Cutoff {
  std::int64_t seq = 0;     // delete every event with seq <= this
  std::int64_t wanted = 0;  // what max_age/max_events alone would delete up to
  std::string held_by;      // the consumer whose cursor lowered `seq`, if one did
};

// The whole decision, without a database: the stricter of the two limits,
// then, with keep_unacknowledged, no further than the lowest cursor.
Cutoff decide_cutoff(const RetentionConfig& config, const CutoffInputs& inputs);

struct PrunePlan {
  Cutoff cutoff;
  std::int64_t events = 0;     // rows with seq <= cutoff.seq now
  std::int64_t first_seq = 0;  // their range, 0 when none
  std::int64_t last_seq = 0;
};

// Reads what decide_cutoff needs from `db` (any connection; read-only is
// enough) and how many rows the cut-off covers. `consumers` are the names of
// the configured [[consumer]]s; cursor rows of others do not count.
Result<PrunePlan> plan_prune(sqlite::Database& db, const RetentionConfig& config,
                             const std::vector<std::string>& consumers, std::chrono::system_clock::time_point now);

// Runs one write in a transaction of its own and returns its outcome: the
// daemon's EventStore::submit_task (waiting for it), or prune's connection.
using WriteRunner = std::function<Status(EventStore::Task)>;
WriteRunner write_through_store(EventStore& store);
// BEGIN IMMEDIATE ... COMMIT on `db`, which must outlive the runner.
WriteRunner write_on_connection(sqlite::Database& db);

struct PruneReport {
  PrunePlan plan;
  std::int64_t deleted = 0;
  std::int64_t first_deleted = 0;  // 0 when nothing was deleted
  std::int64_t last_deleted = 0;
  std::size_t batches = 0;
  std::int64_t pages_returned = 0;  // to the file system by incremental_vacuum
  std::int64_t page_size = 0;
  bool stopped = false;  // should_stop() cut the pass short
};

// Plans with `reader`, then deletes the plan's rows, batch_size at a time,
// each batch a write of its own that checks the cursors again (a consumer
// may have rewound since the plan), and finally runs incremental_vacuum in
// bounded steps. `should_stop` is asked before every write. A failed write
// ends the pass with its error; what committed before it stays deleted.
Result<PruneReport> run_prune(sqlite::Database& reader, const WriteRunner& write, const RetentionConfig& config,
                              const std::vector<std::string>& consumers, std::chrono::system_clock::time_point now,
                              const std::function<bool()>& should_stop = {});

// An age the way the config writes it: "30d", "12h", "90s".
std::string format_age(std::chrono::seconds age);

// "deleted 1200 event(s), seq 1..1250, in 2 batch(es); ..." for the log and
// the prune command. Counts and seqs only, never a payload.
std::string describe(const PruneReport& report, bool dry_run);

// The daemon's periodic pass: a thread of its own with a read-only
// connection for planning; every write goes through the store's writer.
// One log line per pass.
class RetentionService {
 public:
  // The first pass runs after min(interval, 10 s), so a restart soon gets
  // back to its schedule without competing with the start-up itself.
  static Result<std::unique_ptr<RetentionService>> start(const RetentionConfig& config,
                                                         const std::filesystem::path& database,
                                                         std::vector<std::string> consumers, EventStore& store);
  ~RetentionService();
  RetentionService(const RetentionService&) = delete;
  RetentionService& operator=(const RetentionService&) = delete;

  // Returns at once; no pass and no batch starts after it. For the
  // shutdown signal, before the store stops taking tasks.
  void request_stop();
  // request_stop(), then waits for the thread: at most the one batch the
  // writer may already be running.
  void stop();

 private:
  RetentionService(const RetentionConfig& config, sqlite::Database reader, std::vector<std::string> consumers,
                   EventStore& store);
  void run();
  bool stopping() const;

  RetentionConfig config_;
  sqlite::Database reader_;
  std::vector<std::string> consumers_;
  EventStore& store_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chronohook

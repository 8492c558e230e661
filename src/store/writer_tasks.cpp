// The writer thread's loop, and what it does besides committing hooks:
// maintenance tasks (cursors, retention) and the "committed up to seq N"
// notification long-polling readers wait on.
#include <optional>

#include "chronohook/event_store.hpp"

namespace chronohook {

void EventStore::submit_task(Task task, TaskDone done) {
  bool refused = false;
  bool stopping = false;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;
    refused = stopping_ || tasks_.size() >= kMaxTasks;
    if (!refused) tasks_.push_back(PendingTask{std::move(task), std::move(done)});
  }
  if (refused) {
    done(Error{stopping ? "the store is shutting down" : "the store has too many maintenance tasks waiting"});
    return;
  }
  wake_.notify_one();
}

void EventStore::add_commit_listener(CommitListener listener) {
  std::lock_guard lock(mutex_);
  listeners_.push_back(std::move(listener));
}

void EventStore::announce_commit(std::int64_t max_seq) {
  if (max_seq <= committed_seq_.load()) return;
  committed_seq_.store(max_seq);
  // Listeners are added before traffic starts, under mutex_, which this
  // thread has taken since to pick up the batch: reading needs no lock.
  for (const CommitListener& listener : listeners_) listener(max_seq);
}

void EventStore::run_task(PendingTask& item) {
  Status st = db_.exec("BEGIN IMMEDIATE");
  if (st) st = item.task(db_);
  if (st) st = db_.exec("COMMIT");
  if (!st) rollback_if_open();
  if (st) note_write_ok(false);
  item.done(std::move(st));
}

void EventStore::run() {
  std::vector<Pending> batch;
  batch.reserve(max_batch_);
  bool probe_due = false;
  for (;;) {
    if (probe_due) probe_writable();
    probe_due = false;
    lock_wait_since_.store(0);
    progress_.store(std::chrono::steady_clock::now().time_since_epoch().count());
    std::optional<PendingTask> task;
    {
      std::unique_lock lock(mutex_);
      // Wake at least every kIdleHeartbeat, only to show last_progress()
      // that an idle writer is alive.
      if (!wake_.wait_for(lock, kIdleHeartbeat, [this] { return stopping_ || !queue_.empty() || !tasks_.empty(); })) {
        probe_due = true;  // and check, while idle, that the database can still be written
        continue;
      }
      if (queue_.empty() && tasks_.empty()) return;  // stopping, and everything queued is done
      // Take what is waiting now, never wait for more: an idle receiver
      // commits a lone hook at once.
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (!batch.empty()) {
        ++stats_.batches;
        if (batch.size() > stats_.largest_batch) stats_.largest_batch = batch.size();
      }
      // At most one task per round: hooks never wait behind a line of them.
      if (!tasks_.empty()) {
        task.emplace(std::move(tasks_.front()));
        tasks_.pop_front();
      }
    }
    if (!batch.empty()) commit_batch(batch);
    batch.clear();
    if (task) run_task(*task);
  }
}

}  // namespace chronohook

// Long-polling requests waiting for "committed up to seq N". The writer's
// commit listener calls notify(); each waiter whose seq is passed is
// removed and its callback run right there (it must only post). Never a
// sleep loop: a waiter wakes because a row was committed, or its own
// deadline timer cancels it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace chronohook::admin {

class CommitWaiters {
 public:
  using Wake = std::function<void()>;

  // Calls `wake` once committed_seq passes `seen`. When `current` (what the
  // caller just read from EventStore::committed_seq()) already passes it,
  // `wake` runs at once. Returns an id for cancel().
  std::uint64_t wait(std::int64_t seen, std::int64_t current, Wake wake);

  // Forgets a waiter that has not been woken; false when it already was (or
  // is being) woken.
  bool cancel(std::uint64_t id);

  // From the writer's commit listener.
  void notify(std::int64_t committed_seq);

  std::size_t waiting() const;

 private:
  struct Waiter {
    std::int64_t seen;
    Wake wake;
  };
  mutable std::mutex mutex_;
  std::int64_t committed_ = 0;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, Waiter> waiters_;
};

}  // namespace chronohook::admin

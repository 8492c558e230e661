#include "admin/commit_waiters.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace chronohook::admin {

std::uint64_t CommitWaiters::wait(std::int64_t seen, std::int64_t current, Wake wake) {
  std::uint64_t id = 0;
  bool now = false;
  {
    std::lock_guard lock(mutex_);
    committed_ = std::max(committed_, current);
    id = ++next_id_;
    // A commit between the caller's read and this call was announced
    // already: do not wait for the next one.
    now = committed_ > seen;
    if (!now) waiters_.emplace(id, Waiter{seen, std::move(wake)});
  }
  if (now) wake();
  return id;
}

bool CommitWaiters::cancel(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  return waiters_.erase(id) > 0;
}

void CommitWaiters::notify(std::int64_t committed_seq) {
  std::vector<Wake> woken;
  {
    std::lock_guard lock(mutex_);
    committed_ = std::max(committed_, committed_seq);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.seen < committed_seq) {
        woken.push_back(std::move(it->second.wake));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (Wake& wake : woken) wake();
}

std::size_t CommitWaiters::waiting() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

}  // namespace chronohook::admin

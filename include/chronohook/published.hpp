// A value many threads read on every request and one writer replaces
// rarely (a SIGHUP reload): the webhook handler, the admin handler.
//
// Each reader keeps its own Copy (a shared_ptr and the version it was taken
// at) and calls refresh() once per request. While nothing was published
// that costs one acquire load of a 64-bit counter and a compare: no lock and
// no reference-count traffic, unlike libstdc++ 12's
// std::atomic<std::shared_ptr>, whose load takes a lock. Only after a
// publish does a reader take the mutex, once, to copy the new pointer. The
// old value lives on while some reader's Copy still holds it, so a request
// in flight finishes with the value it started with.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

namespace chronohook {

template <typename T>
class Published {
 public:
  // What one reader holds. Default-constructed, it is refreshed on first use.
  struct Copy {
    std::shared_ptr<T> value;
    std::uint64_t version = 0;
  };

  explicit Published(std::shared_ptr<T> initial) : current_(std::move(initial)) {}
  Published(const Published&) = delete;
  Published& operator=(const Published&) = delete;

  // Any thread. Readers see `next` from their next refresh() on.
  void publish(std::shared_ptr<T> next) {
    std::shared_ptr<T> old;  // released after the lock: its destructor may be slow
    std::lock_guard lock(mutex_);
    old = std::exchange(current_, std::move(next));
    version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Any thread: the current value (takes the lock; not for the request path).
  Copy get() const {
    std::lock_guard lock(mutex_);
    return Copy{current_, version_.load(std::memory_order_relaxed)};
  }

  // The request path: brings `copy` up to date if something was published
  // since it was taken, and returns the value it now holds.
  T& refresh(Copy& copy) const {
    if (version_.load(std::memory_order_acquire) != copy.version) [[unlikely]] {
      copy = get();
    }
    return *copy.value;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<T> current_;
  std::atomic<std::uint64_t> version_{1};  // a default Copy (0) is always stale
};

}  // namespace chronohook

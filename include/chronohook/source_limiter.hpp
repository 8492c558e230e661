// A rate limit per source address, so one client cannot spend a budget that
// others share (drchrono's "Verify webhook" must not get 429 because a
// stranger asked first). The table is bounded: past `capacity` sources the
// least recently seen one is forgotten, which only ever gives that source a
// fresh budget. Thread-safe; time is given, not read.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <unordered_map>

#include "chronohook/rate_limiter.hpp"
#include "chronohook/source_key.hpp"

namespace chronohook {

class SourceRateLimiter {
 public:
  using Clock = TokenBucket::Clock;

  SourceRateLimiter(unsigned per_minute, std::size_t capacity);

  // True when `source` may spend one more token at `now`. When false,
  // `retry_after` is the seconds until it may try again.
  bool allow(const SourceKey& source, Clock::time_point now, int& retry_after);

  std::size_t size() const;

 private:
  struct Entry {
    SourceKey source;
    TokenBucket bucket;
  };
  using Lru = std::list<Entry>;  // most recently seen first

  unsigned per_minute_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<SourceKey, Lru::iterator, SourceKeyHash> by_source_;
};

}  // namespace chronohook

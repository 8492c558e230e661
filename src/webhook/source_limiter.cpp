#include "chronohook/source_limiter.hpp"

namespace chronohook {

SourceRateLimiter::SourceRateLimiter(unsigned per_minute, std::size_t capacity)
    : per_minute_(per_minute), capacity_(capacity < 1 ? 1 : capacity) {}

bool SourceRateLimiter::allow(const SourceKey& source, Clock::time_point now, int& retry_after) {
  std::lock_guard lock(mutex_);
  auto found = by_source_.find(source);
  if (found != by_source_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second);
  } else {
    if (lru_.size() >= capacity_) {
      by_source_.erase(lru_.back().source);
      lru_.pop_back();
    }
    lru_.push_front(Entry{source, TokenBucket(per_minute_)});
    by_source_.emplace(source, lru_.begin());
  }
  TokenBucket& bucket = lru_.front().bucket;
  if (bucket.allow(now)) return true;
  retry_after = bucket.seconds_until_next();
  return false;
}

std::size_t SourceRateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

}  // namespace chronohook

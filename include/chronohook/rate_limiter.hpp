// A token bucket: `per_minute` tokens refill evenly over a minute, and up to
// `per_minute` may be spent at once. RateLimiter is the thread-safe one; time
// is given, not read.
#pragma once

#include <algorithm>
#include <chrono>
#include <mutex>

namespace chronohook {

// The bucket's arithmetic without a lock, for owners that hold their own.
class TokenBucket {
 public:
  using Clock = std::chrono::system_clock;

  explicit TokenBucket(unsigned per_minute) : per_minute_(per_minute), tokens_(per_minute) {}

  // True when one more event is allowed at `now` (and spends a token).
  // A limit of 0 allows nothing.
  bool allow(Clock::time_point now) {
    if (per_minute_ == 0) return false;
    if (last_ != Clock::time_point{} && now > last_) {
      const double elapsed_min = std::chrono::duration<double, std::ratio<60>>(now - last_).count();
      tokens_ = std::min<double>(per_minute_, tokens_ + elapsed_min * per_minute_);
    }
    if (now > last_) last_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

  // Seconds until the next token, rounded up (for Retry-After).
  int seconds_until_next() const {
    if (per_minute_ == 0) return 60;
    const double missing = tokens_ >= 1.0 ? 0.0 : 1.0 - tokens_;
    const int s = static_cast<int>(missing * 60.0 / per_minute_ + 0.999);
    return s < 1 ? 1 : s;
  }

 private:
  unsigned per_minute_;
  double tokens_;
  Clock::time_point last_{};
};

class RateLimiter {
 public:
  using Clock = TokenBucket::Clock;

  explicit RateLimiter(unsigned per_minute) : bucket_(per_minute) {}

  bool allow(Clock::time_point now) {
    std::lock_guard lock(mutex_);
    return bucket_.allow(now);
  }

  int seconds_until_next() const {
    std::lock_guard lock(mutex_);
    return bucket_.seconds_until_next();
  }

 private:
  mutable std::mutex mutex_;
  TokenBucket bucket_;
};

}  // namespace chronohook

// A rate limit per source address, so one client cannot spend a budget that
// others share (drchrono's "Verify webhook" must not get 429 because a
// stranger asked first). The table is bounded: past `capacity` sources the
// least recently seen one is forgotten, which only ever gives that source a
// fresh budget. Thread-safe; time is given, not read.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "chronohook/rate_limiter.hpp"

namespace chronohook {

// The address a limit applies to, from a peer as the session prints it
// ("192.0.2.7:51234", "[2001:db8::1]:443"). IPv6 is grouped by its /64,
// the block one host usually holds; an IPv4-mapped address counts as IPv4.
// Anything unparseable maps to one shared key.
std::string source_key(std::string_view peer);

class SourceRateLimiter {
 public:
  using Clock = TokenBucket::Clock;

  SourceRateLimiter(unsigned per_minute, std::size_t capacity);

  // True when `source` may spend one more token at `now`. When false,
  // `retry_after` is the seconds until it may try again.
  bool allow(const std::string& source, Clock::time_point now, int& retry_after);

  std::size_t size() const;

 private:
  struct Entry {
    std::string source;
    TokenBucket bucket;
  };
  using Lru = std::list<Entry>;  // most recently seen first

  unsigned per_minute_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<std::string_view, Lru::iterator> by_source_;  // keys view into lru_
};

}  // namespace chronohook

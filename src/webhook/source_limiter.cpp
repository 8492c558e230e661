#include "chronohook/source_limiter.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace chronohook {

std::string source_key(std::string_view peer) {
  std::string host;
  if (!peer.empty() && peer.front() == '[') {
    const std::size_t close = peer.find(']');
    if (close == std::string_view::npos) return "?";
    host.assign(peer.substr(1, close - 1));
  } else {
    host.assign(peer.substr(0, peer.rfind(':')));
  }

  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return host;
  std::array<unsigned char, 16> v6{};
  if (inet_pton(AF_INET6, host.c_str(), v6.data()) != 1) return "?";

  static constexpr std::array<unsigned char, 12> kV4Mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6.data(), kV4Mapped.data(), kV4Mapped.size()) == 0) {
    std::memcpy(&v4, v6.data() + 12, 4);
    char text[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, &v4, text, sizeof text) ? std::string(text) : std::string("?");
  }
  std::fill(v6.begin() + 8, v6.end(), 0);
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, v6.data(), text, sizeof text)) return "?";
  return std::string(text) + "/64";
}

SourceRateLimiter::SourceRateLimiter(unsigned per_minute, std::size_t capacity)
    : per_minute_(per_minute), capacity_(capacity < 1 ? 1 : capacity) {}

bool SourceRateLimiter::allow(const std::string& source, Clock::time_point now, int& retry_after) {
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
    by_source_.emplace(lru_.front().source, lru_.begin());
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

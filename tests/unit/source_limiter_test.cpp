// The per-source rate limit: a budget per source, and a table that stays
// bounded however many sources come. (Which addresses are one source is
// net::source_key, tested in connection_registry_test.)
#include <gtest/gtest.h>

#include "chronohook/source_key.hpp"
#include "chronohook/source_limiter.hpp"

namespace chronohook {
namespace {

using Clock = SourceRateLimiter::Clock;
const Clock::time_point kNow{std::chrono::seconds(1'780'000'000)};

SourceKey key(std::uint8_t n) {
  SourceKey k{};
  k[15] = n;
  return k;
}

TEST(SourceRateLimiter, EachSourceHasItsOwnBudget) {
  SourceRateLimiter limiter(2, 16);
  int retry = 0;
  EXPECT_TRUE(limiter.allow(key(1), kNow, retry));
  EXPECT_TRUE(limiter.allow(key(1), kNow, retry));
  EXPECT_FALSE(limiter.allow(key(1), kNow, retry));
  EXPECT_EQ(retry, 30);  // two a minute: the next token in 30 s
  EXPECT_TRUE(limiter.allow(key(2), kNow, retry));
  EXPECT_TRUE(limiter.allow(key(1), kNow + std::chrono::seconds(30), retry));
}

TEST(SourceRateLimiter, TheTableForgetsTheLeastRecentlySeenSourceWhenFull) {
  SourceRateLimiter limiter(1, 2);
  int retry = 0;
  EXPECT_TRUE(limiter.allow(key(1), kNow, retry));
  EXPECT_TRUE(limiter.allow(key(2), kNow, retry));
  EXPECT_FALSE(limiter.allow(key(1), kNow, retry));  // a is now the most recent
  EXPECT_TRUE(limiter.allow(key(3), kNow, retry));   // b is forgotten
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_FALSE(limiter.allow(key(1), kNow, retry));  // a was remembered, still spent
  EXPECT_TRUE(limiter.allow(key(2), kNow, retry));   // b starts afresh
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(SourceRateLimiter, ManySourcesStayWithinTheBound) {
  SourceRateLimiter limiter(10, 64);
  int retry = 0;
  for (int i = 0; i < 10'000; ++i) {
    SourceKey k{};
    k[14] = static_cast<std::uint8_t>(i >> 8);
    k[15] = static_cast<std::uint8_t>(i);
    limiter.allow(k, kNow, retry);
  }
  EXPECT_EQ(limiter.size(), 64u);
}

}  // namespace
}  // namespace chronohook

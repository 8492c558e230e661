// The per-source rate limit: which addresses count as one source, and a
// table that stays bounded however many sources come.
#include <gtest/gtest.h>

#include "chronohook/source_limiter.hpp"

namespace chronohook {
namespace {

using Clock = SourceRateLimiter::Clock;
const Clock::time_point kNow{std::chrono::seconds(1'780'000'000)};

TEST(SourceKey, AnIpv4SourceIsItsAddressWithoutThePort) {
  EXPECT_EQ(source_key("192.0.2.7:51234"), "192.0.2.7");
  EXPECT_EQ(source_key("192.0.2.7:1"), "192.0.2.7");
}

TEST(SourceKey, AnIpv6SourceIsItsSlash64) {
  EXPECT_EQ(source_key("[2001:db8:aa:bb:1:2:3:4]:443"), "2001:db8:aa:bb::/64");
  EXPECT_EQ(source_key("[2001:db8:aa:bb::ffff]:80"), "2001:db8:aa:bb::/64");
  EXPECT_EQ(source_key("[::1]:8443"), "::/64");
}

TEST(SourceKey, AnIpv4MappedAddressCountsAsIpv4) {
  EXPECT_EQ(source_key("[::ffff:192.0.2.7]:443"), "192.0.2.7");
}

TEST(SourceKey, AnythingUnparseableSharesOneKey) {
  EXPECT_EQ(source_key("-"), "?");
  EXPECT_EQ(source_key(""), "?");
  EXPECT_EQ(source_key("[2001:db8::1"), "?");
  EXPECT_EQ(source_key("example.invalid:443"), "?");
}

TEST(SourceRateLimiter, EachSourceHasItsOwnBudget) {
  SourceRateLimiter limiter(2, 16);
  int retry = 0;
  EXPECT_TRUE(limiter.allow("a", kNow, retry));
  EXPECT_TRUE(limiter.allow("a", kNow, retry));
  EXPECT_FALSE(limiter.allow("a", kNow, retry));
  EXPECT_EQ(retry, 30);  // two a minute: the next token in 30 s
  EXPECT_TRUE(limiter.allow("b", kNow, retry));
  EXPECT_TRUE(limiter.allow("a", kNow + std::chrono::seconds(30), retry));
}

TEST(SourceRateLimiter, TheTableForgetsTheLeastRecentlySeenSourceWhenFull) {
  SourceRateLimiter limiter(1, 2);
  int retry = 0;
  EXPECT_TRUE(limiter.allow("a", kNow, retry));
  EXPECT_TRUE(limiter.allow("b", kNow, retry));
  EXPECT_FALSE(limiter.allow("a", kNow, retry));  // a is now the most recent
  EXPECT_TRUE(limiter.allow("c", kNow, retry));   // b is forgotten
  EXPECT_EQ(limiter.size(), 2u);
  EXPECT_FALSE(limiter.allow("a", kNow, retry));  // a was remembered, still spent
  EXPECT_TRUE(limiter.allow("b", kNow, retry));   // b starts afresh
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(SourceRateLimiter, ManySourcesStayWithinTheBound) {
  SourceRateLimiter limiter(10, 64);
  int retry = 0;
  for (int i = 0; i < 10'000; ++i) limiter.allow("source-" + std::to_string(i), kNow, retry);
  EXPECT_EQ(limiter.size(), 64u);
}

}  // namespace
}  // namespace chronohook

// The per-source rate limit: which addresses count as one source, and a
// table that stays bounded however many sources come.
#include <gtest/gtest.h>

#include "chronohook/source_key.hpp"
#include "chronohook/source_limiter.hpp"

namespace chronohook {
namespace {

using Clock = SourceRateLimiter::Clock;
const Clock::time_point kNow{std::chrono::seconds(1'780'000'000)};

TEST(SourceKeyOfPeer, AnIpv4SourceIsItsAddressWhateverThePort) {
  EXPECT_EQ(source_key_of_peer("192.0.2.7:51234"), source_key_of_peer("192.0.2.7:1"));
  EXPECT_NE(source_key_of_peer("192.0.2.7:51234"), source_key_of_peer("192.0.2.8:51234"));
}

TEST(SourceKeyOfPeer, AnIpv6SourceIsItsSlash64) {
  EXPECT_EQ(source_key_of_peer("[2001:db8:aa:bb:1:2:3:4]:443"), source_key_of_peer("[2001:db8:aa:bb::ffff]:80"));
  EXPECT_NE(source_key_of_peer("[2001:db8:aa:bb::1]:443"), source_key_of_peer("[2001:db8:aa:bc::1]:443"));
}

TEST(SourceKeyOfPeer, AnIpv4MappedAddressCountsAsIpv4AndNotAsAnIpv6Prefix) {
  EXPECT_EQ(source_key_of_peer("[::ffff:192.0.2.7]:443"), source_key_of_peer("192.0.2.7:443"));
  EXPECT_NE(source_key_of_peer("[::ffff:192.0.2.7]:443"), source_key_of_peer("[::ffff:192.0.2.8]:443"));
  EXPECT_NE(source_key_of_peer("0.0.0.1:443"), source_key_of_peer("[::1]:443"));
}

TEST(SourceKeyOfPeer, AnythingUnparseableSharesOneKey) {
  SourceKey unknown;
  unknown.fill(0xff);
  EXPECT_EQ(source_key_of_peer("-"), unknown);
  EXPECT_EQ(source_key_of_peer(""), unknown);
  EXPECT_EQ(source_key_of_peer("[2001:db8::1"), unknown);
  EXPECT_EQ(source_key_of_peer("example.invalid:443"), unknown);
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

// The listener's bookkeeping: the per-source cap (IPv4 by address, IPv6 by
// /64, IPv4-mapped IPv6 as IPv4) and the choice of whom to evict at the cap.
#include "net/connection_registry.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace chronohook::net {
namespace {

using boost::asio::ip::make_address;
using SteadyClock = std::chrono::steady_clock;

class FakeSession : public SessionBase {
 public:
  void drain() override { ++drains; }
  void evict() override { ++evictions; }
  void idle(SteadyClock::time_point since) { mark_idle(since); }
  void busy() { mark_busy(); }
  int drains = 0;
  int evictions = 0;
};

TEST(SourceKey, Ipv4AndItsMappedIpv6FormAreOneSource) {
  EXPECT_EQ(source_key(make_address("192.0.2.7")), source_key(make_address("::ffff:192.0.2.7")));
  EXPECT_NE(source_key(make_address("192.0.2.7")), source_key(make_address("192.0.2.8")));
}

TEST(SourceKey, Ipv6AddressesInOneSlash64AreOneSource) {
  EXPECT_EQ(source_key(make_address("2001:db8:1:2::1")), source_key(make_address("2001:db8:1:2:ffff::9")));
  EXPECT_NE(source_key(make_address("2001:db8:1:2::1")), source_key(make_address("2001:db8:1:3::1")));
}

TEST(SourceKey, AnIpv4AddressIsNotConfusedWithAnIpv6Prefix) {
  EXPECT_NE(source_key(make_address("0.0.0.1")), source_key(make_address("::1")));
}

TEST(ConnectionRegistry, ASourceAtItsCapIsRefusedAndOthersAreNot) {
  ConnectionRegistry registry(2);
  const SourceKey a = source_key(make_address("127.0.0.2"));
  const SourceKey b = source_key(make_address("127.0.0.3"));
  const auto first = registry.add(a);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(registry.add(a).has_value());
  EXPECT_FALSE(registry.add(a).has_value());
  EXPECT_TRUE(registry.add(b).has_value());
  EXPECT_EQ(registry.count(), 3u);
  EXPECT_EQ(registry.count_from(a), 2u);

  registry.remove(*first);  // a closed connection frees its source's slot
  EXPECT_EQ(registry.count_from(a), 1u);
  EXPECT_TRUE(registry.add(a).has_value());
}

TEST(ConnectionRegistry, CapZeroMeansNoCap) {
  ConnectionRegistry registry(0);
  const SourceKey a = source_key(make_address("127.0.0.2"));
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(registry.add(a).has_value());
  EXPECT_EQ(registry.count_from(a), 1000u);
}

TEST(ConnectionRegistry, EvictsTheSessionIdleLongestAndNeverABusyOne) {
  ConnectionRegistry registry(0);
  const SourceKey a = source_key(make_address("127.0.0.2"));
  const auto now = SteadyClock::now();
  std::vector<std::shared_ptr<FakeSession>> sessions;
  for (int i = 0; i < 3; ++i) {
    sessions.push_back(std::make_shared<FakeSession>());
    registry.attach(*registry.add(a), sessions.back());
  }
  sessions[0]->busy();  // mid-request, though it has been open longest
  sessions[1]->idle(now - std::chrono::seconds(5));
  sessions[2]->idle(now - std::chrono::seconds(1));

  EXPECT_TRUE(registry.evict_longest_idle());
  EXPECT_EQ(sessions[0]->evictions, 0);
  EXPECT_EQ(sessions[1]->evictions, 1);
  EXPECT_EQ(sessions[2]->evictions, 0);
}

TEST(ConnectionRegistry, NothingIsEvictedWhenEverySessionIsBusy) {
  ConnectionRegistry registry(0);
  auto s = std::make_shared<FakeSession>();
  registry.attach(*registry.add(source_key(make_address("127.0.0.2"))), s);
  s->busy();
  EXPECT_FALSE(registry.evict_longest_idle());
  EXPECT_EQ(s->evictions, 0);
}

TEST(ConnectionRegistry, DrainReachesEveryAttachedSession) {
  ConnectionRegistry registry(0);
  auto s1 = std::make_shared<FakeSession>();
  auto s2 = std::make_shared<FakeSession>();
  registry.attach(*registry.add(source_key(make_address("127.0.0.2"))), s1);
  registry.attach(*registry.add(source_key(make_address("::1"))), s2);
  registry.drain_all();
  EXPECT_EQ(s1->drains, 1);
  EXPECT_EQ(s2->drains, 1);
}

}  // namespace
}  // namespace chronohook::net

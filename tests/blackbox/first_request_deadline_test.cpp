// Issue 13, point 3: the first request of a connection has one deadline,
// header_timeout_ms from the end of the TLS handshake to the end of the
// header, first byte included. Before, the wait for the first byte armed it
// and the header read armed it again, so a client that waited almost
// header_timeout_ms and then trickled its header held the slot for twice as
// long.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/daemon.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kHeaderTimeout{2000};

ConfigOptions with_header_timeout() {
  ConfigOptions options;
  options.extra_server_toml = "header_timeout_ms = " + std::to_string(kHeaderTimeout.count()) + "\n";
  return options;
}

// A header that never ends: the client keeps adding to one header line.
std::string endless_header() {
  return "POST /webhook HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + std::string(400, 'a');
}

TEST(FirstRequestDeadline, AClientThatWaitsAndThenTricklesIsCutOffAtTheHeaderTimeoutNotTwice) {
  Daemon daemon(with_header_timeout());
  auto connection = daemon.connect();  // the handshake is done when this returns
  const auto start = SteadyClock::now();
  // Almost the whole header_timeout before the first byte...
  std::this_thread::sleep_for(kHeaderTimeout - milliseconds(200));
  // ...then one byte every 100 ms, which never completes the header.
  const TrickleResult t = connection->trickle(endless_header(), milliseconds(100));
  const auto held = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
  ASSERT_TRUE(t.cut_off) << "the daemon let a trickling client send " << t.bytes_sent << " bytes";
  // One header_timeout (2 s) plus scheduling slack; the old double deadline
  // held it for about 3.8 s.
  EXPECT_LT(held, kHeaderTimeout + milliseconds(1000))
      << "a trickling first request held its connection for " << held.count()
      << " ms with header_timeout_ms = " << kHeaderTimeout.count();
  EXPECT_GE(held, kHeaderTimeout - milliseconds(300));
  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
}

TEST(FirstRequestDeadline, APlainHttpClientGetsTheSameBound) {
  ConfigOptions options = with_header_timeout();
  options.tls = false;
  Daemon daemon(options);
  auto connection = daemon.connect();
  const auto start = SteadyClock::now();
  std::this_thread::sleep_for(kHeaderTimeout - milliseconds(200));
  const TrickleResult t = connection->trickle(endless_header(), milliseconds(100));
  const auto held = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
  ASSERT_TRUE(t.cut_off);
  EXPECT_LT(held, kHeaderTimeout + milliseconds(1000)) << held.count() << " ms";
}

TEST(FirstRequestDeadline, AKeptAliveConnectionStillGetsTheIdleTimeoutBetweenRequests) {
  ConfigOptions options;
  options.extra_server_toml = "header_timeout_ms = 500\nidle_timeout_ms = 3000\n";
  Daemon daemon(options);
  auto connection = daemon.connect();
  ASSERT_EQ(connection->send(signed_hook(kMainSecret)).status, 200);
  // Longer than header_timeout, well inside idle_timeout: still open.
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(connection->send(signed_hook(kMainSecret)).status, 200);
}

}  // namespace
}  // namespace chronohook::testing

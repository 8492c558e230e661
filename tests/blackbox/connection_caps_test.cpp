// Issue 13, point 1: connection slots. One source may hold at most
// max_connections_per_source connections (an address over it is closed right
// after the accept); at max_connections the session idle longest is evicted
// for a connection waiting in the backlog, but never one in the middle of a
// request; and the daemon fits max_connections under its open-file limit
// instead of failing accept() with EMFILE every 100 ms.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using SteadyClock = std::chrono::steady_clock;

// A TCP connection that never starts TLS: it holds a slot as cheaply as any.
std::unique_ptr<Connection> raw_tcp(const Daemon& daemon, const std::string& source,
                                    milliseconds timeout = milliseconds(1500)) {
  ClientOptions o;
  o.tls = false;
  o.source_address = source;
  o.timeout = timeout;
  return std::make_unique<Connection>(daemon.port(), o);
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Sends a signed hook from `source` on a fresh connection; the status, or -1.
int signed_hook_from(const Daemon& daemon, const std::string& source, milliseconds* took = nullptr) {
  ClientOptions o = daemon.client_options(source);
  o.timeout = milliseconds(5000);
  const auto start = SteadyClock::now();
  int status = -1;
  try {
    status = send_once(daemon.port(), o, signed_hook(kMainSecret)).status;
  } catch (const std::exception&) {
  }
  if (took != nullptr) *took = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
  return status;
}

TEST(PerSourceCap, TheDefaultLetsOneSourceHold64ConnectionsAndClosesThe65thAtOnce) {
  Daemon daemon;
  std::vector<std::unique_ptr<Connection>> held;
  for (int i = 0; i < 64; ++i) held.push_back(raw_tcp(daemon, "127.0.0.2"));
  auto over = raw_tcp(daemon, "127.0.0.2");
  EXPECT_TRUE(over->closed_by_peer()) << "the 65th connection from one source was kept";
  EXPECT_FALSE(held.back()->closed_by_peer()) << "a connection within the cap was closed";
  EXPECT_EQ(signed_hook_from(daemon, "127.0.0.3"), 200) << "another source must not be affected";
  ASSERT_EQ(daemon.stop(), 0);
  EXPECT_THAT(daemon.log_text(), HasSubstr("connection refused peer=127.0.0.2:"));
  EXPECT_THAT(daemon.log_text(), HasSubstr("reason=max_connections_per_source (64)"));
}

TEST(PerSourceCap, ALowerCapRefusesTlsBeforeTheHandshakeAndAClosedConnectionFreesItsSlot) {
  ConfigOptions options;
  options.extra_server_toml = "max_connections_per_source = 2\n";
  Daemon daemon(options);
  auto first = daemon.connect("127.0.0.2");
  auto second = daemon.connect("127.0.0.2");
  ClientOptions third = daemon.client_options("127.0.0.2");
  third.timeout = milliseconds(3000);
  EXPECT_THROW(Connection(daemon.port(), third), std::runtime_error);
  EXPECT_EQ(signed_hook_from(daemon, "127.0.0.3"), 200);

  first.reset();
  int status = -1;
  for (int i = 0; i < 20 && status != 200; ++i) {  // the daemon notices the close within moments
    std::this_thread::sleep_for(milliseconds(100));
    status = signed_hook_from(daemon, "127.0.0.2");
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(second->send(signed_hook(kMainSecret)).status, 200);
}

TEST(PerSourceCap, ZeroSwitchesTheCapOff) {
  ConfigOptions options;
  options.extra_server_toml = "max_connections_per_source = 0\n";
  Daemon daemon(options);
  std::vector<std::unique_ptr<Connection>> held;
  for (int i = 0; i < 70; ++i) held.push_back(raw_tcp(daemon, "127.0.0.2"));
  EXPECT_FALSE(held.back()->closed_by_peer());
}

TEST(Eviction, AtMaxConnectionsIdleConnectionsMakeRoomForASignedHookWithinASecond) {
  ConfigOptions options;
  options.extra_server_toml = "max_connections = 4\n";
  Daemon daemon(options);
  std::vector<std::unique_ptr<Connection>> idle;
  for (int i = 0; i < 2; ++i) idle.push_back(daemon.connect("127.0.0.2"));  // waiting for a first request
  for (int i = 0; i < 2; ++i) {
    idle.push_back(daemon.connect("127.0.0.2"));  // idle in keep-alive after a hook
    ASSERT_EQ(idle.back()->send(signed_hook(kMainSecret)).status, 200);
  }
  milliseconds took{};
  EXPECT_EQ(signed_hook_from(daemon, "127.0.0.3", &took), 200);
  // The issue asks for 1 s; the margin is for sanitizers on a busy machine.
  EXPECT_LT(took, milliseconds(1500)) << took.count() << " ms";
  EXPECT_TRUE(idle.front()->closed_by_peer()) << "the connection idle longest should have been evicted";
  EXPECT_EQ(signed_hook_from(daemon, "127.0.0.3", &took), 200) << "a second newcomer is served too";
}

TEST(Eviction, AHookInTheMiddleOfItsBodyIsNeverEvicted) {
  ConfigOptions options;
  options.extra_server_toml = "max_connections = 2\n";
  Daemon daemon(options);
  auto busy = daemon.connect("127.0.0.2");
  const Request hook = signed_hook(kMainSecret);
  busy->write(hook.serialize_head(hook.body.size()) + hook.body.substr(0, 10));
  std::this_thread::sleep_for(milliseconds(200));  // busy is now the older connection
  auto idle = daemon.connect("127.0.0.2");

  EXPECT_EQ(signed_hook_from(daemon, "127.0.0.3"), 200);
  EXPECT_TRUE(idle->closed_by_peer());
  busy->write(hook.body.substr(10));
  const Response r = busy->read_response();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(event_for(daemon.db_path(), "main", delivery_of(hook)).has_value());
}

TEST(OpenFileLimit, ALowLimitClampsMaxConnectionsWithOneWarningAndAcceptDoesNotSpin) {
  Launch launch;
  launch.nofile_limit = 128;  // soft and hard: the daemon cannot raise it
  Daemon daemon(ConfigOptions{}, launch);
  EXPECT_THAT(daemon.log_text(), HasSubstr("max_connections = 1024 does not fit the open-file limit of 128"));
  EXPECT_THAT(daemon.log_text(), HasSubstr("LimitNOFILE="));

  // More connections than descriptors, from three sources (each under the
  // per-source cap): before, accept() failed with EMFILE and logged it every
  // 100 ms for as long as they stayed.
  std::vector<std::unique_ptr<Connection>> held;
  for (int i = 0; i < 150; ++i) held.push_back(raw_tcp(daemon, "127.0.0." + std::to_string(2 + i % 3)));
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_LT(occurrences(daemon.log_text(), "accept failed"), 2u) << daemon.log_tail();
  EXPECT_EQ(signed_hook_from(daemon, "127.0.0.5"), 200);
  held.clear();
  ASSERT_EQ(daemon.stop(), 0);
  EXPECT_EQ(occurrences(daemon.log_text(), "does not fit the open-file limit"), 1u);
}

}  // namespace
}  // namespace chronohook::testing

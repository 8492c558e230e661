// Issue 13, point 1, the attack itself: with max_connections = 32, 32 TLS
// connections from one host that each repeat a refused request every 2 s
// (and reconnect whenever they are closed) kept every connection slot, so a
// correctly signed hook from drchrono waited in the backlog and was never
// served. Now refusals close, idle connections are evicted at the cap and
// one source cannot hold everything: the hook is answered within a second.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int kAttackers = 32;
constexpr auto kAttackPeriod = milliseconds(2000);

// One attacker: keeps a connection from 127.0.0.2 open, sends `request`
// every 2 s, and reconnects at once whenever the daemon closes it.
void attack(const Daemon& daemon, const Request& request, const std::atomic<bool>& stop, std::atomic<int>& connected) {
  ClientOptions options = daemon.client_options("127.0.0.2");
  options.timeout = milliseconds(3000);  // bounds the join at the end
  std::unique_ptr<Connection> connection;
  bool counted = false;
  while (!stop.load()) {
    try {
      if (!connection) connection = std::make_unique<Connection>(daemon.port(), options);
      if (!counted) {
        connected.fetch_add(1);
        counted = true;
      }
      const Response r = connection->send(request);
      if (!r.keep_alive) connection = std::make_unique<Connection>(daemon.port(), options);
    } catch (const std::exception&) {
      connection.reset();  // evicted or refused: reconnect on the next round
      continue;
    }
    for (auto waited = milliseconds(0); waited < kAttackPeriod && !stop.load(); waited += milliseconds(50)) {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
}

void expect_signed_hooks_are_served_under_attack(const Request& attack_request) {
  ConfigOptions options;
  options.extra_server_toml = "max_connections = " + std::to_string(kAttackers) + "\n";
  options.access_log = false;  // thousands of refusals would only slow the daemon
  Daemon daemon(options);

  std::atomic<bool> stop{false};
  std::atomic<int> connected{0};
  std::vector<std::thread> attackers;
  for (int i = 0; i < kAttackers; ++i) {
    attackers.emplace_back([&] { attack(daemon, attack_request, stop, connected); });
  }
  // Until every attacker has had its connection (bounded).
  for (int i = 0; i < 100 && connected.load() < kAttackers; ++i) std::this_thread::sleep_for(milliseconds(100));
  std::this_thread::sleep_for(milliseconds(1000));  // a round of refusals and reconnects

  ClientOptions drchrono = daemon.client_options("127.0.0.3");
  drchrono.timeout = milliseconds(5000);
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto start = SteadyClock::now();
    int status = 0;
    try {
      status = send_once(daemon.port(), drchrono, signed_hook(kMainSecret)).status;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "attempt " << attempt << ": " << e.what();
    }
    const auto took = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - start);
    EXPECT_EQ(status, 200) << "attempt " << attempt;
    // The issue asks for 1 s; the margin is for sanitizers on a busy machine.
    EXPECT_LT(took, milliseconds(1500)) << "attempt " << attempt << " took " << took.count() << " ms";
    std::this_thread::sleep_for(milliseconds(700));
  }
  stop = true;
  for (std::thread& t : attackers) t.join();
  EXPECT_GE(connected.load(), kAttackers);
  EXPECT_TRUE(daemon.running());
}

TEST(Starvation, ASignedHookIsServedWhile32ConnectionsRepeatGetForAnUnknownPath) {
  expect_signed_hooks_are_served_under_attack(verification_get("msg=x", "/x"));
}

TEST(Starvation, ASignedHookIsServedWhile32ConnectionsRepeatAWronglySignedPost) {
  expect_signed_hooks_are_served_under_attack(signed_hook("bb-attacker-guess-0000000000000"));
}

}  // namespace
}  // namespace chronohook::testing

// The test plays systemd's part of a Type=notify unit with WatchdogSec=: it
// binds the NOTIFY_SOCKET datagram socket and sets WATCHDOG_USEC and
// WATCHDOG_PID (the daemon's own pid, as systemd sets it), then listens.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <string>
#include <vector>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"
#include "support/notify_socket.hpp"

namespace chronohook::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::HasSubstr;
using SteadyClock = std::chrono::steady_clock;

// WatchdogSec=2s: WATCHDOG=1 every second; a writer that makes no progress
// for 2 s (twice its idle heartbeat) stops them.
constexpr auto kWatchdog = 2s;

Launch manager_launch(const NotifySocket& manager) {
  Launch launch;
  launch.env = {{"NOTIFY_SOCKET", manager.path().string()},
                {"WATCHDOG_USEC", std::to_string(std::chrono::microseconds(kWatchdog).count())}};
  launch.own_pid_variables = {"WATCHDOG_PID"};
  return launch;
}

std::vector<SteadyClock::time_point> pings(const std::vector<Notification>& lines) {
  std::vector<SteadyClock::time_point> at;
  for (const Notification& n : lines) {
    if (n.line == "WATCHDOG=1") at.push_back(n.at);
  }
  return at;
}

std::vector<std::string> statuses(const std::vector<Notification>& lines) {
  std::vector<std::string> out;
  for (const Notification& n : lines) {
    if (n.line.starts_with("STATUS=")) out.push_back(n.line.substr(7));
  }
  return out;
}

TEST(ServiceManager, HearsReadyThenRegularWatchdogPingsAndStatusLinesThenStoppingOnSigterm) {
  TempDir manager_dir;
  NotifySocket manager(manager_dir.path() / "notify");
  Daemon daemon(ConfigOptions{}, manager_launch(manager));

  ASSERT_TRUE(manager.wait_for("READY=1", 10s)) << "no READY=1";
  const Response r = daemon.send(signed_hook(kMainSecret));
  ASSERT_EQ(r.status, 200);

  // Four intervals: a ping every W/2, never a gap that would let systemd
  // (which waits W) restart the service.
  const std::vector<Notification> heard = manager.collect_for(4 * kWatchdog);
  const auto at = pings(heard);
  EXPECT_GE(at.size(), 5u) << "WATCHDOG=1 every " << (kWatchdog / 2).count() << " s expected";
  for (std::size_t i = 1; i < at.size(); ++i) {
    EXPECT_LT(at[i] - at[i - 1], kWatchdog) << "gap before ping " << i;
  }
  const auto lines = statuses(heard);
  ASSERT_FALSE(lines.empty()) << "no STATUS=";
  EXPECT_THAT(lines.back(), HasSubstr("listening on 127.0.0.1:" + std::to_string(daemon.port())));
  EXPECT_THAT(lines.back(), HasSubstr("1 hook(s) stored, 0 duplicate(s), queue 0/"));
  // At most one a second (it changed once, when the hook was stored).
  EXPECT_LE(lines.size(), 5u);

  daemon.signal(SIGTERM);
  EXPECT_TRUE(manager.wait_for("STOPPING=1", 10s)) << "no STOPPING=1";
  EXPECT_EQ(daemon.wait_for_exit(15s), 0);
  EXPECT_THAT(daemon.log_text(), HasSubstr("watchdog: WATCHDOG=1 every 1.0 s"));
}

TEST(ServiceManager, WatchdogPingsStopWhileAnotherProcessHoldsTheWriterOnALockAndResumeAfter) {
  TempDir manager_dir;
  NotifySocket manager(manager_dir.path() / "notify");
  ConfigOptions options;
  options.busy_timeout_ms = 60'000;  // the writer waits in its busy handler, as on a hung lock
  Daemon daemon(options, manager_launch(manager));
  ASSERT_TRUE(manager.wait_for("READY=1", 10s));
  ASSERT_TRUE(manager.wait_for("WATCHDOG=1", 5s)) << "no ping while healthy";
  EXPECT_THAT(daemon.log_text(), HasSubstr("busy_timeout_ms = 60000 is not below 2.0 s"));

  // Declared before the lock, so that a failed assertion releases the lock
  // before it waits for the answer.
  std::future<Response> answer;
  auto lock = std::make_unique<WriteLock>(daemon.db_path());
  const Request hook = signed_hook(kMainSecret);
  ClientOptions patient = daemon.client_options();
  patient.timeout = 60s;
  answer = std::async(std::launch::async, [&] { return send_once(daemon.port(), patient, hook); });

  // Pings stop within the writer's 2 s plus one interval: wait for a silence
  // of a whole watchdog interval, the point where systemd would act.
  const auto give_up = SteadyClock::now() + 20s;
  auto last_ping = SteadyClock::now();
  std::vector<std::string> seen_status;
  while (SteadyClock::now() - last_ping < kWatchdog + 500ms && SteadyClock::now() < give_up) {
    for (const Notification& n : manager.collect_for(200ms)) {
      if (n.line == "WATCHDOG=1") last_ping = n.at;
      if (n.line.starts_with("STATUS=")) seen_status.push_back(n.line);
    }
  }
  ASSERT_GE(SteadyClock::now() - last_ping, kWatchdog + 500ms) << "WATCHDOG=1 kept coming while the writer was stuck";
  EXPECT_EQ(answer.wait_for(0s), std::future_status::timeout) << "the hook was answered while the lock was held";
  EXPECT_THAT(seen_status, Contains(HasSubstr("; watchdog: the writer has made no progress for")))
      << "no STATUS= naming the stuck writer";
  EXPECT_THAT(daemon.log_text(), HasSubstr("watchdog: the writer has made no progress for"));

  lock->release();
  ASSERT_EQ(answer.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(answer.get().status, 200);
  EXPECT_TRUE(manager.wait_for("WATCHDOG=1", kWatchdog + 1s)) << "pings did not resume";
  EXPECT_EQ(count_events(daemon.db_path()), 1);
  EXPECT_EQ(daemon.stop(), 0);
  EXPECT_THAT(daemon.log_text(), HasSubstr("watchdog: every part makes progress again"));
}

TEST(ServiceManager, SendsNoWatchdogPingsWhenWatchdogPidNamesAnotherProcess) {
  TempDir manager_dir;
  NotifySocket manager(manager_dir.path() / "notify");
  Launch launch = manager_launch(manager);
  launch.own_pid_variables.clear();
  launch.env["WATCHDOG_PID"] = "1";  // the watchdog is someone else's
  Daemon daemon(ConfigOptions{}, launch);
  ASSERT_TRUE(manager.wait_for("READY=1", 10s));
  const std::vector<Notification> heard = manager.collect_for(2 * kWatchdog);
  EXPECT_TRUE(pings(heard).empty());
  EXPECT_FALSE(statuses(heard).empty()) << "STATUS= does not depend on the watchdog";
  EXPECT_EQ(daemon.stop(), 0);
}

}  // namespace
}  // namespace chronohook::testing

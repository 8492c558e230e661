// The shutdown bound holds whatever the database does: with another process
// holding the write lock, SIGTERM still ends the process within
// shutdown_timeout_ms, every hook waiting for the store is answered 503 with
// Retry-After (not a dropped connection, so drchrono retries it), and none of
// them is committed once the lock is released.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <thread>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using namespace std::chrono_literals;

struct Answer {
  int status = 0;  // -1: no answer (the connection was dropped)
  std::string retry_after;
};

TEST(Shutdown, HooksWaitingOnALockedDatabaseAre503WithinTheTimeoutAndNeverCommitted) {
  constexpr auto kShutdownTimeout = 2000ms;
  ConfigOptions options;
  // Longer than the whole test: only the shutdown can cut this wait short.
  options.busy_timeout_ms = 60'000;
  options.extra_server_toml = "shutdown_timeout_ms = " + std::to_string(kShutdownTimeout.count()) + "\n";
  Daemon daemon(options);
  ASSERT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);  // the schema is in place

  constexpr int kHooks = 4;
  std::vector<Request> hooks;
  std::vector<std::unique_ptr<Connection>> connections;
  for (int i = 0; i < kHooks; ++i) {
    hooks.push_back(signed_hook(kMainSecret, "APPOINTMENT_CREATE"));
    connections.push_back(daemon.connect());  // handshakes done before the lock matters
  }
  WriteLock lock(daemon.db_path());
  for (int i = 0; i < kHooks; ++i)
    connections[static_cast<std::size_t>(i)]->write(hooks[static_cast<std::size_t>(i)].serialize());
  // Let the daemon read them: one batch then waits for the lock, the rest queue.
  std::this_thread::sleep_for(1s);

  const auto start = std::chrono::steady_clock::now();
  daemon.signal(SIGTERM);
  std::vector<Answer> answers(kHooks);
  for (int i = 0; i < kHooks; ++i) {
    Answer& a = answers[static_cast<std::size_t>(i)];
    try {
      const Response r = connections[static_cast<std::size_t>(i)]->read_response();
      a.status = r.status;
      a.retry_after = r.header("Retry-After").value_or("");
    } catch (const std::exception&) {
      a.status = -1;
    }
  }
  const auto code = daemon.wait_for_exit(kShutdownTimeout + 3s);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(code.has_value()) << "no exit within shutdown_timeout_ms + 3 s: a batch waited out busy_timeout";
  EXPECT_EQ(*code, 0);
  // The bound, with a margin for a loaded test machine.
  EXPECT_LT(took, kShutdownTimeout + 1500ms)
      << "exit took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";

  for (int i = 0; i < kHooks; ++i) {
    const Answer& a = answers[static_cast<std::size_t>(i)];
    EXPECT_EQ(a.status, 503) << "hook " << i << (a.status == -1 ? ": the connection was dropped unanswered" : "");
    EXPECT_THAT(a.retry_after, MatchesRegex("[1-9][0-9]*")) << "hook " << i;
  }

  lock.release();
  for (const Request& hook : hooks) {
    EXPECT_EQ(event_for(daemon.db_path(), "main", delivery_of(hook)), std::nullopt)
        << "a hook answered 503 was committed: " << delivery_of(hook);
  }
  EXPECT_EQ(count_events(daemon.db_path()), 1);
  EXPECT_THAT(daemon.log_text(), HasSubstr("answered 503 for drchrono to retry"));
}

TEST(Shutdown, AHookArrivingAfterTheStoreGaveUpIsAnswered503AtOnce) {
  ConfigOptions options;
  options.busy_timeout_ms = 60'000;
  // T - R = 3 s: the store gives up; T - R/2 = 3.5 s: connections close.
  options.extra_server_toml = "shutdown_timeout_ms = 4000\n";
  Daemon daemon(options);
  ASSERT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);

  // A connection opened before SIGTERM, whose hook is complete only after the
  // store has started failing, still gets an answer.
  WriteLock lock(daemon.db_path());
  auto late = daemon.connect();
  const Request hook = signed_hook(kMainSecret, "TASK_CREATE");
  const std::string bytes = hook.serialize();
  late->write(bytes.substr(0, bytes.size() - 1));  // all but the last byte
  std::this_thread::sleep_for(100ms);
  daemon.signal(SIGTERM);
  const std::string gave_up = "answered 503 for drchrono to retry";
  for (int i = 0; i < 400 && daemon.log_text().find(gave_up) == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_THAT(daemon.log_text(), HasSubstr(gave_up));
  late->write(bytes.substr(bytes.size() - 1));
  const Response r = late->read_response();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(r.header("Retry-After").has_value());
  EXPECT_TRUE(daemon.wait_for_exit(5s).has_value());
  lock.release();
  EXPECT_EQ(event_for(daemon.db_path(), "main", delivery_of(hook)), std::nullopt);
}

}  // namespace
}  // namespace chronohook::testing

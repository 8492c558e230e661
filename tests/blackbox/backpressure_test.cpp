// When the writer cannot keep up, hooks must not queue without bound: once
// `queue_capacity` hooks wait, the next one is answered 503 with Retry-After
// at once (drchrono retries it), while the hooks already accepted into the
// queue are still committed and answered 200. The writer is held back the
// way a slow disk would: another connection holds the write lock, and a long
// busy_timeout_ms makes the writer wait for it instead of failing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using Clock = std::chrono::steady_clock;

struct Answer {
  int status = 0;  // -1: the request itself failed
  std::string body;
  std::optional<std::string> retry_after;
  Clock::time_point at;
};

TEST(Backpressure, AFullQueueAnswers503AtOnceAndEveryQueuedHookIsStored) {
  ConfigOptions options;
  options.busy_timeout_ms = 15'000;  // far longer than the test holds the lock
  options.extra_storage_toml = "queue_capacity = 1\nmax_batch = 1\n";
  Daemon daemon(options);

  constexpr std::size_t kHooks = 6;
  std::vector<Request> hooks;
  for (std::size_t i = 0; i < kHooks; ++i) hooks.push_back(signed_hook(kMainSecret, "APPOINTMENT_MODIFY"));
  std::vector<Answer> answers(kHooks);
  std::atomic<std::size_t> answered{0};

  WriteLock lock(daemon.db_path());
  const Clock::time_point locked_at = Clock::now();
  std::vector<std::thread> senders;
  for (std::size_t i = 0; i < kHooks; ++i) {
    senders.emplace_back([&, i] {
      Answer& a = answers[i];
      try {
        const Response r = daemon.send(hooks[i]);
        a.status = r.status;
        a.body = r.body;
        a.retry_after = r.header("Retry-After");
      } catch (const std::exception&) {
        a.status = -1;
      }
      a.at = Clock::now();
      answered.fetch_add(1);
    });
  }
  // One hook is in the writer's hands (waiting for the lock) and one fits in
  // the queue; every other one must be answered while the lock is still held.
  const Clock::time_point deadline = locked_at + std::chrono::seconds(8);
  while (answered.load() < kHooks - 2 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::size_t answered_under_lock = answered.load();
  const Clock::time_point released_at = Clock::now();
  lock.release();
  for (std::thread& t : senders) t.join();

  EXPECT_GE(answered_under_lock, kHooks - 2) << "hooks beyond the queue's capacity waited for the writer";
  std::size_t ok = 0;
  std::size_t overloaded = 0;
  for (std::size_t i = 0; i < kHooks; ++i) {
    const Answer& a = answers[i];
    if (a.status == 200) {
      ++ok;
      EXPECT_GE(a.at, released_at) << "hook " << i << " was answered 200 before its commit could happen";
      continue;
    }
    ASSERT_EQ(a.status, 503) << "hook " << i << ": " << a.body;
    ++overloaded;
    EXPECT_LT(a.at, released_at) << "hook " << i << " got its 503 only after the writer was free";
    EXPECT_TRUE(is_error_body(a.body)) << a.body;
    EXPECT_THAT(a.body, HasSubstr("overloaded"));
    ASSERT_TRUE(a.retry_after.has_value()) << "503 without Retry-After";
    EXPECT_THAT(*a.retry_after, MatchesRegex("[1-9][0-9]*"));
  }
  EXPECT_GE(overloaded, kHooks - 2);
  EXPECT_GE(ok, 1u) << "the hook the writer held must be stored once the lock is gone";
  EXPECT_EQ(count_events(daemon.db_path()), static_cast<std::int64_t>(ok)) << "every 200 has its row, and only those";

  // The refused hooks are stored when drchrono retries them.
  for (std::size_t i = 0; i < kHooks; ++i) {
    if (answers[i].status == 503) {
      EXPECT_EQ(daemon.send(hooks[i]).status, 200) << "retry of hook " << i;
    }
  }
  EXPECT_EQ(count_events(daemon.db_path()), static_cast<std::int64_t>(kHooks));
  EXPECT_TRUE(daemon.running());
}

}  // namespace
}  // namespace chronohook::testing

// When the store cannot commit, the daemon must not answer 200 (drchrono
// would never resend) and must not die: it answers 503 with Retry-After and
// serves the retry once the database is writable again. The failure is made
// the way it happens in production: another process holds the write lock
// longer than busy_timeout_ms (file modes cannot do it: CI runs as root).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "support/daemon.hpp"
#include "support/db.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::testing::Optional;

TEST(StoreFailure, LockedDatabaseAnswers503WithRetryAfterAndTheRetryIsStoredOnce) {
  Daemon daemon;
  const Request hook = signed_hook(kMainSecret, "APPOINTMENT_CREATE");
  {
    WriteLock lock(daemon.db_path());
    const Response r = daemon.send(hook);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_TRUE(is_error_body(r.body)) << r.body;
    const auto retry_after = r.header("Retry-After");
    ASSERT_TRUE(retry_after.has_value()) << "503 without Retry-After";
    EXPECT_THAT(*retry_after, MatchesRegex("[1-9][0-9]*"));

    // Only the store is down: verification does not need it.
    EXPECT_EQ(daemon.send(verification_get("msg=during-lock")).status, 200);
    EXPECT_TRUE(daemon.running());
  }
  EXPECT_EQ(count_events(daemon.db_path()), 0) << "a hook answered 503 must not be stored";

  const Response retry = daemon.send(hook);
  ASSERT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(json_string_field(retry.body, "status"), "stored") << retry.body;
  const auto rows = all_events(daemon.db_path());
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0].at("delivery_id"), Optional(delivery_of(hook)));
  EXPECT_THAT(rows[0].at("attempts"), Optional(std::string("1")));
  EXPECT_THAT(rows[0].at("payload"), Optional(hook.body));

  EXPECT_EQ(daemon.send(signed_hook(kMainSecret)).status, 200);
  EXPECT_EQ(count_events(daemon.db_path()), 2);
}

TEST(StoreFailure, EveryHookWaitingOnALockedDatabaseIs503AndAllRetriesSucceed) {
  Daemon daemon;
  constexpr int kHooks = 6;
  std::vector<Request> hooks;
  for (int i = 0; i < kHooks; ++i) hooks.push_back(signed_hook(kMainSecret, "TASK_MODIFY"));
  std::vector<int> statuses(kHooks, 0);
  {
    WriteLock lock(daemon.db_path());
    // Concurrent hooks may share one failed group commit: none may slip through.
    std::vector<std::thread> senders;
    for (int i = 0; i < kHooks; ++i) {
      senders.emplace_back([&, i] {
        try {
          statuses[static_cast<std::size_t>(i)] = daemon.send(hooks[static_cast<std::size_t>(i)]).status;
        } catch (const std::exception&) {
          statuses[static_cast<std::size_t>(i)] = -1;
        }
      });
    }
    for (std::thread& t : senders) t.join();
  }
  for (int i = 0; i < kHooks; ++i) EXPECT_EQ(statuses[static_cast<std::size_t>(i)], 503) << "hook " << i;
  EXPECT_EQ(count_events(daemon.db_path()), 0);

  for (const Request& hook : hooks) EXPECT_EQ(daemon.send(hook).status, 200);
  EXPECT_EQ(count_events(daemon.db_path()), kHooks);
  EXPECT_EQ(ReadOnlyDb(daemon.db_path()).count("SELECT MAX(attempts) FROM events"), 1);
}

TEST(StoreFailure, TheFailureIsLoggedWithoutThePayload) {
  Daemon daemon;
  const std::string marker = "ZZSTORE" + random_hex(6);
  {
    WriteLock lock(daemon.db_path());
    EXPECT_EQ(daemon.send(signed_hook(kMainSecret, "TASK_CREATE", synthetic_payload("TASK_CREATE", 3, marker))).status,
              503);
  }
  ASSERT_EQ(daemon.stop(), 0);
  const std::string log = daemon.log_text();
  EXPECT_THAT(log, HasSubstr("status=503"));
  EXPECT_THAT(log, Not(HasSubstr(marker)));
}

}  // namespace
}  // namespace chronohook::testing

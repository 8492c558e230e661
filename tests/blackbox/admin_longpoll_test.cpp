// Long-polls against the real daemon: woken by the commit of a matching
// event (never by a timer), answered empty when the wait runs out, and
// answered at once on shutdown.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <future>
#include <thread>

#include "support/admin_api.hpp"
#include "support/hooks.hpp"

namespace chronohook::testing {
namespace {

using ::testing::ElementsAre;
using Clock = std::chrono::steady_clock;

struct Answered {
  Response response;
  Clock::time_point at;
};

// Sends `target` on its own connection from another thread.
std::future<Answered> poll(const Daemon& daemon, std::string target, std::string_view token = kBillingToken) {
  const std::uint16_t port = admin_port(daemon);
  const ClientOptions options = admin_client_options(daemon, false, std::chrono::seconds(70));
  return std::async(std::launch::async, [port, options, target = std::move(target), token = std::string(token)] {
    Connection c(port, options);
    Response r = c.send(admin_request("GET", target, token));
    return Answered{std::move(r), Clock::now()};
  });
}

// Long enough for the poll's first read to find nothing and start waiting;
// if it has not, the hook is simply in its first read, which proves less
// but never fails the test wrongly.
void let_it_wait() {
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

TEST(AdminLongPoll, IsAnsweredWithin100msOfTheCommitThatMatches) {
  Daemon daemon(admin_config(), Launch{});
  std::int64_t after = send_hooks(daemon, 1).back();
  for (int round = 0; round < 3; ++round) {
    auto answer = poll(daemon, "/v1/events?wait=30&after=" + std::to_string(after));
    let_it_wait();
    ASSERT_EQ(answer.wait_for(std::chrono::seconds(0)), std::future_status::timeout) << "answered before any commit";
    const Response stored = daemon.send(signed_hook(kMainSecret));
    // The hook's 200 comes after its commit: measuring from it leaves the
    // poll no head start.
    const Clock::time_point committed = Clock::now();
    ASSERT_EQ(stored.status, 200);
    const Answered got = answer.get();
    ASSERT_EQ(got.response.status, 200) << got.response.body;
    const std::int64_t seq = json_int_field(stored.body, "seq").value();
    EXPECT_THAT(page_seqs(got.response.body), ElementsAre(seq));
    const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(got.at - committed);
    EXPECT_LT(late.count(), 100) << "round " << round << ": answered " << late.count() << " ms after the hook's 200";
    after = seq;
  }
}

TEST(AdminLongPoll, SleepsThroughCommitsThatDoNotMatchItsFilter) {
  Daemon daemon(admin_config(), Launch{});
  auto answer = poll(daemon, "/v1/events?wait=30&event=PATIENT_*");
  let_it_wait();
  send_hooks(daemon, 3, "APPOINTMENT_CREATE");
  let_it_wait();
  EXPECT_EQ(answer.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  const auto patient = send_hooks(daemon, 1, "PATIENT_CREATE");
  const Answered got = answer.get();
  EXPECT_THAT(page_seqs(got.response.body), ElementsAre(patient[0]));
}

TEST(AdminLongPoll, AnswersAnEmptyPageWhenTheWaitRunsOut) {
  Daemon daemon(admin_config(), Launch{});
  const std::int64_t last = send_hooks(daemon, 2).back();
  const Clock::time_point start = Clock::now();
  const Answered got = poll(daemon, "/v1/events?wait=1&after=" + std::to_string(last)).get();
  EXPECT_GE(got.at - start, std::chrono::milliseconds(1000));
  ASSERT_EQ(got.response.status, 200);
  EXPECT_TRUE(page_seqs(got.response.body).empty());
  EXPECT_EQ(page_next_after(got.response.body), last);
}

TEST(AdminLongPoll, NextWaitsForEventsAfterTheConsumersCursor) {
  Daemon daemon(admin_config(), Launch{});
  const std::int64_t first = send_hooks(daemon, 1).back();
  const std::uint16_t port = admin_port(daemon);
  ASSERT_EQ(send_once(port, admin_client_options(daemon, false),
                      admin_request("PUT", "/v1/consumers/sync/cursor", kSyncToken,
                                    "{\"seq\":" + std::to_string(first) + "}"))
                .status,
            200);
  auto answer = poll(daemon, "/v1/consumers/sync/next?wait=30", kSyncToken);
  let_it_wait();
  const std::int64_t second = send_hooks(daemon, 1).back();
  EXPECT_THAT(page_seqs(answer.get().response.body), ElementsAre(second));
}

TEST(AdminLongPoll, ShutdownAnswersWaitingPollsAndExitsCleanly) {
  Daemon daemon(admin_config(), Launch{});
  auto answer = poll(daemon, "/v1/events?wait=60&after=0");
  let_it_wait();
  daemon.signal(SIGTERM);
  ASSERT_EQ(answer.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const Answered got = answer.get();
  EXPECT_EQ(got.response.status, 200);
  EXPECT_TRUE(page_seqs(got.response.body).empty());
  EXPECT_FALSE(got.response.keep_alive);
  EXPECT_EQ(daemon.wait_for_exit(std::chrono::seconds(15)), 0);
}

}  // namespace
}  // namespace chronohook::testing
